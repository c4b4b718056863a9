//! Issue 21 (second security audit), the findings about text from files and servers that reaches
//! the user or the wire: passwords with quotes in relayed `mvn` output (3), hostile sizes in the
//! properties file (6), terminal control characters (7), coordinate aliases and invisible
//! characters (8), credentials over plain http (9); and `JAVA_TOOL_OPTIONS`/`JDK_JAVA_OPTIONS`,
//! which reach the JVM as the user's own and are shown where kclrs says what it will run; and the
//! audit's held results, kept as tests: hostile folder names under dash and bash `eval`, Java
//! discovery and the current folder, a symlinked lockfile, `:` in classpath entries.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::download::{sample_arts, serve, write_lock};
use crate::launch::fake_java_home;
use crate::lock::MiniRepo;
use crate::security::mirror_only_mvn_can_use;
use crate::server::{Server, TestCert};
use crate::support::*;

const REQUIRED: &str = "executableName = sh\napplicationName = app\nstreamName = s\n\
                        AwsCredentialsProvider = DefaultCredentialsProvider\n";

/// `kclrs print-command` with an empty lock and a fake Java, so only the properties check talks.
fn print_command(sb: &Sandbox, props: &Path) -> Output {
    let lock = sb.write("work/empty.lock", "version = 1\nroots = []\nmin-java = 8\n");
    let java = fake_java_home(&sb.root().join("jdk"));
    let mut cmd = sb.cmd(["print-command", "--lockfile"]);
    cmd.arg(&lock)
        .arg("--properties")
        .arg(props)
        .arg("--java")
        .arg(&java);
    cmd.output().unwrap()
}

#[track_caller]
fn assert_no_raw_controls(sb: &Sandbox, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad: Vec<u8> = bytes
            .iter()
            .copied()
            .filter(|b| (*b < 0x20 && *b != b'\n' && *b != b'\t') || *b == 0x7f)
            .collect();
        assert!(
            bad.is_empty(),
            "raw control bytes {bad:?} on {stream}:\n{}",
            sb.transcript(out)
        );
    }
    let text = sb.transcript(out);
    for c in ['\u{202e}', '\u{200b}', '\u{9b}'] {
        assert!(!text.contains(c), "raw {c:?} in\n{text}");
    }
}

/// Finding 3: Maven names a mirror by its URL as written, password included; a `'` or `` ` `` in
/// the password used to end the redaction early and show the rest. Also (held): a `.mvn/` in the
/// working directory is not read by the `mvn` fallback (its `jvm.config` would log to a file).
#[test]
fn mvn_fallback_hides_passwords_with_quotes_and_backticks() {
    let secret = "s3cret-tail";
    for password in ["it's-s3cret-tail", "it`s-s3cret-tail"] {
        let sb = Sandbox::new();
        let (lock, empty) = mirror_only_mvn_can_use(&sb, &format!("deploy:{password}"));
        let canary = sb.root().join("cwd-mvn-read.log");
        sb.write(
            "work/.mvn/jvm.config",
            format!("-Xlog:gc:file={}\n", canary.display()),
        );
        let mut cmd = sb.cmd(["download-jars", "--lockfile"]);
        let out = cmd.arg(&lock).output().unwrap();
        assert_exit(&sb, &out, 5);
        let text = sb.transcript(&out);
        assert!(!text.contains(secret), "the password leaked:\n{text}");
        assert!(
            text.contains(&format!("***@127.0.0.1:{}", empty.port)),
            "Maven's message about the mirror is relayed:\n{text}"
        );
        assert!(
            empty.count("maven-dependency-plugin") > 0,
            "mvn asked the mirror"
        );
        assert!(
            !canary.exists(),
            "the working directory's .mvn/jvm.config was applied"
        );
    }
}

