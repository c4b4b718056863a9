//! Issue 18, items 3 and 4: `--log-level`/`--log-format` (the logback configuration kclrs writes,
//! `-l FILE` winning, the helper's `-l`) and class-data sharing (`run` by default, `print-command`
//! only with `--cds`, off for `--no-cds` and for the user's own sharing options), on the real
//! Java 17 and 25 with the real locked jars; then the real daemon on the local emulators through
//! `tests/e2e/logs_cds.sh` (JSON lines, WARN, the archive used by a second run, damaged and
//! garbage archives never breaking a start).
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::*;

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
const JDK25: &str = "/usr/lib/jvm/temurin-25-jdk-amd64";

/// A sandbox whose cache holds the committed lock's real jars (from the Maven test repository).
fn with_real_jars() -> Sandbox {
    let sb = Sandbox::new();
    let m2 = test_m2();
    let m2 = m2.to_str().unwrap();
    let out = sb.run([
        "download-jars",
        "--maven-repo-local",
        m2,
        "--offline",
        "--no-mvn",
        "--quiet",
    ]);
    assert_exit(&sb, &out, 0);
    sb
}

fn props(sb: &Sandbox) -> PathBuf {
    let processor = sb.write("app/processor.py", "");
    sb.write(
        "app/app.properties",
        format!(
            "executableName = python3 {}\nstreamName = s\napplicationName = a\n\
             AwsCredentialsProvider = DefaultCredentialsProvider\nregionName = us-east-1\n\
             shutdownGraceMillis = 30000\n",
            processor.display()
        ),
    )
}

/// The JVM options (the words before `-cp`) and the classpath of a printed JSON command.
fn jvm_options_and_classpath(out: &std::process::Output) -> (Vec<String>, String) {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let args: Vec<String> = v["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let cp = args.iter().position(|a| a == "-cp").unwrap();
    (args[..cp].to_vec(), args[cp + 1].clone())
}

fn value_after(args: &[String], flag: &str) -> Option<String> {
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).cloned()
}

#[test]
fn log_flags_write_a_logback_configuration_and_a_users_file_wins() {
    let sb = Sandbox::new();
    let p = props(&sb);
    let p = p.to_str().unwrap();
    let print = |extra: &[&str]| {
        let mut args = vec!["print-command", "-p", p, "-j", JDK17, "--format", "json"];
        args.extend_from_slice(extra);
        sb.run(args)
    };
    let args_of = |out: &std::process::Output| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };

    // Neither flag: the daemon keeps the jar's own logback.xml, as before.
    let out = print(&[]);
    assert_exit(&sb, &out, 0);
    let plain = args_of(&out);
    assert_eq!(plain[0], "-cp", "{plain:?}");
    assert!(
        !plain.iter().any(|a| a == "--log-configuration"),
        "{plain:?}"
    );

    let out = print(&["--log-level", "WARN", "--log-format", "json"]);
    assert_exit(&sb, &out, 0);
    let args = args_of(&out);
    let config = PathBuf::from(value_after(&args, "--log-configuration").unwrap());
    assert!(config.starts_with(sb.cache().join("logging")), "{config:?}");
    let xml = std::fs::read_to_string(&config).unwrap();
    assert!(xml.contains("<root level=\"WARN\">"), "{xml}");
    assert!(
        xml.contains("ch.qos.logback.classic.encoder.JsonEncoder"),
        "{xml}"
    );
    // JSON mode moves the JVM's own messages and unified logging to stderr.
    assert_eq!(
        args[..3],
        [
            "-XX:+DisplayVMOutputToStderr",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr:uptime,level,tags"
        ]
    );
    // The same flags again: the same file (content-addressed), nothing new written.
    let again = args_of(&print(&["--log-format", "json", "--log-level", "warn"]));
    assert_eq!(
        value_after(&again, "--log-configuration"),
        Some(config.display().to_string())
    );
    assert_eq!(
        std::fs::read_dir(config.parent().unwrap()).unwrap().count(),
        1
    );

    let text = args_of(&print(&["--log-level", "debug"]));
    assert!(!text.iter().any(|a| a.starts_with("-Xlog")), "{text:?}");
    let xml = std::fs::read_to_string(value_after(&text, "--log-configuration").unwrap()).unwrap();
    assert!(
        xml.contains("<root level=\"DEBUG\">") && xml.contains("%mdc{ShardId:-NONE}"),
        "{xml}"
    );

    // A user's own file wins, with a warning that names it.
    let mine = sb.write("my-logback.xml", "<configuration/>");
    let out = print(&["-l", mine.to_str().unwrap(), "--log-level", "WARN"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        value_after(&args_of(&out), "--log-configuration"),
        Some(mine.display().to_string())
    );
    assert!(
        stderr(&out).contains("--log-level/--log-format ignored")
            && stderr(&out).contains("my-logback.xml"),
        "{}",
        stderr(&out)
    );

    // The helper's -l keeps working.
    let out = sb.run([
        "--print_command",
        "-p",
        p,
        "-j",
        JDK17,
        "-l",
        mine.to_str().unwrap(),
    ]);
    assert_exit(&sb, &out, 0);
    assert!(
        stdout(&out).ends_with(&format!("--log-configuration {}\n", mine.display())),
        "{}",
        stdout(&out)
    );

    let out = print(&["--log-level", "loud"]);
    assert_exit(&sb, &out, 2);
    assert!(stderr(&out).contains("--log-level"), "{}", stderr(&out));
}

