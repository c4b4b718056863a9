//! Unit tests of the `mvn` fallback: the POM it writes, how it calls Maven (with a recording fake
//! `mvn`), how failures read, and one real Maven run against a `file://` repository made of the
//! test artifacts that `tests/prepare.sh` put on this machine (no network).
#![allow(clippy::unwrap_used)]

use super::*;
use crate::env::Os;
use crate::error::classify;

/// The test artifacts' local repository; the tests fail (not skip) when it is missing.
fn test_m2() -> PathBuf {
    let m2 = std::env::var_os("KCLRS_TEST_M2").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kclrs-test/m2"),
        PathBuf::from,
    );
    assert!(
        m2.is_dir(),
        "{} is missing: run `bash tests/prepare.sh` (or set KCLRS_TEST_M2)",
        m2.display()
    );
    m2
}

/// The process's real PATH, so the real `mvn` and `java` are found.
fn real_env(home: &Path, cwd: &Path) -> Env {
    let mut env = Env::fake(Os::current(), Some(home.to_path_buf()), cwd.to_path_buf());
    for var in ["PATH", "JAVA_HOME"] {
        if let Some(v) = std::env::var_os(var) {
            env = env.with_var(var, v);
        }
    }
    env
}

#[test]
fn project_lists_each_artifact_once_with_extension_and_classifier() {
    let dir = tempfile::tempdir().unwrap();
    let coords: Vec<Coord> = [
        "a.b:c:1.0",
        "a.b:c:jar:linux-x86_64:1.0",
        "x:y:pom:2",
        "a.b:c:1.0",
    ]
    .iter()
    .map(|c| c.parse().unwrap())
    .collect();
    let pom = std::fs::read_to_string(write_project(dir.path(), &coords).unwrap()).unwrap();
    assert_eq!(pom.matches("<artifactItem>").count(), 3, "{pom}");
    assert!(pom.contains(
        "<artifactItem><groupId>a.b</groupId><artifactId>c</artifactId>\
         <version>1.0</version><type>jar</type><classifier>linux-x86_64</classifier></artifactItem>"
    ));
    assert!(pom.contains("<version>2</version><type>pom</type></artifactItem>"));
    assert!(
        pom.contains("<artifactId>maven-dependency-plugin</artifactId><version>3.8.1</version>")
    );
    assert!(pom.contains(&format!(
        "<outputDirectory>{}</outputDirectory>",
        dir.path().join("copied").display()
    )));
}

#[test]
fn tail_keeps_maven_cause_and_drops_its_advice_and_colours() {
    let text = "\u{1b}[0m\u{1b}[0m[ERROR] Failed to execute goal x: a:b:jar:1 was not found\n\
                [ERROR] second cause line\n[ERROR] \n\
                [ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.\n\
                [ERROR] [Help 1] http://help.test/\n\u{1b}[0m\n";
    assert_eq!(
        tail(text),
        "  [ERROR] Failed to execute goal x: a:b:jar:1 was not found\n  [ERROR] second cause line"
    );
    let many: String = (0..30).map(|i| format!("line {i}\n")).collect();
    let t = tail(&many);
    assert!(
        t.starts_with("  line 18\n") && t.ends_with("line 29"),
        "{t}"
    );
}

#[test]
fn missing_mvn_is_a_fetch_error_and_nothing_to_fetch_needs_no_mvn() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::fake(Os::Linux, None, dir.path().to_path_buf())
        .with_var("PATH", dir.path().join("empty-bin"));
    let coord: Coord = "a:b:1".parse().unwrap();
    let err = fetch_missing(&env, &[coord], None, dir.path()).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Fetch);
    assert!(err.to_string().contains("mvn is not on PATH"), "{err}");
    fetch_missing(&env, &[], None, dir.path()).unwrap();
}