/// Finding 6: 80,000 distinct unknown keys, 40 keys set twice and a 1 MB value give one screen of
/// warnings (the first 20 of each kind and a count of the rest: 80,040 unknown keys, 20 listed)
/// instead of 80,000 lines and a 1 MB line.
#[test]
fn hostile_properties_sizes_give_one_screen_of_warnings() {
    let sb = Sandbox::new();
    let mut text = REQUIRED.to_string();
    for i in 0..80_000 {
        text.push_str(&format!("stray.key{i} = v\n"));
    }
    for i in 0..40 {
        text.push_str(&format!("twice{i} = a\ntwice{i} = b\n"));
    }
    text.push_str(&format!("failoverTimeMillis = {}\n", "9x".repeat(500_000)));
    let props = sb.write("app/app.properties", text);
    let out = print_command(&sb, &props);
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    let lines = err.lines().count();
    assert!(
        lines <= 45 && err.len() < 12_000,
        "{lines} lines, {} bytes",
        err.len()
    );
    assert!(err.contains("80020 more unknown keys not listed"), "{err}");
    assert!(
        err.contains("20 more keys set more than once not listed"),
        "{err}"
    );
    assert!(
        err.contains("…[999920 more characters] is not a whole number"),
        "{err}"
    );
}

/// Finding 7: ESC, BEL and NUL from a properties file (raw bytes and `\u001b` escapes), from a
/// settings.xml character reference and from POM coordinates during `lock` never reach the
/// terminal raw; XML 1.0's forbidden character references fail the document (exit 3).
#[test]
fn control_characters_never_reach_the_terminal() {
    // Properties: keys and values, escaped and raw (the daemon reads bytes as ISO-8859-1).
    let sb = Sandbox::new();
    let mut text = REQUIRED.as_bytes().to_vec();
    text.extend_from_slice(b"title\\u001b]0;owned\\u0007 = 1\n");
    text.extend_from_slice(b"failoverTimeMillis = 1\x1b[2J\x07\x00\n");
    text.extend_from_slice("metricsLevel = \\u202eDETAILED\n".as_bytes());
    let props = sb.write("app/app.properties", text);
    let out = print_command(&sb, &props);
    assert_exit(&sb, &out, 0);
    assert_no_raw_controls(&sb, &out);
    let err = stderr(&out);
    assert!(
        err.contains("unknown key title\\u{1b}]0;owned\\u{7}"),
        "{err}"
    );
    assert!(
        err.contains("failoverTimeMillis = 1\\u{1b}[2J\\u{7}\\u{0}"),
        "{err}"
    );
    assert!(err.contains("\\u{202e}DETAILED"), "{err}");

    // settings.xml: a character reference XML 1.0 forbids is an error naming the file.
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    sb.write(
        "home/.m2/settings.xml",
        "<settings>\n<localRepository>/tmp/x&#27;]0;owned&#7;</localRepository></settings>",
    );
    let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--lockfile"]);
    let out = cmd.arg(&lock).output().unwrap();
    assert_exit(&sb, &out, 3);
    assert_no_raw_controls(&sb, &out);
    let err = stderr(&out);
    assert!(err.contains("settings.xml:2:"), "{err}");
    assert!(
        err.contains("&#27; names a character XML 1.0 does not allow"),
        "{err}"
    );

    // POMs during `lock`: a forbidden reference, and raw control bytes in a coordinate and in
    // a property that becomes a version.
    for body in [
        "<dependencies><dependency><groupId>org.ex</groupId><artifactId>lib&#x1b;]0;x</artifactId><version>1</version></dependency></dependencies>",
        "<dependencies><dependency><groupId>org.ex</groupId><artifactId>lib\u{1b}]0;x\u{7}</artifactId><version>1</version></dependency></dependencies>",
        "<properties><v>1\u{1b}[31m\u{202e}</v></properties><dependencies><dependency><groupId>org.ex</groupId><artifactId>lib</artifactId><version>${v}</version></dependency></dependencies>",
    ] {
        let sb = Sandbox::new();
        let repo = MiniRepo::new(&sb);
        repo.publish_raw("org.ex:app:1", 52, body);
        repo.publish("org.ex:lib:1", 52, &[]);
        let out = repo.lock(&sb, "org.ex:app:1", &["-o", "out.lock"]);
        assert_exit(&sb, &out, 3);
        assert_no_raw_controls(&sb, &out);
        assert!(stderr(&out).contains("org.ex:app:1"), "{}", sb.transcript(&out));
        assert!(!sb.work().join("out.lock").exists());
    }
}