#[test]
fn class_data_sharing_by_default_in_run_and_only_with_cds_in_print_command() {
    let sb = with_real_jars();
    let p = props(&sb);
    let p = p.to_str().unwrap();
    let props_dir = Path::new(p).parent().unwrap().display().to_string();
    let cds_dir = sb.cache().join("cds").display().to_string();
    let run = |cmd: &str, java: &str, extra: &[&str]| {
        let mut args = vec![cmd, "-p", p, "-j", java];
        if cmd == "print-command" {
            args.extend(["--format", "json"]);
        } else {
            args.extend(["--dry-run", "--offline", "-q"]);
        }
        args.extend_from_slice(extra);
        let out = sb.run(args);
        assert_exit(&sb, &out, 0);
        out
    };
    let words = |out: &std::process::Output| -> Vec<String> {
        stdout(out)
            .split_whitespace()
            .map(|w| w.trim_matches('\'').to_string())
            .collect()
    };

    // print-command: none unless asked (the command may run on another machine).
    let (jvm, cp) = jvm_options_and_classpath(&run("print-command", JDK17, &[]));
    assert!(jvm.is_empty(), "{jvm:?}");
    assert!(cp.ends_with(&format!(":{props_dir}")), "{cp}");
    let (jvm, cp) = jvm_options_and_classpath(&run("print-command", JDK17, &["--cds"]));
    let dump = jvm[0]
        .strip_prefix("-XX:ArchiveClassesAtExit=")
        .unwrap_or_else(|| panic!("{jvm:?}"));
    assert!(
        dump.starts_with(&cds_dir) && dump.ends_with(".partial"),
        "{dump}"
    );
    assert_eq!(jvm[1..], ["-Xlog:cds=off"]);
    // Java 13-18 keep the properties folder (last on the classpath).
    assert!(cp.ends_with(&format!(":{props_dir}")), "{cp}");

    // Java 25: the AOT cache, dumped at exit like Java 17's archive; the folder leaves the
    // classpath.
    let (jvm, cp) = jvm_options_and_classpath(&run("print-command", JDK25, &["--cds"]));
    let aot = jvm[0]
        .strip_prefix("-XX:AOTCacheOutput=")
        .unwrap_or_else(|| panic!("{jvm:?}"));
    assert!(
        aot.starts_with(&cds_dir) && aot.ends_with(".partial"),
        "{aot}"
    );
    assert!(!cp.contains(&props_dir), "{cp}");
    // KCLRS_CDS_AOT=0: the dynamic archive, which the JVM creates and replaces itself.
    let out = sb
        .cmd([
            "print-command",
            "-p",
            p,
            "-j",
            JDK25,
            "--cds",
            "--format",
            "json",
        ])
        .env("KCLRS_CDS_AOT", "0")
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let (jvm, cp) = jvm_options_and_classpath(&out);
    assert_eq!(jvm[0], "-XX:+AutoCreateSharedArchive", "{jvm:?}");
    assert!(
        jvm[1].starts_with(&format!("-XX:SharedArchiveFile={cds_dir}/")),
        "{jvm:?}"
    );
    assert!(!cp.contains(&props_dir), "{cp}");

    // run (here --dry-run): by default, with the same options; --no-cds and the user's own
    // sharing options (-J, JAVA_TOOL_OPTIONS) leave them out.
    let line = words(&run("run", JDK17, &[]));
    assert!(line[1].starts_with("-XX:ArchiveClassesAtExit="), "{line:?}");
    assert!(!words(&run("run", JDK17, &["--no-cds"]))
        .iter()
        .any(|w| w.starts_with("-XX:")));
    let own = words(&run("run", JDK17, &["-J-Xshare:off"]));
    assert_eq!(
        own.iter()
            .filter(|w| w.starts_with("-X"))
            .collect::<Vec<_>>(),
        ["-Xshare:off"]
    );
    let out = sb
        .cmd(["run", "-p", p, "-j", JDK17, "--dry-run", "--offline", "-q"])
        .env("JAVA_TOOL_OPTIONS", "-Xshare:off")
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    assert!(
        !words(&out).iter().any(|w| w.starts_with("-XX:")),
        "{}",
        stdout(&out)
    );

    // Java 11: no dynamic archive; print-command --cds says why.
    let java11 = sb.root().join("jdk11");
    std::fs::create_dir_all(java11.join("bin")).unwrap();
    std::fs::write(java11.join("release"), "JAVA_VERSION=\"11.0.2\"\n").unwrap();
    std::os::unix::fs::symlink(format!("{JDK17}/bin/java"), java11.join("bin/java")).unwrap();
    let out = sb.run([
        "print-command",
        "-p",
        p,
        "-j",
        java11.to_str().unwrap(),
        "--cds",
        "--ignore-java-version",
    ]);
    assert_exit(&sb, &out, 0);
    assert!(!stdout(&out).contains("-XX:"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("no class-data sharing: Java 11.0.2"),
        "{}",
        stderr(&out)
    );
}

/// The real daemon on the local emulators, on Java 17 (dynamic archive) and 25 (AOT cache): see
/// tests/e2e/logs_cds.sh. Alone: `cargo test --test cli logs_cds::real -- --nocapture`.
#[test]
fn real_daemon_json_lines_warn_level_and_archives_used_damaged_and_replaced() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for java in [JDK17, JDK25] {
        let started = Instant::now();
        // A cache of its own per Java: the script looks for the one archive in it.
        let sb = with_real_jars();
        let mut cmd = Command::new("bash");
        cmd.arg(repo.join("tests/e2e/logs_cds.sh"))
            .arg(sb.root().join("flow"))
            .arg(BIN)
            .arg(sb.cache())
            .arg(java)
            .current_dir(sb.work())
            .env("HOME", sb.home())
            .stdin(Stdio::null());
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        let out = cmd.output().expect("bash runs");
        let text = format!("{}{}", stdout(&out), stderr(&out));
        let secs = started.elapsed().as_secs_f64();
        eprintln!("---- logs_cds.sh on {java} ({secs:.0} s) ----\n{text}");
        assert!(
            out.status.success() && text.contains("e2e: OK (logs and class-data sharing"),
            "logs_cds.sh on {java} failed ({}):\n{text}",
            out.status
        );
    }
}
