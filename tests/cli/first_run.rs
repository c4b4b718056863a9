//! Issue 9, a new user's first minutes: the helper's own command line, tips for habits from
//! other launchers, errors that fit one screen, and help that shows examples.

use std::path::PathBuf;

use crate::support::*;

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";

/// A properties file with every key the daemon requires, running a program that exists.
fn write_properties(sb: &Sandbox, rel: &str) -> PathBuf {
    sb.write(
        rel,
        "executableName = sh\napplicationName = kclrs-test\nstreamName = words\n\
         AwsCredentialsProvider = DefaultCredentialsProvider\n",
    )
}

/// Runs both command lines in the same sandbox and asserts identical exit code, stdout, stderr.
#[track_caller]
fn assert_same(sb: &Sandbox, helper: &[&str], kclrs: &[&str]) -> String {
    let a = sb.transcript(&sb.run(helper));
    let b = sb.transcript(&sb.run(kclrs));
    assert_eq!(a, b, "helper: {helper:?}\nkclrs: {kclrs:?}");
    a
}

#[test]
fn helper_command_line_prints_what_the_subcommands_print() {
    let sb = Sandbox::new();
    let props = write_properties(&sb, "app/app.properties");
    let props = props.to_str().unwrap();
    let extra = sb.write("extra/x.jar", "x");
    let extra = extra.to_str().unwrap();
    let log = sb.write("app/logback.xml", "<configuration/>");
    let log = log.to_str().unwrap();
    // The helper's README spelling, exactly.
    let out = assert_same(
        &sb,
        &["--print_command", "--java", JDK17, "--properties", props],
        &["print-command", "--java", JDK17, "--properties", props],
    );
    assert!(out.starts_with("exit: 0\n"), "{out}");
    assert!(out.contains("MultiLangDaemon --properties-file"), "{out}");
    // Every other helper spelling: short flags, --props/--prop, --path, -l, --sample.
    assert_same(
        &sb,
        &[
            "--print_command",
            "-j",
            JDK17,
            "--props",
            props,
            "--path",
            extra,
            "-l",
            log,
        ],
        &[
            "print-command",
            "-j",
            JDK17,
            "-p",
            props,
            "-c",
            extra,
            "-l",
            log,
        ],
    );
    assert_same(
        &sb,
        &[
            "--print_command",
            "--java",
            JDK17,
            "--use-sample-properties",
        ],
        &["print-command", "--java", JDK17, "--sample"],
    );
    // The helper needed --java for the classpath too; kclrs accepts and does not need it.
    let out = assert_same(
        &sb,
        &[
            "--print_classpath",
            "--java",
            JDK17,
            "--prop",
            props,
            "-c",
            extra,
            "-l",
            log,
        ],
        &["print-classpath", "-p", props, "-c", extra],
    );
    assert!(out.contains("[SANDBOX]/extra/x.jar:"), "{out}");
    // Errors are the subcommand's too.
    let out = assert_same(
        &sb,
        &["--print_command", "--java", JDK17],
        &["print-command", "--java", JDK17],
    );
    assert!(out.starts_with("exit: 2\n"), "{out}");
}