/// Finding 8: two spellings of one file, invisible or bidi characters and kclrs's own stamp
/// suffix are refused in a lockfile (exit 3, naming the file and the line) and in a POM.
#[test]
fn coordinate_aliases_invisible_characters_and_reserved_suffixes_are_refused() {
    let sha = "ab".repeat(32);
    for (coords, what) in [
        ("org.slf4j.:slf4j-api:2.0.13", "a leading or trailing `.`"),
        (
            "org.slf4j:slf4j\u{200b}-api:2.0.13",
            "a character other than",
        ),
        (
            "org.slf4j:slf4j-api:2.0.13\u{202e}",
            "a character other than",
        ),
        (
            "org.slf4j:slf4j-api:jar.kclrs-verified:2.0.13",
            "reserves for its own files",
        ),
    ] {
        let sb = Sandbox::new();
        let lock = sb.write(
            "work/jars.lock",
            format!(
                "version = 1\nroots = []\n\n[[artifact]]\ncoords = \"org.slf4j:slf4j-api:2.0.13\"\n\
                 sha256 = \"{sha}\"\nsize = 1\n\n[[artifact]]\ncoords = \"{coords}\"\n\
                 sha256 = \"{sha}\"\nsize = 1\n"
            ),
        );
        let mut cmd = sb.cmd(["print-classpath", "--lockfile"]);
        let out = cmd.arg(&lock).output().unwrap();
        assert_exit(&sb, &out, 3);
        assert_no_raw_controls(&sb, &out);
        let err = stderr(&out);
        assert!(err.contains("jars.lock:10"), "{coords}: {err}");
        assert!(err.contains(what), "{coords}: {err}");
        assert!(stdout(&out).is_empty(), "{coords}");
    }
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex.:lib:1"]);
    repo.publish("org.ex:lib:1", 52, &[]);
    let out = repo.lock(&sb, "org.ex:app:1", &["-o", "out.lock"]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("org.ex.:lib") && err.contains("declared in the POM of org.ex:app:1"),
        "{err}"
    );
}