/// A fake `mvn` that records its arguments and the POM, then exits with `code`. Returns a PATH
/// with `bin` first, then the real PATH (for `cat`).
#[cfg(unix)]
fn fake_mvn(bin: &Path, log: &Path, code: i32) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}'\ncat pom.xml > '{log}.pom'\n\
         {{ pwd -P; echo \"$MAVEN_BASEDIR\"; test -d .mvn && ls -A .mvn | wc -l; }} > '{log}.base'\n\
         echo '[INFO] working'\necho '[ERROR] Could not resolve a:b:jar:1' >&2\nexit {code}\n",
        log = log.display()
    );
    let path = bin.join("mvn");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

#[cfg(unix)]
#[test]
fn runs_one_mvn_from_env_path_with_pinned_plugin_repo_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let log = dir.path().join("args.txt");
    let path = fake_mvn(&bin, &log, 0);
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".m2")).unwrap();
    let env =
        Env::fake(Os::Linux, Some(home.clone()), dir.path().to_path_buf()).with_var("PATH", path);
    let coords: Vec<Coord> = ["g:a:1", "g:n:jar:linux-x86_64:2"]
        .iter()
        .map(|c| c.parse().unwrap())
        .collect();
    let repo = dir.path().join("repo");
    fetch_missing(&env, &coords, Some(Path::new("my-settings.xml")), &repo).unwrap();
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args[..4], ["-B", "-q", "-U", "-f"]);
    assert!(args[4].ends_with("pom.xml"));
    assert_eq!(args[5], format!("-Dmaven.repo.local={}", repo.display()));
    // Issue 21, finding 1: the work folder is Maven's project root, with an empty `.mvn/` of its
    // own, so the launcher never looks above it for another user's `.mvn/`.
    let base = std::fs::read_to_string(format!("{}.base", log.display())).unwrap();
    let base: Vec<&str> = base.lines().collect();
    assert_eq!(base.len(), 3, "{base:?}");
    assert_eq!(base[0], base[1], "MAVEN_BASEDIR is the work folder");
    assert_eq!(base[2].trim(), "0", "an empty .mvn/ in the work folder");
    assert!(Path::new(base[0]).starts_with(std::fs::canonicalize(std::env::temp_dir()).unwrap()));
    assert_eq!(
        args[6],
        format!("-Dmaven.multiModuleProjectDirectory={}", base[0])
    );
    assert_eq!(args[7], "-s");
    assert_eq!(
        args[8],
        dir.path().join("my-settings.xml").to_string_lossy()
    );
    assert_eq!(
        args[9],
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy"
    );
    let pom = std::fs::read_to_string(format!("{}.pom", log.display())).unwrap();
    assert_eq!(pom.matches("<artifactItem>").count(), 2, "{pom}");
    assert!(repo.is_dir());

    // Without --settings, Maven gets the user file kclrs read, when there is one.
    fetch_missing(&env, &coords, None, &repo).unwrap();
    let args = std::fs::read_to_string(&log).unwrap();
    assert!(!args.contains("\n-s\n"), "{args}");
    std::fs::write(home.join(".m2/settings.xml"), "<settings/>").unwrap();
    fetch_missing(&env, &coords, None, &repo).unwrap();
    let args = std::fs::read_to_string(&log).unwrap();
    assert!(
        args.contains(&format!(
            "\n-s\n{}\n",
            home.join(".m2/settings.xml").display()
        )),
        "{args}"
    );
}

#[cfg(unix)]
#[test]
fn failing_mvn_is_a_fetch_error_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let path = fake_mvn(&bin, &dir.path().join("args.txt"), 1);
    let env = Env::fake(Os::Linux, None, dir.path().to_path_buf()).with_var("PATH", path);
    let coord: Coord = "a:b:1".parse().unwrap();
    let err = fetch_missing(&env, &[coord], None, &dir.path().join("repo")).unwrap_err();
    let (exit, hint) = classify(&err);
    assert_eq!(exit, Exit::Fetch);
    assert!(hint.unwrap().contains("--no-mvn"));
    let text = err.to_string();
    assert!(
        text.contains("failed (status 1) fetching 1 artifact(s)"),
        "{text}"
    );
    assert!(
        text.contains("[ERROR] Could not resolve a:b:jar:1"),
        "{text}"
    );
    assert!(!text.contains("[INFO]"), "{text}");
}