#[test]
fn helper_flags_stay_out_of_help_and_need_an_action() {
    let sb = Sandbox::new();
    let out = sb.run(["--help"]);
    assert_exit(&sb, &out, 0);
    let help = stdout(&out);
    assert!(!help.contains("print_c"), "{help}");
    let options = &help[help.find("Options:").unwrap()..help.find("Examples:").unwrap()];
    for hidden in [
        "--java",
        "--sample",
        "--properties",
        "--log-configuration",
        "-c",
    ] {
        assert!(!options.contains(hidden), "{hidden} in:\n{help}");
    }
    let out = sb.run(["--java", JDK17, "--sample"]);
    assert_exit(&sb, &out, 2);
    insta::assert_snapshot!(sb.transcript(&out), @r"
    exit: 2
    --- stdout
    --- stderr
    error: these are amazon_kclpy_helper.py flags: they need --print_command or --print_classpath
    hint: write `kclrs print-command -p FILE` (or `kclrs --help` for every command)
    ");
    // Both actions at once is a usage error, as with the helper's argparse.
    let out = sb.run(["--print_command", "--print_classpath", "--sample"]);
    assert_exit(&sb, &out, 2);
    // A subcommand after helper flags is not mixed with them.
    let out = sb.run(["--sample", "print-command"]);
    assert_exit(&sb, &out, 2);
}

#[test]
fn run_after_double_dash_points_to_jvm_arg() {
    let sb = Sandbox::new();
    let out = sb.run(["run", "--sample", "--", "-Xmx1g", "-Dfoo=bar"]);
    insta::assert_snapshot!(sb.transcript(&out), @r"
    exit: 2
    --- stdout
    --- stderr
    error: `kclrs run` takes no arguments after `--` (got -Xmx1g -Dfoo=bar)
    hint: JVM options go in -J/--jvm-arg, one per flag: `kclrs run … -J-Xmx1g -J-Dfoo=bar`
    ");
}

#[test]
fn print_classpath_takes_only_the_flags_it_uses() {
    let sb = Sandbox::new();
    for flags in [
        &["--java", JDK17][..],
        &["-J-Xmx1g"],
        &["--jvm-arg", "-Xmx1g"],
        &["-l", "logback.xml"],
    ] {
        let mut args = vec!["print-classpath"];
        args.extend_from_slice(flags);
        let out = sb.run(&args);
        assert_exit(&sb, &out, 2);
        assert!(stderr(&out).contains("unexpected argument"), "{flags:?}");
    }
    // What it does use still works, --strict included (it turns properties warnings into errors).
    let props = sb.write(
        "app/app.properties",
        "executableName = sh\napplicationName = a\nstreamName = s\n\
         AwsCredentialsProvider = DefaultCredentialsProvider\nstreamname = typo\n",
    );
    let props = props.to_str().unwrap();
    let out = sb.run([
        "print-classpath",
        "-p",
        props,
        "--jars-dir",
        ".",
        "-c",
        "x.jar",
    ]);
    assert_exit(&sb, &out, 0);
    let out = sb.run(["print-classpath", "-p", props, "--strict"]);
    assert_exit(&sb, &out, 3);
}

#[test]
fn every_subcommand_help_has_examples_and_its_environment() {
    let sb = Sandbox::new();
    let cases: &[(&str, &[&str])] = &[
        (
            "print-command",
            &["KCLRS_JAVA", "JAVA_HOME", "KCLRS_CACHE_DIR", "NO_COLOR"],
        ),
        ("print-classpath", &["KCLRS_CACHE_DIR"]),
        (
            "run",
            &[
                "KCLRS_JAVA",
                "KCLRS_REPOSITORY",
                "KCL_MVN_REPO_SEARCH_URL",
                "KCLRS_RETRIES",
            ],
        ),
        (
            "download-jars",
            &["KCLRS_REPOSITORY", "KCLRS_CONNECT_TIMEOUT", "HTTPS_PROXY"],
        ),
        ("verify", &["KCLRS_CACHE_DIR"]),
        ("lock", &["KCLRS_REPOSITORY", "KCLRS_READ_TIMEOUT"]),
        ("java", &["KCLRS_JAVA", "JAVA_HOME"]),
        ("completions", &[]),
    ];
    for (cmd, vars) in cases {
        for flag in ["--help", "-h"] {
            let out = sb.run([cmd, flag]);
            assert_exit(&sb, &out, 0);
            let help = stdout(&out);
            assert!(
                help.contains("Examples:\n  kclrs "),
                "{cmd} {flag}:\n{help}"
            );
            assert!(help.contains("\nEnvironment:"), "{cmd} {flag}:\n{help}");
            for var in *vars {
                assert!(help.contains(var), "{cmd} {flag} lacks {var}:\n{help}");
            }
        }
    }
    for cmd in ["run", "download-jars", "lock"] {
        let help = stdout(&sb.run([cmd, "--help"]));
        assert!(help.contains("1..=64"), "{cmd}:\n{help}");
    }
}

/// A sandbox `bin/` folder to use as the whole PATH: only `sh` (for scripts), plus what a test
/// adds, so no real `mvn` or `java` is found.
fn bare_path(sb: &Sandbox) -> PathBuf {
    let bin = sb.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/bin/sh", bin.join("sh")).unwrap();
    bin
}

#[test]
fn no_repository_and_no_mvn_is_one_cause_printed_once() {
    let sb = Sandbox::new();
    let bin = bare_path(&sb);
    let out = sb
        .cmd(["download-jars"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(err.lines().count() <= 15, "{err}");
    assert_eq!(err.matches("no remote repository is configured").count(), 1);
    insta::assert_snapshot!(sb.transcript(&out));
    // --json keeps every artifact of the built-in lock (the committed jars.lock) with its reasons.
    let out = sb
        .cmd(["download-jars", "--json"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing = json["missing"].as_array().unwrap();
    let built_in = include_str!("../../jars.lock")
        .matches("[[artifact]]")
        .count();
    assert_eq!(missing.len(), built_in);
    assert_eq!(json["total"], built_in);
    assert!(missing
        .iter()
        .all(|m| m["reasons"][1] == "no remote repository is configured"));
    let last_locked = include_str!("../../jars.lock")
        .lines()
        .filter_map(|l| l.strip_prefix("coords = \""))
        .next_back()
        .unwrap()
        .trim_end_matches('"');
    assert_eq!(
        missing[built_in - 1]["coords"],
        last_locked,
        "the last locked jar is listed too"
    );
}

#[test]
fn failing_mvn_block_is_printed_once_without_install_hint() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let bin = bare_path(&sb);
    let mvn = bin.join("mvn");
    std::fs::write(
        &mvn,
        "#!/bin/sh\necho '[INFO] Scanning for projects...'\n\
         echo '[ERROR] Failed to execute goal on project kclrs-fetch: Could not transfer artifact'\n\
         echo '[ERROR] Network is unreachable'\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&mvn, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = sb
        .cmd(["download-jars"])
        .env("PATH", &bin)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert_eq!(err.matches("Network is unreachable").count(), 1, "{err}");
    assert!(!err.contains("install"), "{err}");
    insta::assert_snapshot!(sb.transcript(&out));
}

/// A loopback port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn unreachable_repositories_are_given_up_on_whole_one_line_each() {
    let sb = Sandbox::new();
    let bin = bare_path(&sb);
    // One host refuses connections, the other fails TLS (a certificate kclrs does not trust).
    let empty = sb.root().join("remote");
    std::fs::create_dir_all(&empty).unwrap();
    let tls = crate::server::Server::start_tls(&empty, &crate::server::TestCert::new());
    let refused = format!("http://127.0.0.1:{}/maven2/", closed_port());
    let out = sb
        .cmd([
            "download-jars",
            "--repository",
            &refused,
            "--repository",
            &tls.url(),
        ])
        .env("PATH", &bin)
        .env("KCLRS_RETRIES", "2")
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert_eq!(err.matches("is unreachable").count(), 2, "{err}");
    // No file was asked for once the host was given up on: the TLS server saw no request.
    assert_eq!(tls.seen().len(), 0);
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\(os error \d+\)", "(os error [N])"),
    ]}, {
        insta::assert_snapshot!(sb.transcript(&out));
    });
}

#[test]
fn cache_under_a_file_names_the_flag_or_variable() {
    let sb = Sandbox::new();
    let file = sb.write("afile", "not a folder");
    let under = file.join("cache");
    let under = under.to_str().unwrap();
    let mut transcript = String::new();
    let by_flag = sb.run(["download-jars", "--cache-dir", under]);
    assert_exit(&sb, &by_flag, 2);
    transcript.push_str(&sb.transcript(&by_flag));
    let by_var = sb
        .cmd(["run", "--sample"])
        .env("KCLRS_CACHE_DIR", under)
        .output()
        .unwrap();
    assert_exit(&sb, &by_var, 2);
    transcript.push_str(&sb.transcript(&by_var));
    insta::assert_snapshot!(transcript);
}

#[test]
fn missing_keys_hint_names_the_sample_file() {
    let sb = Sandbox::new();
    let props = sb.write("app/app.properties", "streamName = words\n");
    let out = sb.run(["print-command", "-p", props.to_str().unwrap()]);
    assert_exit(&sb, &out, 3);
    let version = format!("/samples/{}/", env!("CARGO_PKG_VERSION"));
    let text = sb.transcript(&out).replace(&version, "/samples/[VERSION]/");
    insta::assert_snapshot!(text, @r"
    exit: 3
    --- stdout
    --- stderr
    error: [SANDBOX]/app/app.properties: missing required keys: executableName, applicationName, AwsCredentialsProvider
    hint: add them to the file; the sample [SANDBOX]/cache/samples/[VERSION]/sample.properties sets every one of them
    ");
    // The file the hint names exists and has every key.
    let sample = sb.cache().join(format!(
        "samples/{}/sample.properties",
        env!("CARGO_PKG_VERSION")
    ));
    let text = std::fs::read_to_string(sample).unwrap();
    for key in [
        "executableName",
        "applicationName",
        "streamName",
        "AwsCredentialsProvider",
    ] {
        assert!(text.contains(&format!("{key} = ")), "{key}:\n{text}");
    }
}

#[test]
fn java_flag_must_name_the_java_launcher() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let script = |name: &str, body: &str| {
        let path = sb.write(&format!("bin/{name}"), format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path.to_str().unwrap().to_string()
    };
    let mut transcript = String::new();
    for tool in ["javac", "jshell"] {
        let path = format!("{JDK17}/bin/{tool}");
        let out = sb.run(["print-command", "--sample", "--java", &path]);
        assert_exit(&sb, &out, 4);
        transcript.push_str(&sb.transcript(&out));
    }
    // Another name: what `-version` says decides. A javac-like answer is refused…
    let odd = script("my-wrapper", "echo 'javac 17.0.1'");
    let out = sb.run(["run", "--sample", "--java", &odd]);
    assert_exit(&sb, &out, 4);
    transcript.push_str(&sb.transcript(&out));
    insta::assert_snapshot!(transcript);
    // …a launcher's answer is accepted, and so is a symlink named java to the real launcher.
    let wrapper = script(
        "java17",
        &format!("if [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.1\"' >&2; exit 0; fi\nexec {JDK17}/bin/java \"$@\""),
    );
    let out = sb.run(["print-command", "--sample", "--java", &wrapper]);
    assert_exit(&sb, &out, 0);
    let link = sb.root().join("bin/java");
    std::os::unix::fs::symlink(format!("{JDK17}/bin/java"), &link).unwrap();
    let out = sb.run([
        "print-command",
        "--sample",
        "--java",
        link.to_str().unwrap(),
    ]);
    assert_exit(&sb, &out, 0);
}

/// Runs the shell command `line` with a terminal as its stdin/stdout/stderr (util-linux
/// `script`), in the sandbox's environment plus `vars`; returns what the terminal showed.
fn in_pty(sb: &Sandbox, line: &str, vars: &[(&str, &str)]) -> String {
    let mut cmd = std::process::Command::new("script");
    cmd.args(["-qec", line, "/dev/null"]).current_dir(sb.work());
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", sb.home())
        .env("KCLRS_CACHE_DIR", sb.cache())
        .env("TERM", "xterm")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .stdin(std::process::Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn no_color_turns_off_colour_but_not_progress() {
    use crate::download::{art, serve, write_lock};
    use crate::server::Fault;
    let sb = Sandbox::new();
    // On a terminal: error and warning labels coloured as clap colours its own.
    let err_line = format!("{BIN} print-command");
    let warn_line = format!("{BIN} print-command --sample --java {JDK17}");
    assert!(
        in_pty(&sb, &err_line, &[]).contains("\x1b[1;31merror:\x1b[0m `kclrs print-command` needs")
    );
    assert!(in_pty(&sb, &warn_line, &[]).contains("\x1b[1;33mwarning:\x1b[0m "));
    let clap = in_pty(&sb, &format!("{BIN} --no-such-flag"), &[]);
    assert!(clap.contains("\x1b[31merror:"), "{clap:?}");
    // NO_COLOR: plain labels, like clap's.
    let no_color = [("NO_COLOR", "1")];
    let plain = in_pty(&sb, &err_line, &no_color);
    assert!(
        plain.contains("error: `kclrs print-command` needs"),
        "{plain:?}"
    );
    assert!(!plain.contains("\x1b[1;3"), "{plain:?}");
    let warned = in_pty(&sb, &warn_line, &no_color);
    assert!(
        warned.contains("warning: ") && warned.contains("locked jars are missing"),
        "{warned:?}"
    );
    assert!(!warned.contains("\x1b[1;3"), "{warned:?}");
    let clap = in_pty(&sb, &format!("{BIN} --no-such-flag"), &no_color);
    assert!(clap.contains("error: unexpected argument"), "{clap:?}");
    // …and progress is still drawn during a (slowed) download.
    let arts = vec![art("org.example:slow:1", 400_000, 11)];
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault(
        "slow",
        Fault::Trickle(std::time::Duration::from_millis(40)),
        1,
    );
    let line = format!(
        "{BIN} download-jars --no-mvn --lockfile {} --repository {}",
        lock.display(),
        server.url()
    );
    let shown = in_pty(&sb, &line, &no_color);
    assert!(shown.contains("jars ["), "no progress bar drawn: {shown:?}");
    assert!(shown.contains("1 artifacts verified"), "{shown:?}");
}

#[test]
fn run_refuses_an_executable_name_that_cannot_start_and_suggests_the_file() {
    let sb = Sandbox::new();
    sb.write("app/samples/sample_record_processor.py", "print('hi')\n");
    let props = sb.write(
        "app/app.properties",
        "executableName = python3 sample_record_processor.py\napplicationName = a\n\
         streamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n",
    );
    let props = props.to_str().unwrap();
    let run = sb.run(["run", "-p", props, "--java", JDK17, "--no-mvn"]);
    assert_exit(&sb, &run, 3);
    // print-command only warns, as before.
    let printed = sb.run(["print-command", "-p", props, "--java", JDK17]);
    assert_exit(&sb, &printed, 0);
    assert!(stderr(&printed).contains("argument sample_record_processor.py does not exist"));
    // A program that is nowhere: no suggestion, still an error for run.
    let gone = sb.write(
        "app/gone.properties",
        "executableName = no-such-kclrs-processor\napplicationName = a\n\
         streamName = s\nAwsCredentialsProvider = DefaultCredentialsProvider\n",
    );
    let gone_run = sb.run(["run", "-p", gone.to_str().unwrap(), "--java", JDK17]);
    assert_exit(&sb, &gone_run, 3);
    insta::assert_snapshot!(format!(
        "{}{}",
        sb.transcript(&run),
        sb.transcript(&gone_run)
    ));
}

#[test]
fn ctrl_c_during_a_download_prints_one_line_and_exits_130() {
    use crate::download::{art, serve, write_lock};
    use crate::server::Fault;
    use std::time::{Duration, Instant};
    let sb = Sandbox::new();
    let arts = vec![art("org.example:slow:1", 2_000_000, 12)];
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("slow", Fault::Trickle(Duration::from_millis(50)), 1);
    let child = sb
        .cmd(["download-jars", "--no-mvn", "--lockfile"])
        .arg(&lock)
        .args(["--repository", &server.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the body is arriving, then interrupt as a terminal's Ctrl-C would.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.count("slow") == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5), "slow to stop");
    let text = sb
        .transcript(&out)
        .replace(&server.url(), "http://127.0.0.1:[PORT]/repo");
    insta::assert_snapshot!(text, @r"
    exit: 130
    --- stdout
    --- stderr
    fetching 1 artifact from cli-1 (http://127.0.0.1:[PORT]/repo/)…
    error: interrupted
    ");
    // Nothing half-written is trusted: the rerun downloads and verifies.
    let out = sb
        .cmd(["download-jars", "--no-mvn", "--lockfile"])
        .arg(&lock)
        .args(["--repository", &server.url()])
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
}

/// Issue 17, item 3: a cache this user cannot write (here a root-owned folder, kclrs run as
/// `nobody`, so the test needs root and fails without) is refused with exit 2, naming the flag or
/// variable and the folder, before any download, `mvn` run or POM request.
#[test]
fn unwritable_cache_is_refused_before_any_network_or_mvn_work() {
    use std::os::unix::fs::PermissionsExt;
    let id = std::process::Command::new("id").arg("-u").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&id.stdout).trim(),
        "0",
        "this test runs kclrs as `nobody` and must run as root"
    );
    let sb = Sandbox::new();
    let mode = |p: &std::path::Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(sb.root(), 0o755);
    let arts = vec![crate::download::art("org.example:tiny:1", 100, 7)];
    let lock = crate::download::write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    // Root's folder, which `nobody` may read but not write.
    let cache = sb.root().join("rootcache");
    std::fs::create_dir_all(&cache).unwrap();
    mode(&cache, 0o755);
    // A `mvn` that leaves a mark where `nobody` may write.
    let marks = sb.root().join("marks");
    std::fs::create_dir_all(&marks).unwrap();
    mode(&marks, 0o1777);
    let mvn = sb.write(
        "bin/mvn",
        format!("#!/bin/sh\ntouch {}/mvn-ran\nexit 1\n", marks.display()),
    );
    mode(&mvn, 0o755);
    let path = format!(
        "{}:{}",
        sb.root().join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let as_nobody = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
    ];
    let (lock, cache) = (lock.to_str().unwrap(), cache.to_str().unwrap());
    let url = server.url();
    // With --repository (the server must see no request), then with no repository (`mvn` would
    // be the source), then `lock` (no POM may be asked for).
    let mut transcript = String::new();
    for (args, var) in [
        (
            vec![
                "download-jars",
                "--lockfile",
                lock,
                "--repository",
                &url,
                "--cache-dir",
                cache,
            ],
            None,
        ),
        (vec!["download-jars", "--lockfile", lock], Some(cache)),
        (
            vec![
                "lock",
                "--output",
                "/dev/null",
                "--repository",
                &url,
                "--cache-dir",
                cache,
            ],
            None,
        ),
    ] {
        let mut cmd = sb.cmd_under(&as_nobody, &args);
        cmd.env("PATH", &path);
        if let Some(dir) = var {
            cmd.env("KCLRS_CACHE_DIR", dir);
        }
        let out = cmd.output().unwrap();
        assert_exit(&sb, &out, 2);
        transcript.push_str(&sb.transcript(&out));
    }
    assert!(server.seen().is_empty(), "asked the server first");
    assert!(!marks.join("mvn-ran").exists(), "ran mvn first");
    insta::assert_snapshot!(transcript);
}

/// Issue 17, item 4: the status line says where the files come from. Four of five locked
/// artifacts are in the local Maven repository: the line names it for those four and the remote
/// for the one left, and the summary agrees.
#[test]
fn status_line_names_the_local_repository_for_what_it_has() {
    let sb = Sandbox::new();
    let arts = crate::download::sample_arts();
    let lock = crate::download::write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    let m2 = sb.root().join("m2");
    crate::download::publish(&m2, &arts[..arts.len() - 1]);
    let out = sb
        .cmd(["download-jars", "--no-mvn", "--lockfile"])
        .arg(&lock)
        .args(["--repository", &server.url(), "--maven-repo-local"])
        .arg(&m2)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\d+(\.\d+)? (B|KiB|MiB)\b", "[SIZE]"),
        (r"in \d+(\.\d+)? ?m?s\b", "in [TIME]"),
    ]}, {
        insta::assert_snapshot!(sb.transcript(&out));
    });
    // Every file the line says comes from the remote did.
    assert_eq!(server.count(".jar"), 1);
}

/// Issue 17, item 5: help leads with a command that works as it is (no placeholder first), lists
/// the exit codes, every variable kclrs reads, and where the default cache is.
#[test]
fn help_leads_with_what_works_and_lists_exit_codes_and_every_variable() {
    let sb = Sandbox::new();
    for cmd in [&[][..], &["download-jars"][..]] {
        let help = stdout(&sb.run(cmd.iter().copied().chain(["--help"])));
        let examples = &help[help.find("Examples:\n").unwrap()..];
        let first = examples.lines().nth(1).unwrap();
        assert!(
            first.trim().starts_with("kclrs download-jars") && !first.contains("your-mirror"),
            "{cmd:?}: {first}"
        );
    }
    let main = stdout(&sb.run(["--help"]));
    assert!(main.contains("\nExit codes:\n"), "{main}");
    for code in ["0", "1", "2", "3", "4", "5", "6", "130"] {
        assert!(
            main.contains(&format!("\n  {code} ")),
            "exit {code}:\n{main}"
        );
    }
    let run = stdout(&sb.run(["run", "--help"]));
    for var in [
        "KCLRS_SAMPLE_OUTPUT",
        "KCLRS_ARTIFACT_TIMEOUT",
        "KCLRS_MVN_TIMEOUT",
        "~/.cache/kclrs",
    ] {
        assert!(run.contains(var), "run --help lacks {var}:\n{run}");
    }
    for cmd in ["download-jars", "lock"] {
        let help = stdout(&sb.run([cmd, "--help"]));
        for var in [
            "KCLRS_ARTIFACT_TIMEOUT",
            "KCLRS_MVN_TIMEOUT",
            "~/.cache/kclrs",
        ] {
            assert!(help.contains(var), "{cmd} --help lacks {var}:\n{help}");
        }
    }
}

/// Issue 17, item 6: a misspelt required key is named with its file:line and the key it should
/// be, next to the "missing required key" it causes.
#[test]
fn misspelt_required_key_points_at_its_line() {
    let sb = Sandbox::new();
    let props = sb.write(
        "app/app.properties",
        "executableName = sh\nstreamName = words\napplicationNmae = x\n\
         AwsCredentialsProvider = DefaultCredentialsProvider\n",
    );
    let out = sb.run(["print-command", "-p", props.to_str().unwrap()]);
    assert_exit(&sb, &out, 3);
    let version = format!("/samples/{}/", env!("CARGO_PKG_VERSION"));
    let text = sb.transcript(&out).replace(&version, "/samples/[VERSION]/");
    insta::assert_snapshot!(text, @r"
    exit: 3
    --- stdout
    --- stderr
    error: [SANDBOX]/app/app.properties: missing required key: applicationName
      [SANDBOX]/app/app.properties:3: applicationNmae is not a key the MultiLangDaemon knows; did you mean applicationName?
    hint: fix the spelling on the line named above (keys are case-sensitive) and add any other missing key; the sample [SANDBOX]/cache/samples/[VERSION]/sample.properties sets every one of them
    ");
}