/// `download-jars` of the first two sample artifacts from `url` with a settings.xml mirror of
/// everything at `url` and, when `password` is given, `<server>` credentials for it.
fn download_via_mirror(
    sb: &Sandbox,
    url: &str,
    password: Option<&str>,
    vars: &[(&str, &str)],
) -> Output {
    let lock = write_lock(sb, &sample_arts()[..2]);
    let server = password.map_or_else(String::new, |pw| {
        format!("<servers><server><id>corp</id><username>alice</username><password>{pw}</password></server></servers>")
    });
    sb.write(
        "home/.m2/settings.xml",
        format!("<settings><mirrors><mirror><id>corp</id><mirrorOf>*</mirrorOf><url>{url}</url></mirror></mirrors>{server}</settings>"),
    );
    let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--lockfile"]);
    cmd.arg(&lock);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Finding 9: credentials sent to a plain `http://` repository are announced once per
/// repository (two jars, one warning); none for https or for a repository without credentials.
#[test]
fn credentials_over_plain_http_warn_once_per_repository() {
    const WARNING: &str =
        "is plain http: the username and password configured for it are sent unencrypted";
    let arts = sample_arts();

    let sb = Sandbox::new();
    let http = serve(&sb, &arts);
    let out = download_via_mirror(&sb, &http.url(), Some("pw-http"), &[]);
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    assert_eq!(err.matches(WARNING).count(), 1, "{err}");
    assert!(
        err.contains(&format!("repository corp (http://127.0.0.1:{}/", http.port)),
        "{err}"
    );
    assert!(!err.contains("pw-http"), "{err}");
    assert!(
        http.seen().iter().all(|s| s.authorization.is_some()),
        "credentials were sent"
    );

    let sb = Sandbox::new();
    let plain = serve(&sb, &arts);
    let out = download_via_mirror(&sb, &plain.url(), None, &[]);
    assert_exit(&sb, &out, 0);
    assert!(!stderr(&out).contains(WARNING), "{}", stderr(&out));

    let sb = Sandbox::new();
    let dir: PathBuf = sb.root().join("tls-remote");
    crate::download::publish(&dir, &arts);
    let cert = TestCert::new();
    let tls = Server::start_tls(&dir, &cert);
    let cert_file = sb.write("cert.pem", &cert.cert_pem);
    let out = download_via_mirror(
        &sb,
        &tls.url(),
        Some("pw-tls"),
        &[("SSL_CERT_FILE", cert_file.to_str().unwrap())],
    );
    assert_exit(&sb, &out, 0);
    assert!(!stderr(&out).contains(WARNING), "{}", stderr(&out));
}

/// Finding 9 at lock time: POMs and jars fetched from a plain-http repository with credentials
/// in its URL warn once for the whole `lock`, without showing the password.
#[test]
fn credentials_over_plain_http_warn_once_during_lock() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 52, &[]);
    let server = Server::start(Path::new(&repo.arg()));
    let url = server.url().replace("http://", "http://alice:pw-lock@");
    let empty = sb.root().join("empty-m2");
    std::fs::create_dir_all(&empty).unwrap();
    let mut cmd = sb.cmd([
        "lock",
        "--root",
        "org.ex:app:1",
        "--no-mvn",
        "-o",
        "out.lock",
    ]);
    cmd.arg("--repository")
        .arg(&url)
        .arg("--maven-repo-local")
        .arg(&empty);
    let out = cmd.output().unwrap();
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    assert_eq!(
        err.matches(
            "is plain http: the username and password configured for it are sent unencrypted"
        )
        .count(),
        1,
        "{err}"
    );
    assert!(!err.contains("pw-lock"), "{err}");
    assert!(server.seen().iter().all(|s| s.authorization.is_some()));
}

/// Held: `JAVA_TOOL_OPTIONS` and `JDK_JAVA_OPTIONS` reach the JVM untouched (they are the
/// user's), and `kclrs java` and `run --dry-run` say so, so an agent in one is visible.
#[test]
fn java_option_variables_are_shown_by_java_and_dry_run() {
    let sb = Sandbox::new();
    let java = fake_java_home(&sb.root().join("jdk"));
    let props = sb.write("app/app.properties", REQUIRED);
    let lock = sb.write("work/empty.lock", "version = 1\nroots = []\nmin-java = 8\n");
    let vars = [
        ("JAVA_TOOL_OPTIONS", "-javaagent:/opt/agent.jar"),
        ("JDK_JAVA_OPTIONS", "-Xmx1g"),
    ];
    let mut cmd = sb.cmd(["java", "--java"]);
    cmd.arg(&java).envs(vars);
    let out = cmd.output().unwrap();
    assert_exit(&sb, &out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("JAVA_TOOL_OPTIONS=-javaagent:/opt/agent.jar (set in the environment"),
        "{text}"
    );
    assert!(
        text.contains("JDK_JAVA_OPTIONS=-Xmx1g (set in the environment"),
        "{text}"
    );

    let mut cmd = sb.cmd(["run", "--dry-run", "--lockfile"]);
    cmd.arg(&lock)
        .arg("--properties")
        .arg(&props)
        .arg("--java")
        .arg(&java)
        .envs(vars);
    let out = cmd.output().unwrap();
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    assert!(
        err.contains("JAVA_TOOL_OPTIONS=-javaagent:/opt/agent.jar"),
        "{err}"
    );
    assert!(err.contains("JDK_JAVA_OPTIONS=-Xmx1g"), "{err}");
    // Unset, nothing is said.
    let mut cmd = sb.cmd(["run", "--dry-run", "--lockfile"]);
    cmd.arg(&lock)
        .arg("--properties")
        .arg(&props)
        .arg("--java")
        .arg(&java);
    let out = cmd.output().unwrap();
    assert_exit(&sb, &out, 0);
    assert!(
        !stderr(&out).contains("JAVA_TOOL_OPTIONS"),
        "{}",
        stderr(&out)
    );
}

