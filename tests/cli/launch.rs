//! `print-command`, `print-classpath` and `run`: flag spellings, the exact argv for a fixture,
//! jar order, shell round trips through `sh -c`, missing-jar warnings, bad input, and a real JVM
//! started by `run` (a compiled stand-in for the MultiLangDaemon that records how it was started).

// Unix only: it runs `sh`, sends SIGTERM, and relies on exec (Windows behaviour is unit-tested).
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kclrs::cache::Cache;
use kclrs::maven::Coord;
use sha2::{Digest, Sha256};

use crate::support::*;

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
const MAIN: &str = "software.amazon.kinesis.multilang.MultiLangDaemon";

/// Locked artifacts of the fixtures, deliberately not in alphabetical order.
const LOCKED: [&str; 3] = [
    "software.amazon.kinesis:amazon-kinesis-client-multilang:3.0.0",
    "io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.0",
    "com.example:zeta:1.0",
];

/// Writes a small real jar holding one text entry (so every jar has its own bytes).
fn write_jar(path: &Path, marker: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    zip.start_file(
        format!("{marker}.txt"),
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(marker.as_bytes()).unwrap();
    zip.finish().unwrap();
}

/// Lockfile text for `jars` in the given order, with sha256 and size from the files' bytes.
fn lock_for(jars: &[(&str, PathBuf)]) -> String {
    let mut text = String::from("version = 1\nroots = []\n");
    for (coords, file) in jars {
        let bytes = std::fs::read(file).unwrap();
        let sha = hex(&Sha256::digest(&bytes));
        text.push_str(&format!(
            "\n[[artifact]]\ncoords = \"{coords}\"\nsha256 = \"{sha}\"\nsize = {}\n",
            bytes.len()
        ));
    }
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A properties file with every key the daemon requires (so no check complains).
fn write_properties(sb: &Sandbox, rel: &str) -> PathBuf {
    sb.write(
        rel,
        "executableName = sh\napplicationName = kclrs-test\nstreamName = words\n\
         AwsCredentialsProvider = DefaultCredentialsProvider\nshutdownGraceMillis = 20000\n",
    )
}

/// A fake Java home: a `release` file and a `bin/java` script that prints its arguments one
/// per line (and a version for `-version`, like a real JDK 17).
pub(crate) fn fake_java_home(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("release"), "JAVA_VERSION=\"17.0.1\"\n").unwrap();
    let java = dir.join("bin/java");
    std::fs::write(
        &java,
        "#!/bin/sh\n\
         if [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.1\" 2021-10-19' >&2; exit 0; fi\n\
         for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir.to_path_buf()
}

/// The three locked jars, written into the sandbox's kclrs cache, and a lockfile for them.
struct CachedFixture {
    lock: PathBuf,
    jars: Vec<PathBuf>,
    props: PathBuf,
    log: PathBuf,
    java: PathBuf,
}

fn cached_fixture(sb: &Sandbox) -> CachedFixture {
    let cache = Cache::new(sb.cache());
    let mut locked = Vec::new();
    for coords in LOCKED {
        let coord: Coord = coords.parse().unwrap();
        let path = cache.artifact_path(&coord);
        write_jar(&path, &coord.artifact);
        locked.push((coords, path));
    }
    let lock = sb.write("jars.lock", lock_for(&locked));
    CachedFixture {
        lock,
        jars: locked.into_iter().map(|(_, p)| p).collect(),
        props: write_properties(sb, "app/app.properties"),
        log: sb.write("app/logback.xml", "<configuration/>\n"),
        java: fake_java_home(&sb.root().join("jdk")),
    }
}

/// Owned argument strings, so fixtures can mix literals and paths in one line.
fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

#[test]
fn printed_command_is_the_expected_argv() {
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    let (lock, log, java) = (s(&fx.lock), s(&fx.log), s(&fx.java));
    #[rustfmt::skip]
    let args = argv(&[
        "print-command", "--lockfile", &lock, "-p", "../app/app.properties", "-c", "extra/classes",
        "-l", &log, "-j", &java, "-J-Xmx64m", "--jvm-arg", "-Dkey=a value",
    ]);
    let out = sb.run(&args);
    assert_exit(&sb, &out, 0);
    insta::assert_snapshot!(sb.transcript(&out));

    let out = sb.run(args.iter().chain(&["--format".to_string(), "json".into()]));
    assert_exit(&sb, &out, 0);
    let classpath = [
        s(&sb.work().join("extra/classes")),
        s(&fx.jars[0]),
        s(&fx.jars[1]),
        s(&fx.jars[2]),
        s(&sb.work().join("../app")),
    ]
    .join(":");
    let expected = serde_json::json!({
        "program": s(&fx.java.join("bin/java")),
        "args": [
            "-Xmx64m", "-Dkey=a value", "-cp", classpath, MAIN,
            "--properties-file", s(&sb.work().join("../app/app.properties")),
            "--log-configuration", s(&fx.log),
        ],
        "cwd": s(&sb.work()),
    });
    assert_eq!(json(&out), expected);
    insta::assert_snapshot!("printed_command_json", sb.filter(&stdout(&out)));
    assert_eq!(stderr(&out), "");
}

#[test]
fn every_helper_flag_spelling_works() {
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    let extra = sb.root().join("extra");
    let base = |props: &[&str], cp: &[&str], log: &[&str], java: &[&str], jvm: &[&str]| {
        let mut v: Vec<String> = vec!["--format".into(), "json".into()];
        v.extend(["--lockfile".into(), s(&fx.lock)]);
        for (flag, value) in [
            (props, s(&fx.props)),
            (cp, s(&extra)),
            (log, s(&fx.log)),
            (java, s(&fx.java)),
        ] {
            match flag {
                [f] if f.ends_with('=') => v.push(format!("{f}{value}")),
                [f] => v.extend([f.to_string(), value]),
                _ => unreachable!(),
            }
        }
        v.push(format!("{}-Xss1m", jvm[0]));
        v
    };
    let run = |sub: &str, rest: Vec<String>| {
        let out = sb.run(std::iter::once(sub.to_string()).chain(rest));
        assert_exit(&sb, &out, 0);
        assert_eq!(stderr(&out), "");
        stdout(&out)
    };
    let canonical = run(
        "print-command",
        base(
            &["--properties"],
            &["--classpath"],
            &["--log-configuration"],
            &["--java"],
            &["--jvm-arg="],
        ),
    );
    assert!(canonical.contains("-Xss1m") && canonical.contains("extra"));
    let variants: Vec<(&str, Vec<String>)> = vec![
        (
            "print_command",
            base(&["-p"], &["-c"], &["-l"], &["-j"], &["-J"]),
        ),
        (
            "print-command",
            base(&["--props"], &["--path"], &["-l"], &["-j"], &["-J"]),
        ),
        (
            "print-command",
            base(&["--prop"], &["-c"], &["-l="], &["-j="], &["-J"]),
        ),
        (
            "print-command",
            base(&["--properties="], &["--path="], &["-l"], &["-j"], &["-J"]),
        ),
        (
            "print-command",
            base(
                &["-p="],
                &["-c"],
                &["--log-configuration="],
                &["--java="],
                &["-J"],
            ),
        ),
    ];
    for (sub, args) in variants {
        assert_eq!(run(sub, args.clone()), canonical, "{sub} {args:?}");
    }

    // print_classpath is the helper's spelling of print-classpath.
    let cp = |sub: &str| {
        let out = sb.run([sub, "--lockfile", &s(&fx.lock), "--prop", &s(&fx.props)]);
        assert_exit(&sb, &out, 0);
        stdout(&out)
    };
    assert_eq!(cp("print_classpath"), cp("print-classpath"));

    // The three sample spellings agree; with --properties too, the sample wins with a warning.
    let sample = |flag: &str, also_props: bool| {
        let (lock, java) = (s(&fx.lock), s(&fx.java));
        #[rustfmt::skip]
        let mut args = argv(&[
            "print-command", "--format", "json", "--lockfile", &lock, "-j", &java, flag,
        ]);
        if also_props {
            args.extend(["-p".into(), s(&fx.props)]);
        }
        sb.run(&args)
    };
    let plain = sample("--sample", false);
    assert_exit(&sb, &plain, 0);
    let props_arg = json(&plain)["args"][4].clone();
    assert!(
        props_arg.as_str().unwrap().ends_with("sample.properties"),
        "{props_arg}"
    );
    for flag in ["--sample-props", "--use-sample-properties"] {
        let out = sample(flag, false);
        assert_exit(&sb, &out, 0);
        assert_eq!(stdout(&out), stdout(&plain), "{flag}");
    }
    let both = sample("--sample", true);
    assert_exit(&sb, &both, 0);
    assert_eq!(stdout(&both), stdout(&plain));
    assert!(
        stderr(&both).contains("both --sample and --properties"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn jars_dir_puts_locked_jars_in_lock_order_then_the_rest_by_name() {
    let sb = Sandbox::new();
    let dir = sb.root().join("jars");
    let names = [
        "zeta-1.0.jar",
        "extra-b.jar",
        "amazon-kinesis-client-multilang-3.0.0.jar",
        // The groupId-prefixed form `download-jars --dest` uses when names collide.
        "io.netty.netty-transport-native-epoll-4.1.0-linux-x86_64.jar",
        "extra-a.jar",
    ];
    for name in names {
        write_jar(&dir.join(name), name);
    }
    sb.write("jars/README.txt", "not a jar");
    let locked: Vec<(&str, PathBuf)> = vec![
        (LOCKED[0], dir.join(names[2])),
        (LOCKED[1], dir.join(names[3])),
        (LOCKED[2], dir.join(names[0])),
    ];
    let lock = sb.write("jars.lock", lock_for(&locked));
    let run = |extra: &[&str]| {
        let mut args = vec!["print-classpath", "--lockfile", "../jars.lock"];
        args.extend(["--jars-dir", "../jars", "-c", "first"]);
        args.extend(extra);
        let out = sb.run(&args);
        assert_exit(&sb, &out, 0);
        assert_eq!(stderr(&out), "");
        stdout(&out)
    };
    let work = sb.work();
    let expected: Vec<String> = vec![
        s(&work.join("first")),
        s(&work.join("../jars").join(names[2])),
        s(&work.join("../jars").join(names[3])),
        s(&work.join("../jars").join(names[0])),
        s(&work.join("../jars/extra-a.jar")),
        s(&work.join("../jars/extra-b.jar")),
    ];
    // Without properties there is no properties folder at the end.
    assert_eq!(run(&["--format", "lines"]), expected.join("\n") + "\n");
    assert_eq!(run(&[]), expected.join(":") + "\n");
    let as_json: Vec<String> = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(as_json, expected);
    write_properties(&sb, "work/conf/app.properties");
    let with_props = run(&["-p", "conf/app.properties", "--format", "lines"]);
    assert_eq!(
        with_props,
        format!("{}\n{}\n", expected.join("\n"), s(&work.join("conf")))
    );
    drop(lock);
}

#[test]
fn missing_jars_warn_in_print_and_run_fetches_them() {
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    std::fs::remove_file(&fx.jars[0]).unwrap();
    std::fs::remove_file(&fx.jars[2]).unwrap();
    let args = |sub: &str| {
        let (lock, props, java) = (s(&fx.lock), s(&fx.props), s(&fx.java));
        let mut words = argv(&[sub, "--lockfile", &lock, "-p", &props]);
        // print-classpath needs no Java and takes no --java.
        if sub != "print-classpath" {
            words.extend(argv(&["-j", &java]));
        }
        words
    };
    let printed = sb.run(args("print-command"));
    assert_exit(&sb, &printed, 0);
    // The command still names every locked jar where download-jars will put it.
    for jar in &fx.jars {
        assert!(stdout(&printed).contains(&s(jar)), "{}", stdout(&printed));
    }
    let classpath = sb.run(args("print-classpath"));
    assert_exit(&sb, &classpath, 0);
    assert_eq!(stderr(&classpath), stderr(&printed));
    // No remote and no mvn fallback: run must fetch first and fail naming the missing jars.
    let mut run = args("run");
    run.push("--no-mvn".into());
    let run = sb.run(run);
    assert_exit(&sb, &run, 5);
    let mut dry = args("run");
    dry.push("--dry-run".into());
    let dry = sb.run(dry);
    assert_exit(&sb, &dry, 0);
    assert_eq!(stdout(&dry), stdout(&printed));
    insta::assert_snapshot!(format!(
        "print-command stderr:\n{}\nrun:\n{}",
        sb.filter(&stderr(&printed)),
        sb.transcript(&run)
    ));
}

#[test]
fn bad_input_exit_codes() {
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    let (java, lock, props) = (s(&fx.java), s(&fx.lock), s(&fx.props));
    // Each case: name, subcommand, lockfile, more flags (after `-j JAVA`), expected exit code.
    #[rustfmt::skip]
    let cases: [(&str, &str, &str, Vec<&str>, i32); 7] = [
        ("no properties", "print-command", &lock, vec![], 2),
        ("no properties (run)", "run", &lock, vec![], 2),
        ("missing log configuration", "run", &lock, vec!["-p", &props, "-l", "nope.xml"], 3),
        ("log configuration is a folder", "print-command", &lock, vec!["-p", &props, "-l", "."], 3),
        ("bad lockfile path", "print-command", "no/such.lock", vec!["-p", &props], 3),
        ("missing --jars-dir", "print-classpath", &lock, vec!["--jars-dir", "no-jars"], 3),
        ("classpath entry with the separator", "print-classpath", &lock, vec!["-c", "a:b"], 3),
    ];
    let mut transcript = String::new();
    for (name, sub, lockfile, flags, code) in cases {
        let mut args = vec![sub, "--lockfile", lockfile];
        if sub != "print-classpath" {
            args.extend(["-j", &java]);
        }
        args.extend(flags);
        let out = sb.run(&args);
        assert_exit(&sb, &out, code);
        transcript.push_str(&format!("### {name}\n{}\n", sb.transcript(&out)));
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn missing_properties_file_is_an_input_error() {
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    for sub in ["print-command", "run", "print-classpath"] {
        let mut args = vec![sub.to_string(), "--lockfile".into(), s(&fx.lock)];
        if sub != "print-classpath" {
            args.extend(["-j".into(), s(&fx.java)]);
        }
        args.extend(["-p".into(), "gone.properties".into()]);
        let out = sb.run(&args);
        assert_exit(&sb, &out, 3);
        assert!(stderr(&out).contains("gone.properties"), "{}", stderr(&out));
    }
}

#[test]
fn printed_command_survives_sh_with_spaces_quotes_and_dollars() {
    let sb = Sandbox::new();
    let weird = sb.root().join("it's a \"q\" $HOME `x` dir");
    let jars = weird.join("jars $PATH");
    let locked = [(LOCKED[2], jars.join("zeta-1.0.jar"))];
    write_jar(&locked[0].1, "zeta");
    write_jar(&jars.join("o'ther.jar"), "other");
    let lock = weird.join("jars.lock");
    std::fs::write(&lock, lock_for(&locked)).unwrap();
    let props = weird.join("conf 'single' \"double\"/app $1.properties");
    std::fs::create_dir_all(props.parent().unwrap()).unwrap();
    std::fs::copy(write_properties(&sb, "plain.properties"), &props).unwrap();
    let java = fake_java_home(&weird.join("jdk"));
    let classes = s(&weird.join("classes \\ $(true)"));
    #[rustfmt::skip]
    let args = argv(&[
        "print-command", "--lockfile", &s(&lock), "--jars-dir", &s(&jars), "-p", &s(&props),
        "-c", &classes, "-j", &s(&java), "-J-Dmsg=it's \"$HOME\"",
    ]);
    let line = sb.run(&args);
    assert_exit(&sb, &line, 0);
    let as_json = sb.run(args.iter().chain(&["--format".to_string(), "json".into()]));
    assert_exit(&sb, &as_json, 0);
    let expected_args: Vec<String> =
        serde_json::from_value(json(&as_json)["args"].clone()).unwrap();
    assert_eq!(
        expected_args,
        vec![
            "-Dmsg=it's \"$HOME\"".to_string(),
            "-cp".into(),
            [
                classes,
                s(&jars.join("zeta-1.0.jar")),
                s(&jars.join("o'ther.jar")),
                s(props.parent().unwrap()),
            ]
            .join(":"),
            MAIN.into(),
            "--properties-file".into(),
            s(&props),
        ]
    );
    let printed = stdout(&line);
    let via_sh = Command::new("sh")
        .args(["-c", printed.trim_end()])
        .env("HOME", "/not-expanded")
        .output()
        .unwrap();
    assert!(via_sh.status.success(), "{}", stderr(&via_sh));
    let got: Vec<&str> = std::str::from_utf8(&via_sh.stdout)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(got, expected_args, "printed: {printed}");
}

#[test]
fn printed_command_runs_in_backticks_as_the_helper_readme_says() {
    // The helper's README: "surround the command with back ticks to run it". Backticks split the
    // output into words but remove no quotes, so every word without a space must come out bare:
    // the JVM must get -Daws.cborEnabled=false, not '-Daws.cborEnabled=false'.
    let sb = Sandbox::new();
    let fx = cached_fixture(&sb);
    #[rustfmt::skip]
    let args = argv(&[
        "print-command", "--lockfile", &s(&fx.lock), "-p", "../app/app.properties",
        "-j", &s(&fx.java), "-J-Daws.cborEnabled=false", "-J-Xmx64m",
    ]);
    let as_json = sb.run(args.iter().chain(&["--format".to_string(), "json".into()]));
    assert_exit(&sb, &as_json, 0);
    let command = json(&as_json);
    let mut expected = vec![command["program"].as_str().unwrap().to_string()];
    expected.extend(serde_json::from_value::<Vec<String>>(command["args"].clone()).unwrap());
    // `sh -c SCRIPT kclrs ARGS…`: the script puts kclrs ("$0") and its arguments in backticks.
    let out = sb
        .cmd_under(&["sh", "-c", "printf '%s\\n' `\"$0\" \"$@\"`"], &args)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let got: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert_eq!(got, expected);
    assert!(got.contains(&"-Daws.cborEnabled=false".to_string()));
}

/// The fake MultiLangDaemon jar, compiled once per test process with the real JDK 17.
fn fake_daemon_jar() -> &'static Path {
    static JAR: OnceLock<PathBuf> = OnceLock::new();
    JAR.get_or_init(|| {
        let jdk = Path::new(JDK17);
        assert!(
            jdk.join("bin/javac").is_file(),
            "these tests need a JDK 17 at {JDK17} (javac and jar); install openjdk-17-jdk-headless"
        );
        let build = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("launch-fake-daemon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&build);
        std::fs::create_dir_all(build.join("classes")).unwrap();
        let source =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/fixtures/MultiLangDaemon.java");
        let status = Command::new(jdk.join("bin/javac"))
            .arg("-d")
            .arg(build.join("classes"))
            .arg(&source)
            .status()
            .unwrap();
        assert!(status.success(), "javac failed on {}", source.display());
        let jar = build.join("fake-multilang-daemon.jar");
        let status = Command::new(jdk.join("bin/jar"))
            .arg("--create")
            .arg("--file")
            .arg(&jar)
            .arg("-C")
            .arg(build.join("classes"))
            .arg(".")
            .status()
            .unwrap();
        assert!(status.success(), "jar failed");
        jar
    })
}

/// A sandbox with the fake daemon in a jars dir (locked, alongside an unlocked extra jar).
struct JvmFixture {
    sb: Sandbox,
    out: PathBuf,
    args: Vec<String>,
    jars: PathBuf,
    props: PathBuf,
    log: PathBuf,
}

fn jvm_fixture() -> JvmFixture {
    let sb = Sandbox::new();
    let jars = sb.root().join("jar dir");
    std::fs::create_dir_all(&jars).unwrap();
    let daemon = jars.join("amazon-kinesis-client-multilang-3.0.0.jar");
    std::fs::copy(fake_daemon_jar(), &daemon).unwrap();
    write_jar(&jars.join("aaa-extra.jar"), "extra");
    let lock = sb.write("jars.lock", lock_for(&[(LOCKED[0], daemon)]));
    let props = write_properties(&sb, "app dir/app.properties");
    let log = sb.write("app dir/logback.xml", "<configuration/>\n");
    let out = sb.root().join("out");
    std::fs::create_dir_all(&out).unwrap();
    #[rustfmt::skip]
    let args = argv(&[
        "run", "--lockfile", &s(&lock), "--jars-dir", &s(&jars), "-p", &s(&props), "-l", &s(&log),
        "-j", JDK17, &format!("-J-Dfake.out={}", s(&out)),
    ]);
    JvmFixture {
        sb,
        out,
        args,
        jars,
        props,
        log,
    }
}

fn record(out: &Path) -> Vec<String> {
    std::fs::read_to_string(out.join("record.txt"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn run_execs_the_jvm_with_the_arguments_and_returns_its_exit_code() {
    let fx = jvm_fixture();
    let sb = &fx.sb;
    let mut args = fx.args.clone();
    args.push("-J-Dfake.exit=3".into());
    let out = sb.run(&args);
    assert_exit(sb, &out, 3);
    let work = std::fs::canonicalize(sb.work()).unwrap();
    let classpath = [
        s(&fx.jars.join("amazon-kinesis-client-multilang-3.0.0.jar")),
        s(&fx.jars.join("aaa-extra.jar")),
        s(fx.props.parent().unwrap()),
    ]
    .join(":");
    let rec = record(&fx.out);
    assert!(rec[1].starts_with("ppid="), "{rec:?}");
    assert_eq!(
        rec[2..],
        [
            format!("cwd={}", s(&work)),
            format!("classpath={classpath}"),
            "properties-on-classpath=true".to_string(),
            "arg=--properties-file".into(),
            format!("arg={}", s(&fx.props)),
            "arg=--log-configuration".into(),
            format!("arg={}", s(&fx.log)),
        ]
    );
    // System.exit runs shutdown hooks too.
    assert!(fx.out.join("hook.txt").is_file());
}

/// Parent pid and process group of `pid` (fields 4 and 5 of /proc/PID/stat, after the name).
fn ppid_and_pgid(pid: u32) -> (u32, u32) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let rest: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    (rest[1].parse().unwrap(), rest[2].parse().unwrap())
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat.rsplit_once(')').unwrap().1.split_whitespace().next() != Some("Z"))
}

/// Starts `kclrs run` with `extra` JVM flags in a process group of its own (as a shell starts a
/// foreground job) and waits for the fake daemon's record.
fn start_waiting(fx: &JvmFixture, extra: &[&str]) -> (std::process::Child, Vec<String>) {
    use std::os::unix::process::CommandExt;
    let mut args = fx.args.clone();
    args.push("-J-Dfake.wait=true".into());
    args.extend(extra.iter().map(|a| a.to_string()));
    let mut child = fx
        .sb
        .cmd(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !fx.out.join("record.txt").exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("kclrs run exited early with {status}");
        }
        assert!(Instant::now() < deadline, "the JVM never wrote its record");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, record(&fx.out))
}

fn kill(signal: &str, target: &str) {
    let status = Command::new("kill")
        .args([signal, "--", target])
        .status()
        .unwrap();
    assert!(status.success(), "kill {signal} {target}");
}

#[test]
fn sigterm_to_kclrs_pid_reaches_the_jvm_shutdown_hook() {
    let fx = jvm_fixture();
    let (mut child, rec) = start_waiting(&fx, &[]);
    // kclrs stays the parent; the JVM leads a process group of its own.
    let jvm: u32 = rec[0].strip_prefix("pid=").unwrap().parse().unwrap();
    assert_ne!(jvm, child.id());
    assert_eq!(ppid_and_pgid(jvm), (child.id(), jvm));
    assert!(!fx.out.join("hook.txt").exists());
    kill("-TERM", &child.id().to_string());
    let status = child.wait().unwrap();
    // The JVM turns SIGTERM into an orderly shutdown and exits 128 + 15; kclrs returns that.
    assert_eq!(status.code(), Some(143), "{status}");
    assert_eq!(
        std::fs::read_to_string(fx.out.join("hook.txt")).unwrap(),
        "shutdown hook ran\n"
    );
    assert!(!alive(jvm));
}

/// Ctrl-C as a terminal sends it: SIGINT to every process of the foreground group. The JVM's
/// child (a record processor in the real daemon) is not in that group, so only the JVM's hook
/// decides when it stops. The same SIGINT relayed at once to kclrs's pid (as npm's wrapper does)
/// is the same stop; a second SIGINT later kills the JVM and the child.
#[test]
fn sigint_to_the_process_group_reaches_only_the_jvm_and_a_second_one_kills() {
    let fx = jvm_fixture();
    let (mut child, rec) =
        start_waiting(&fx, &["-J-Dfake.child=true", "-J-Dfake.hook.sleep=60000"]);
    let jvm: u32 = rec[0].strip_prefix("pid=").unwrap().parse().unwrap();
    let grandchild: u32 = rec
        .iter()
        .find_map(|l| l.strip_prefix("child="))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(ppid_and_pgid(grandchild), (jvm, jvm));
    let group = format!("-{}", child.id());
    kill("-INT", &group);
    kill("-INT", &child.id().to_string());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fx.out.join("hook.txt").exists() {
        assert!(Instant::now() < deadline, "the shutdown hook never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    // `sleep` dies of SIGINT: alive means the terminal's signal did not reach it.
    assert!(alive(grandchild), "the JVM's child got the SIGINT");
    assert!(
        child.try_wait().unwrap().is_none(),
        "kclrs exited before the JVM"
    );
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the relayed SIGINT counted as a second one"
    );
    kill("-INT", &group);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(137), "{status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(grandchild) || alive(jvm) {
        assert!(
            Instant::now() < deadline,
            "the JVM or its child outlived the escalation"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(
        err.matches("kclrs: SIGINT forwarded to the MultiLangDaemon")
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("kclrs: second stop signal: killing"), "{err}");
}

#[test]
fn sigint_to_the_process_group_ends_with_the_jvms_130() {
    let fx = jvm_fixture();
    let (mut child, _) = start_waiting(&fx, &[]);
    kill("-INT", &format!("-{}", child.id()));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(fx.out.join("hook.txt").exists());
}

#[test]
fn dry_run_prints_the_command_and_starts_nothing() {
    let fx = jvm_fixture();
    let mut args = fx.args.clone();
    // Without the class-data sharing options, which come first (tests/cli/logs_cds.rs).
    args.extend(["--dry-run".into(), "--no-cds".into()]);
    let out = fx.sb.run(&args);
    assert_exit(&fx.sb, &out, 0);
    let line = stdout(&out);
    assert!(
        line.starts_with(&format!("{JDK17}/bin/java -Dfake.out=")),
        "{line}"
    );
    assert!(line.contains(MAIN), "{line}");
    assert!(!fx.out.join("record.txt").exists());
}

#[test]
fn run_downloads_missing_locked_jars_then_execs_the_jvm() {
    let sb = Sandbox::new();
    let coord: Coord = LOCKED[0].parse().unwrap();
    // A file:// repository holding the (fake) daemon jar; the kclrs cache starts empty.
    let repo = sb.root().join("repo");
    let served = repo.join(coord.repo_path());
    std::fs::create_dir_all(served.parent().unwrap()).unwrap();
    std::fs::copy(fake_daemon_jar(), &served).unwrap();
    let lock = sb.write("jars.lock", lock_for(&[(LOCKED[0], served)]));
    let props = write_properties(&sb, "app/app.properties");
    let out_dir = sb.root().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    #[rustfmt::skip]
    let args = argv(&[
        "run", "--lockfile", &s(&lock), "-p", &s(&props), "-j", JDK17, "--no-mvn", "--quiet",
        "--repository", &format!("file://{}", s(&repo)),
        &format!("-J-Dfake.out={}", s(&out_dir)), "-J-Dfake.exit=3",
    ]);
    let out = sb.run(&args);
    assert_exit(&sb, &out, 3);
    let cached = Cache::new(sb.cache()).artifact_path(&coord);
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        std::fs::read(fake_daemon_jar()).unwrap()
    );
    let rec = record(&out_dir);
    assert!(
        rec.contains(&format!(
            "classpath={}:{}",
            s(&cached),
            s(props.parent().unwrap())
        )),
        "{rec:?}"
    );
}
