//! `kclrs java` through the binary: the machine's real JDKs (found on PATH through symlinks and
//! in /usr/lib/jvm, de-duplicated, versions as the JVMs themselves report them), the lockfile's
//! minimum, and fake homes for every error an explicit choice can produce.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::*;

const JDK17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";
const JDK25: &str = "/usr/lib/jvm/temurin-25-jdk-amd64";

fn require_real_jdks() {
    for jdk in [JDK17, JDK25] {
        assert!(
            Path::new(jdk).join("bin/java").is_file(),
            "this test needs the JDK at {jdk}"
        );
    }
}

/// What `java -version` prints (stderr), to compare with what kclrs reports.
fn banner(java: &str) -> String {
    let out = Command::new(java).arg("-version").output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A sandbox PATH holding only a `java` symlink to /usr/bin/java (itself a symlink chain
/// through /etc/alternatives on Debian), plus the tools a shell needs.
fn path_with_system_java(sb: &Sandbox) -> String {
    let bin = sb.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink("/usr/bin/java", bin.join("java")).unwrap();
    bin.display().to_string()
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(out)))
}

fn homes(v: &Value) -> Vec<String> {
    v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["home"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn real_jdks_are_listed_once_with_their_own_versions() {
    require_real_jdks();
    let sb = Sandbox::new();
    let out = sb
        .cmd(["java", "--json"])
        .env("PATH", path_with_system_java(&sb))
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let v = json(&out);
    let real_java = std::fs::canonicalize("/usr/bin/java").unwrap();
    let path_home = real_java.parent().unwrap().parent().unwrap();
    let chosen = &v["chosen"];
    assert_eq!(chosen["source"], "PATH");
    assert_eq!(chosen["java"], real_java.display().to_string());
    assert_eq!(chosen["home"], path_home.display().to_string());
    assert_eq!(chosen["rejected"], Value::Null);
    assert_eq!(&v["candidates"][0], chosen);

    // Both real JDKs, each once: the java-1.17.0 symlink and openjdk-17 (src.zip only) are not
    // separate candidates, and the PATH one is not listed again under /usr/lib/jvm.
    let mut listed = homes(&v);
    listed.sort();
    assert_eq!(listed, [JDK17, JDK25], "{v:#}");
    for c in v["candidates"].as_array().unwrap() {
        let java = c["java"].as_str().unwrap();
        let version = c["version"].as_str().unwrap();
        assert!(
            banner(java).contains(&format!("\"{version}\"")),
            "{java} does not call itself {version}"
        );
        let feature = c["feature"].as_u64().unwrap();
        assert!(version.starts_with(&format!("{feature}.")), "{c}");
        if c["home"] != chosen["home"] {
            assert_eq!(c["source"], "/usr/lib/jvm");
            assert_eq!(c["rejected"], Value::Null);
        }
    }
}

#[test]
fn lockfile_minimum_skips_older_jdks_and_can_reject_all() {
    require_real_jdks();
    let sb = Sandbox::new();
    let path = path_with_system_java(&sb);
    let lock21 = sb.write("lock21.toml", "version = 1\nroots = []\nmin-java = 21\n");
    let out = sb
        .cmd(["java", "--json", "--lockfile"])
        .arg(&lock21)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let v = json(&out);
    assert_eq!(v["chosen"]["home"], JDK25);
    assert_eq!(v["chosen"]["feature"], 25);
    let jdk17 = v["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["home"] == JDK17)
        .unwrap();
    assert_eq!(
        jdk17["rejected"],
        "Java 17 is older than Java 21, the minimum for the locked jars"
    );

    // Given relative to the working directory (work/).
    sb.write("lock99.toml", "version = 1\nroots = []\nmin-java = 99\n");
    let out = sb
        .cmd(["java", "--json", "--lockfile", "../lock99.toml"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 4);
    assert_eq!(json(&out)["chosen"], Value::Null);
    let err = stderr(&out);
    assert!(
        err.starts_with("error: no usable Java found (need Java 99 or newer); candidates:\n"),
        "{err}"
    );
    for jdk in [JDK17, JDK25] {
        assert!(
            err.contains(&format!("{jdk}/bin/java (Java ")),
            "{jdk} missing from: {err}"
        );
    }
    assert!(
        err.contains(
            "hint: install Java 99 or newer and point --java, KCLRS_JAVA or JAVA_HOME at it"
        ),
        "{err}"
    );
}

/// A fake Java home whose `bin/java` prints `banner` on stderr; no `release` file, so kclrs has
/// to run it.
fn fake_home(sb: &Sandbox, rel: &str, banner: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    // Shell builtins only: the tests run kclrs with a PATH that has no `cat`.
    let echoes: String = banner
        .lines()
        .map(|l| format!("echo '{l}' >&2\n"))
        .collect();
    let java = sb.write(&format!("{rel}/bin/java"), format!("#!/bin/sh\n{echoes}"));
    std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.root().join(rel)
}

#[test]
fn fake_homes_from_each_variable_and_the_human_table() {
    let sb = Sandbox::new();
    let jdk11 = fake_home(&sb, "jdk11", "openjdk version \"11.0.2\" 2019-01-15");
    let jdk21 = fake_home(
        &sb,
        "jdk21",
        "Picked up JAVA_TOOL_OPTIONS: -Xss2m\nopenjdk version \"21-ea\" 2023-09-19",
    );
    let out = sb
        .cmd(["java", "--json"])
        .env("KCLRS_JAVA", &jdk21)
        .env("JAVA_HOME", &jdk11)
        .env("PATH", sb.root().join("nothing"))
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let v = json(&out);
    assert_eq!(v["chosen"]["source"], "KCLRS_JAVA");
    assert_eq!(v["chosen"]["version"], "21-ea");
    assert_eq!(v["chosen"]["feature"], 21);
    assert_eq!(v["candidates"][1]["source"], "JAVA_HOME");
    assert_eq!(v["candidates"][1]["version"], "11.0.2");

    // A lock that records no min-java: the documented floor of Java 7 applies.
    let lock = sb.write("floor.lock", "version = 1\nroots = []\n");
    let out = sb
        .cmd(["java", "--lockfile"])
        .arg(&lock)
        .env("JAVA_HOME", &jdk11)
        .env("PATH", sb.root().join("nothing"))
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    let text = sb.filter(&stdout(&out));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "Minimum Java: 7 — from [SANDBOX]/floor.lock");
    let row = lines[1];
    assert!(
        row.starts_with("* 11.0.2 ")
            && row.contains(" JAVA_HOME ")
            && row.ends_with(" [SANDBOX]/jdk11/bin/java"),
        "{text}"
    );
    assert_eq!(
        *lines.last().unwrap(),
        "Using [SANDBOX]/jdk11/bin/java (Java 11.0.2, from JAVA_HOME)."
    );
}

/// Exit code and stderr only: stdout lists the machine's own JDKs too.
fn error_transcript(sb: &Sandbox, out: &std::process::Output) -> String {
    sb.filter(&format!(
        "exit: {}\n{}",
        out.status.code().unwrap_or(-1),
        stderr(out)
    ))
}

#[test]
fn unusable_explicit_choices_are_errors() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let jdk6 = fake_home(&sb, "work/jdk6", "java version \"1.6.0_45\"");
    let noexec = fake_home(&sb, "noexec", "openjdk version \"17\"");
    std::fs::set_permissions(
        noexec.join("bin/java"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let broken = sb.write(
        "broken/bin/java",
        "#!/bin/sh\necho 'Error: libjvm.so not found' >&2\nexit 1\n",
    );
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A lock that records no min-java, so the floor (Java 7) is the minimum.
    let lock = sb.write("floor.lock", "version = 1\nroots = []\n");
    let mut transcript = String::new();
    let mut record = |label: &str, cmd: &mut Command| {
        let out = cmd.arg("--lockfile").arg(&lock).output().unwrap();
        transcript.push_str(&format!("## {label}\n{}\n", error_transcript(&sb, &out)));
    };
    assert!(jdk6.join("bin/java").is_file());
    record(
        "too old, relative --java binary",
        &mut sb.cmd(["java", "--java", "jdk6/bin/java"]),
    );
    record(
        "missing --java",
        &mut sb.cmd(["java", "-j", "/nonexistent/jdk"]),
    );
    record(
        "not executable KCLRS_JAVA",
        sb.cmd(["java"]).env("KCLRS_JAVA", &noexec),
    );
    record(
        "no version",
        sb.cmd(["java", "--json", "--java"]).arg(&broken),
    );
    insta::assert_snapshot!(transcript);
}

/// The version gate on launch: a real lock of the full closure (javapoet included, Java 17)
/// against fake Java 11 and 17 homes; what each refusal says, the override, the `JAVA_HOME`
/// switch, the built-in lock on Java 11; then the exclusion the hint names, run as printed, gives
/// the committed `jars.lock` back.
#[test]
fn too_old_java_names_the_jar_and_the_hinted_exclusion_fixes_it() {
    let m2 = test_m2();
    let m2 = m2.to_str().unwrap();
    let sb = Sandbox::new();
    let jdk7 = fake_home(&sb, "jdk7", "java version \"1.7.0_80\"");
    let jdk11 = fake_home(&sb, "jdk11", "openjdk version \"11.0.13\" 2021-10-19");
    let jdk17 = fake_home(&sb, "jdk17", "openjdk version \"17.0.15\" 2025-04-15");
    let out = sb.run([
        "lock",
        "--kcl-version",
        "3.1.3",
        "--maven-repo-local",
        m2,
        "-o",
        "full.lock",
        "-q",
    ]);
    assert_exit(&sb, &out, 0);
    let nothing = sb.root().join("nothing");
    let mut transcript = String::new();
    let mut hint_command = String::new();
    let mut record = |label: &str, path: &Path, cmd: &mut Command| {
        let out = cmd.env("PATH", path).output().unwrap();
        let text = sb.transcript(&out);
        if let Some((_, rest)) = stderr(&out).split_once("leave it out: `") {
            hint_command = rest.split('`').next().unwrap().to_string();
        }
        transcript.push_str(&format!("## {label}\n{text}\n"));
    };
    let print = |lock: &str| {
        let mut c = sb.cmd(["print-command", "--sample"]);
        if !lock.is_empty() {
            c.args(["--lockfile", lock]);
        }
        c
    };
    record(
        "lock with javapoet, --java Java 11",
        &nothing,
        print("full.lock").arg("--java").arg(&jdk11),
    );
    record(
        "the same with --ignore-java-version",
        &nothing,
        print("full.lock")
            .args(["--ignore-java-version", "--java"])
            .arg(&jdk11),
    );
    record(
        "the same with KCLRS_IGNORE_JAVA_VERSION=1",
        &nothing,
        print("full.lock")
            .arg("--java")
            .arg(&jdk11)
            .env("KCLRS_IGNORE_JAVA_VERSION", "1"),
    );
    record(
        "KCLRS_IGNORE_JAVA_VERSION=maybe",
        &nothing,
        print("full.lock")
            .arg("--java")
            .arg(&jdk11)
            .env("KCLRS_IGNORE_JAVA_VERSION", "maybe"),
    );
    record(
        "JAVA_HOME Java 11, Java 17 on PATH",
        &jdk17.join("bin"),
        print("full.lock").env("JAVA_HOME", &jdk11),
    );
    record(
        "built-in lock, --java Java 11",
        &nothing,
        print("").arg("--java").arg(&jdk11),
    );
    record(
        "built-in lock, --java Java 7",
        &nothing,
        print("").arg("--java").arg(&jdk7),
    );
    insta::with_settings!({filters => vec![(r"-cp \S+", "-cp [CLASSPATH]")]}, {
        insta::assert_snapshot!(transcript);
    });

    // Follow the hint as printed: it re-locks full.lock without javapoet, which is then the
    // committed jars.lock byte for byte, and Java 11 is accepted.
    let words: Vec<&str> = hint_command.split_whitespace().collect();
    assert_eq!(words[..2], ["kclrs", "lock"], "{hint_command}");
    let mut args = words[1..].to_vec();
    args.extend(["--maven-repo-local", m2, "-q"]);
    let out = sb.run(args);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        std::fs::read_to_string(sb.work().join("full.lock")).unwrap(),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("jars.lock")).unwrap()
    );
    let out = print("full.lock")
        .arg("--java")
        .arg(&jdk11)
        .env("PATH", &nothing)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    assert!(!stderr(&out).contains("Java 1"), "{}", stderr(&out));
}