/// Held: 21 hostile folder names (quotes, `$(…)`, backticks, `;`, globs, a newline, a leading
/// `-`…) in the properties path and a `-c` entry survive the printed command under `dash -c` and
/// bash's `eval`: the program gets exactly the JSON form's arguments and no canary is created.
#[test]
fn hostile_folder_names_survive_dash_and_bash_eval() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let lock = sb.write("work/empty.lock", "version = 1\nroots = []\nmin-java = 8\n");
    // A fake Java home whose `java` writes its arguments NUL-separated (a newline is data here).
    let jdk = sb.root().join("jdk");
    std::fs::create_dir_all(jdk.join("bin")).unwrap();
    std::fs::write(jdk.join("release"), "JAVA_VERSION=\"17.0.1\"\n").unwrap();
    let got_file = sb.root().join("argv");
    let java = jdk.join("bin/java");
    std::fs::write(
        &java,
        format!(
            "#!/bin/sh\nif [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.1\"' >&2; exit 0; fi\n\
             printf '%s\\0' \"$@\" > '{}'\n",
            got_file.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
    let shell_cwd = sb.root().join("shell-cwd");
    std::fs::create_dir_all(&shell_cwd).unwrap();
    let names = [
        "it's",
        "a\"b",
        "$(touch canary)",
        "`touch canary`",
        "$HOME",
        "${IFS}x",
        "a;touch canary",
        "a|touch canary",
        "a&&touch canary",
        "a\nb",
        "a\tb",
        "*",
        "[a]?",
        "~root",
        "-x",
        "!!",
        "#x",
        "a\\b",
        "{a,b}",
        "<x> >y",
        "'\"$(touch canary)\"'",
    ];
    assert_eq!(names.len(), 21);
    for name in names {
        let dir = sb.root().join("props").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let props = dir.join("app.properties");
        std::fs::write(&props, REQUIRED).unwrap();
        let classes = sb.root().join("classes").join(name);
        let args = |json: bool| {
            let mut cmd = sb.cmd(["print-command", "--lockfile"]);
            cmd.arg(&lock)
                .arg("--properties")
                .arg(&props)
                .arg("--java")
                .arg(&jdk)
                .arg("-c")
                .arg(&classes);
            if json {
                cmd.args(["--format", "json"]);
            }
            cmd.output().unwrap()
        };
        let line = args(false);
        assert_exit(&sb, &line, 0);
        let as_json = args(true);
        assert_exit(&sb, &as_json, 0);
        let expected: Vec<String> = serde_json::from_value(
            serde_json::from_slice::<serde_json::Value>(&as_json.stdout).unwrap()["args"].clone(),
        )
        .unwrap();
        let printed = stdout(&line);
        let printed = printed.strip_suffix('\n').unwrap_or(&printed);
        for shell in [
            vec!["dash", "-c", printed],
            vec!["bash", "-c", "eval \"$1\"", "bash", printed],
        ] {
            let _ = std::fs::remove_file(&got_file);
            let out = std::process::Command::new(shell[0])
                .args(&shell[1..])
                .current_dir(&shell_cwd)
                .env("HOME", "/not-expanded")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name:?} {}: {}",
                shell[0],
                stderr(&out)
            );
            let got = std::fs::read(&got_file).unwrap();
            let got: Vec<String> = got
                .split(|b| *b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8(a.to_vec()).unwrap())
                .collect();
            assert_eq!(got, expected, "{name:?} under {}: {printed}", shell[0]);
            let made: Vec<_> = std::fs::read_dir(&shell_cwd).unwrap().collect();
            assert!(made.is_empty(), "{name:?} under {} made {made:?}", shell[0]);
        }
    }
}