/// `group/artifact/version/file` under `m2` back to coordinates (extension `jar`).
fn coord_of(m2: &Path, jar: &Path) -> Option<Coord> {
    let rel = jar.strip_prefix(m2).ok()?;
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let [group @ .., artifact, version, file] = parts.as_slice() else {
        return None;
    };
    let stem = file.strip_suffix(".jar")?;
    let classifier = stem.strip_prefix(&format!("{artifact}-{version}"))?;
    let classifier = classifier.strip_prefix('-').unwrap_or(classifier);
    let text = if classifier.is_empty() {
        format!("{}:{artifact}:{version}", group.join("."))
    } else {
        format!("{}:{artifact}:jar:{classifier}:{version}", group.join("."))
    };
    text.parse().ok()
}

/// The first jar (sorted walk) whose name has a classifier, if the test repository holds one.
fn jar_with_classifier(dir: &Path, m2: &Path) -> Option<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if let Some(found) = jar_with_classifier(&p, m2) {
                return Some(found);
            }
        } else if p.extension().is_some_and(|e| e == "jar")
            && coord_of(m2, &p).is_some_and(|c| !c.classifier.is_empty())
        {
            return Some(p);
        }
    }
    None
}

/// A real `mvn` run, no network: Maven's own settings make `central` a `file://` URL of the test
/// repository (an active profile, which kclrs does not read), and two real artifacts — a small
/// jar from the KCL's resolution and a jar with a classifier — land byte-identical in an empty
/// local repository.
#[test]
fn real_mvn_fetches_exactly_the_asked_artifacts_from_a_file_repository() {
    let m2 = test_m2();
    let reference = m2.parent().unwrap().join("reference/kcl-multilang.txt");
    let list = std::fs::read_to_string(&reference)
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash tests/prepare.sh`", reference.display()));
    // `group:artifact:jar:version:scope`: the smallest jar of the KCL's own resolution.
    let small = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|c| {
            let p: Vec<&str> = c.split(':').collect();
            (p.len() == 5 && p[2] == "jar")
                .then(|| format!("{}:{}:{}", p[0], p[1], p[3]).parse::<Coord>().ok())
                .flatten()
        })
        .min_by_key(|c: &Coord| {
            std::fs::metadata(m2.join(c.repo_path())).map_or(u64::MAX, |m| m.len())
        })
        .expect("the reference list names no jar");
    let mut coords = vec![small];
    if let Some(jar) = jar_with_classifier(&m2, &m2) {
        coords.extend(coord_of(&m2, &jar));
    }

    let sandbox = tempfile::tempdir().unwrap();
    let home = sandbox.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let url = reqwest::Url::from_directory_path(&m2).unwrap();
    let settings = sandbox.path().join("maven-only-settings.xml");
    let repo = format!(
        "<id>central</id><url>{url}</url><releases><enabled>true</enabled></releases>\
         <snapshots><enabled>false</enabled></snapshots>"
    );
    std::fs::write(
        &settings,
        format!(
            "<settings><profiles><profile><id>test-m2</id>\
             <repositories><repository>{repo}</repository></repositories>\
             <pluginRepositories><pluginRepository>{repo}</pluginRepository></pluginRepositories>\
             </profile></profiles><activeProfiles><activeProfile>test-m2</activeProfile></activeProfiles></settings>"
        ),
    )
    .unwrap();
    // kclrs itself sees no remote in that file.
    let env = real_env(&home, sandbox.path());
    let loaded = crate::transport::settings::load(&env, Some(&settings)).unwrap();
    assert!(crate::transport::settings::remotes(&env, &[], &loaded)
        .unwrap()
        .is_empty());

    let local = sandbox.path().join("local-repo");
    fetch_missing(&env, &coords, Some(&settings), &local).unwrap();
    for c in &coords {
        let got = std::fs::read(local.join(c.repo_path()))
            .unwrap_or_else(|e| panic!("{c} was not fetched: {e}"));
        let want = std::fs::read(m2.join(c.repo_path())).unwrap();
        assert!(got == want, "{c}: fetched bytes differ from the original");
    }
}