/// Held: Java discovery never runs a `java` from the current folder (`./java`, `./bin/java`,
/// `./jdk/bin/java`), whatever empty or relative entries `PATH` holds.
#[test]
fn java_discovery_never_runs_java_from_the_current_folder() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let canary = sb.root().join("ran");
    for rel in ["work/java", "work/bin/java", "work/jdk/bin/java"] {
        let script = sb.write(
            rel,
            format!("#!/bin/sh\necho \"$0\" >> '{}'\nexit 1\n", canary.display()),
        );
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    sb.write("work/jdk/release", "JAVA_VERSION=\"17.0.1\"\n");
    for path in [
        "",
        ":",
        ".",
        "bin",
        "jdk/bin",
        "/nonexistent::/nonexistent2",
        "bin:",
    ] {
        let out = sb.cmd(["java"]).env("PATH", path).output().unwrap();
        assert!(
            !canary.exists(),
            "PATH={path:?} ran {}\n{}",
            std::fs::read_to_string(&canary).unwrap_or_default(),
            sb.transcript(&out)
        );
    }
}

/// Held: `lock -o` over a symlink replaces the link with the new lockfile and leaves the file it
/// pointed to as it was.
#[test]
fn a_symlinked_lockfile_is_replaced_not_written_through() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &[]);
    // Another lockfile (kclrs reads the old one before re-locking), which must stay as it is.
    let kept = "version = 1\nroots = []\nmin-java = 8\n";
    let target = sb.write("elsewhere/precious.lock", kept);
    std::os::unix::fs::symlink(&target, sb.work().join("out.lock")).unwrap();
    let out = repo.lock(&sb, "org.ex:app:1", &["-o", "out.lock"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), kept);
    let meta = std::fs::symlink_metadata(sb.work().join("out.lock")).unwrap();
    assert!(meta.is_file(), "out.lock is still a symlink");
    let text = std::fs::read_to_string(sb.work().join("out.lock")).unwrap();
    assert!(text.contains("org.ex:app"), "{text}");
}

/// Held: `:` in a `-c` entry, in a jar name under `--jars-dir` or in the properties folder is
/// refused (exit 3, naming the path): Java would split the classpath there.
#[test]
fn a_colon_in_a_classpath_entry_is_refused() {
    let sb = Sandbox::new();
    let props = sb.write("app/app.properties", REQUIRED);
    let shared = sb.write("a:b/app.properties", REQUIRED);
    sb.write("jars/x:y.jar", "not really a jar");
    let lock = sb.write("work/empty.lock", "version = 1\nroots = []\nmin-java = 8\n");
    let java = fake_java_home(&sb.root().join("jdk"));
    let jars = sb.root().join("jars");
    let cases: [(&Path, Vec<&std::ffi::OsStr>, &str); 3] = [
        (&shared, vec![], "a:b"),
        (&props, vec!["-c".as_ref(), "/x:y".as_ref()], "/x:y"),
        (
            &props,
            vec!["--jars-dir".as_ref(), jars.as_os_str()],
            "x:y.jar",
        ),
    ];
    for (props, extra, named) in cases {
        let mut cmd = sb.cmd(["print-command", "--lockfile"]);
        cmd.arg(&lock)
            .arg("--properties")
            .arg(props)
            .arg("--java")
            .arg(&java)
            .args(extra);
        let out = cmd.output().unwrap();
        assert_exit(&sb, &out, 3);
        let err = stderr(&out);
        assert!(
            err.contains(named) && err.contains("it contains ':', the classpath separator"),
            "{err}"
        );
    }
}

/// Held: a server whose status line carries ESC and BEL in its reason phrase never gets them onto
/// the terminal (the HTTP client refuses or kclrs escapes them); the download fails, exit 5.
#[test]
fn control_characters_in_an_http_reason_phrase_never_reach_the_terminal() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(
                b"HTTP/1.1 500 \x1b]0;owned\x07\x1b[2J\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &sample_arts()[..1]);
    let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--repository"]);
    cmd.arg(format!("http://127.0.0.1:{port}/"))
        .arg("--lockfile")
        .arg(&lock)
        .env("KCLRS_ARTIFACT_TIMEOUT", "20");
    let out = cmd.output().unwrap();
    assert_exit(&sb, &out, 5);
    assert_no_raw_controls(&sb, &out);
    assert!(!stderr(&out).contains("owned\u{7}"), "{}", stderr(&out));
}
