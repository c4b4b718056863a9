//! The decisions of class-data sharing on fake Java homes (a `release` file, a `libjvm` and a
//! `bin/java` script that records its arguments) and fake jars in temp folders; the real JVM is
//! exercised by tests/cli/cds.rs.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;

fn java_id(feature: u32) -> JavaId {
    JavaId {
        home: PathBuf::from(format!("/jdk{feature}")),
        version: format!("{feature}.0.1"),
        feature,
        vendor: "Test".to_string(),
        build: format!("{feature}.0.1+9"),
        jvm_library: "lib/server/libjvm.so 10 20".to_string(),
    }
}

fn jars(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|n| {
            let p = dir.join(n);
            std::fs::write(&p, n.as_bytes()).unwrap();
            p
        })
        .collect()
}

fn set_mtime(path: &Path, when: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[test]
fn mode_follows_the_java_feature_version() {
    for (feature, want) in [
        (0, None),
        (8, None),
        (11, None),
        (12, None),
        (13, Some(Mode::DumpAtExit)),
        (17, Some(Mode::DumpAtExit)),
        (18, Some(Mode::DumpAtExit)),
        (19, Some(Mode::AutoCreate)),
        (21, Some(Mode::AutoCreate)),
        (24, Some(Mode::AutoCreate)),
        (25, Some(Mode::AutoCreate)),
    ] {
        assert_eq!(mode_for(feature, false), want, "Java {feature}");
    }
    // The AOT cache only where -XX:AOTCacheOutput exists.
    assert_eq!(mode_for(24, true), Some(Mode::AutoCreate));
    assert_eq!(mode_for(25, true), Some(Mode::AotCache));
    assert_eq!(mode_for(17, true), Some(Mode::DumpAtExit));
}

#[test]
fn key_changes_with_every_input_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let cp = jars(dir.path(), &["a.jar", "b.jar"]);
    let java = java_id(17);
    let args = vec!["-XX:+UseZGC".to_string(), "-Xmx1g".to_string()];
    let base = Inputs {
        lock_input_hash: Some("abc"),
        classpath: &cp,
        jvm_args: &args,
        java: &java,
    };
    let k = key(&base, Mode::DumpAtExit).unwrap();
    assert_eq!(k.len(), 32);
    assert_eq!(key(&base, Mode::DumpAtExit).unwrap(), k, "deterministic");
    assert_ne!(key(&base, Mode::AutoCreate).unwrap(), k);

    let other_lock = Inputs {
        lock_input_hash: Some("abd"),
        ..base
    };
    assert_ne!(key(&other_lock, Mode::DumpAtExit).unwrap(), k);
    let no_args: Vec<String> = Vec::new();
    let fewer_args = Inputs {
        jvm_args: &no_args,
        ..base
    };
    assert_ne!(key(&fewer_args, Mode::DumpAtExit).unwrap(), k);
    // Options that do not change what an archive holds keep the key.
    let same = vec![
        "-XX:+UseZGC".to_string(),
        "-Xmx2g".to_string(),
        "-Dx=y".to_string(),
        "-Xlog:class+load".to_string(),
    ];
    let harmless = Inputs {
        jvm_args: &same,
        ..base
    };
    assert_eq!(key(&harmless, Mode::DumpAtExit).unwrap(), k);
    let reordered = vec![cp[1].clone(), cp[0].clone()];
    let order = Inputs {
        classpath: &reordered,
        ..base
    };
    assert_ne!(key(&order, Mode::DumpAtExit).unwrap(), k);

    // Another Java: home, version, vendor, build or JVM library.
    let changes: [fn(&mut JavaId); 5] = [
        |j| j.home = PathBuf::from("/other"),
        |j| j.version = "17.0.2".to_string(),
        |j| j.vendor = "Other".to_string(),
        |j| j.build = "17.0.1+10".to_string(),
        |j| j.jvm_library = "lib/server/libjvm.so 10 21".to_string(),
    ];
    for change in changes {
        let mut j = java.clone();
        change(&mut j);
        let inputs = Inputs { java: &j, ..base };
        assert_ne!(key(&inputs, Mode::DumpAtExit).unwrap(), k, "{j:?}");
    }

    // A jar touched (same bytes, new mtime) is another classpath to the JVM.
    set_mtime(&cp[0], SystemTime::now() + Duration::from_secs(3));
    assert_ne!(key(&base, Mode::DumpAtExit).unwrap(), k);

    // A folder: Java 13–18 take one after the last jar, nothing else does.
    let with_dir = vec![cp[0].clone(), dir.path().to_path_buf()];
    let folder = Inputs {
        classpath: &with_dir,
        ..base
    };
    assert!(key(&folder, Mode::DumpAtExit).is_ok());
    assert_eq!(
        key(&folder, Mode::AutoCreate),
        Err(Unsupported::Folder(dir.path().to_path_buf()))
    );
    let dir_first = vec![dir.path().to_path_buf(), cp[0].clone()];
    let first = Inputs {
        classpath: &dir_first,
        ..base
    };
    assert_eq!(
        key(&first, Mode::DumpAtExit),
        Err(Unsupported::Folder(dir.path().to_path_buf()))
    );
    let missing = vec![dir.path().join("gone.jar")];
    let gone = Inputs {
        classpath: &missing,
        ..base
    };
    assert_eq!(
        key(&gone, Mode::DumpAtExit),
        Err(Unsupported::Unreadable(dir.path().join("gone.jar")))
    );
}

#[test]
fn flags_per_mode_and_plan() {
    let p = PathBuf::from("/c/cds/k.jsa");
    assert_eq!(
        flags(Mode::DumpAtExit, &Plan::Create(p.clone())),
        ["-XX:ArchiveClassesAtExit=/c/cds/k.jsa", "-Xlog:cds=off"]
    );
    assert_eq!(
        flags(Mode::DumpAtExit, &Plan::Use(p.clone())),
        [
            "-XX:SharedArchiveFile=/c/cds/k.jsa",
            "-XX:+VerifySharedSpaces",
            "-Xlog:cds=off"
        ]
    );
    assert_eq!(
        flags(Mode::AutoCreate, &Plan::Auto(p.clone())),
        [
            "-XX:+AutoCreateSharedArchive",
            "-XX:SharedArchiveFile=/c/cds/k.jsa",
            "-XX:+VerifySharedSpaces",
            "-Xlog:cds=off"
        ]
    );
    assert_eq!(
        flags(Mode::AotCache, &Plan::Create(p.clone())),
        [
            "-XX:AOTCacheOutput=/c/cds/k.jsa",
            "-Xlog:cds=off",
            "-Xlog:aot=off"
        ]
    );
    assert_eq!(
        flags(Mode::AotCache, &Plan::Use(p.clone())),
        [
            "-XX:AOTCache=/c/cds/k.jsa",
            "-XX:+VerifySharedSpaces",
            "-Xlog:cds=off",
            "-Xlog:aot=off"
        ]
    );
    assert_eq!(
        check_flags(Mode::DumpAtExit, &p),
        [
            "-Xlog:disable",
            "-XX:+VerifySharedSpaces",
            "-Xshare:on",
            "-XX:SharedArchiveFile=/c/cds/k.jsa"
        ]
    );
    assert_eq!(
        check_flags(Mode::AotCache, &p)[2..],
        ["-XX:AOTMode=on", "-XX:AOTCache=/c/cds/k.jsa"]
    );
}

#[test]
fn users_own_sharing_options_switch_kclrs_off() {
    assert!(!user_manages_cds(["-Xmx1g", "-Dx=-Xshare"]));
    for own in [
        "-Xshare:off",
        "-XX:SharedArchiveFile=/x.jsa",
        "-XX:ArchiveClassesAtExit=/x.jsa",
        "-XX:-AutoCreateSharedArchive",
        "-XX:AOTCache=/x.aot",
        "-XX:AOTMode=off",
    ] {
        assert!(user_manages_cds(["-Xmx1g", own]), "{own}");
    }
    // JAVA_TOOL_OPTIONS holds several options in one value.
    assert!(user_manages_cds(["-Da=b -Xshare:off"]));
}

/// `accepts` that records which archives it was asked about and answers `answer`.
fn checker(answer: bool) -> (std::cell::RefCell<Vec<PathBuf>>, bool) {
    (std::cell::RefCell::new(Vec::new()), answer)
}

fn run_plan(dir: &Path, mode: Mode, check: &(std::cell::RefCell<Vec<PathBuf>>, bool)) -> Plan {
    let accepts = |p: &Path| {
        check.0.borrow_mut().push(p.to_path_buf());
        check.1
    };
    plan(dir, "k", mode, &accepts).unwrap()
}

#[test]
fn dump_at_exit_creates_then_promotes_a_checked_dump() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("cds");
    let yes = checker(true);
    let Plan::Create(partial) = run_plan(&dir, Mode::DumpAtExit, &yes) else {
        panic!("no archive yet: create one");
    };
    assert!(yes.0.borrow().is_empty(), "nothing to check yet");
    assert_eq!(partial.parent(), Some(dir.as_path()));
    let name = partial.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("k.") && name.ends_with(".partial"),
        "{name}"
    );

    // The JVM wrote it at exit: the next start checks it and moves it into place.
    std::fs::write(&partial, b"archive").unwrap();
    let archive = dir.join("k.jsa");
    assert_eq!(
        run_plan(&dir, Mode::DumpAtExit, &yes),
        Plan::Use(archive.clone())
    );
    assert_eq!(*yes.0.borrow(), vec![partial.clone()]);
    assert!(!partial.exists());

    // Checked once: later starts trust the stamp.
    let again = checker(false);
    assert_eq!(
        run_plan(&dir, Mode::DumpAtExit, &again),
        Plan::Use(archive.clone())
    );
    assert!(again.0.borrow().is_empty());

    // Replaced behind kclrs's back (another size): checked again; refused, it is removed and a
    // new one is dumped.
    std::fs::write(&archive, b"garbage!!").unwrap();
    let Plan::Create(_) = run_plan(&dir, Mode::DumpAtExit, &again) else {
        panic!("a refused archive is replaced");
    };
    assert_eq!(*again.0.borrow(), vec![archive.clone()]);
    assert!(!archive.exists());
}

#[test]
fn refused_dumps_wait_out_a_writer_then_go() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let fresh = dir.join("k.1-1.partial");
    let stale = dir.join("k.2-2.partial");
    let foreign = dir.join("other.3-3.partial");
    for p in [&fresh, &stale, &foreign] {
        std::fs::write(p, b"half").unwrap();
    }
    set_mtime(&stale, SystemTime::now() - Duration::from_secs(3600));
    let no = checker(false);
    let Plan::Create(_) = run_plan(&dir, Mode::DumpAtExit, &no) else {
        panic!("nothing usable");
    };
    assert_eq!(no.0.borrow().len(), 2, "only this key's dumps are checked");
    // A JVM may still be writing the fresh one (header last): it stays for now.
    assert!(fresh.exists());
    assert!(!stale.exists());
    assert!(foreign.exists());
}

#[test]
fn auto_create_leaves_writing_to_the_jvm_but_checks_before_first_use() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let archive = dir.join("k.jsa");
    let yes = checker(true);
    assert_eq!(
        run_plan(&dir, Mode::AutoCreate, &yes),
        Plan::Auto(archive.clone())
    );
    assert!(yes.0.borrow().is_empty());
    std::fs::write(&archive, b"written at exit").unwrap();
    assert_eq!(
        run_plan(&dir, Mode::AutoCreate, &yes),
        Plan::Auto(archive.clone())
    );
    assert_eq!(yes.0.borrow().len(), 1);
    // A corrupt one is deleted: the JVM starts without it and writes a new one at exit.
    std::fs::write(&archive, b"corrupt").unwrap();
    let no = checker(false);
    assert_eq!(
        run_plan(&dir, Mode::AutoCreate, &no),
        Plan::Auto(archive.clone())
    );
    assert!(!archive.exists());
}

#[test]
fn java_id_reads_release_and_the_jvm_library() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    std::fs::create_dir_all(home.join("lib/server")).unwrap();
    std::fs::write(
        home.join("release"),
        "IMPLEMENTOR=\"Eclipse Adoptium\"\nIMPLEMENTOR_VERSION=\"Temurin-25.0.3+9\"\n\
         JAVA_RUNTIME_VERSION=\"25.0.3+9-LTS\"\nJAVA_VERSION=\"25.0.3\"\n",
    )
    .unwrap();
    std::fs::write(home.join("lib/server/libjvm.so"), b"elf").unwrap();
    let id = JavaId::read(home, "25.0.3", 25);
    assert_eq!(id.vendor, "Eclipse Adoptium Temurin-25.0.3+9");
    assert_eq!(id.build, "25.0.3+9-LTS");
    assert!(
        id.jvm_library.starts_with("lib/server/libjvm.so 3 "),
        "{id:?}"
    );
    let bare = JavaId::read(&home.join("nothing"), "17", 17);
    assert_eq!((bare.vendor.as_str(), bare.build.as_str()), ("", ""));
}

/// A Java home whose `bin/java` appends its arguments to `calls` and exits with `status`.
#[cfg(unix)]
fn script_java(home: &Path, calls: &Path, status: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(home.join("bin")).unwrap();
    let java = home.join("bin/java");
    std::fs::write(
        &java,
        format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nexit {status}\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
    java
}

#[cfg(unix)]
#[test]
fn decide_checks_a_new_archive_with_that_java_and_never_below_13() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = crate::cache::Cache::new(tmp.path().join("cache"));
    let cp = jars(tmp.path(), &["a.jar"]);
    let calls = tmp.path().join("calls.txt");
    let no_args: Vec<String> = Vec::new();
    let joined = OsString::from(cp[0].as_os_str());
    for (feature, status) in [(17, 0), (17, 1), (21, 0), (11, 0)] {
        let home = tmp.path().join(format!("jdk-{feature}-{status}"));
        let java_bin = script_java(&home, &calls, status);
        let java = JavaId::read(&home, &format!("{feature}.0.1"), feature);
        let start = Start {
            cache: &cache,
            java_bin: &java_bin,
            inputs: Inputs {
                lock_input_hash: None,
                classpath: &cp,
                jvm_args: &no_args,
                java: &java,
            },
            joined_classpath: &joined,
            aot: false,
        };
        let _ = std::fs::remove_file(&calls);
        if feature < 13 {
            let why = decide(&start).unwrap_err();
            assert!(why.contains("Java 13 or newer"), "{why}");
            continue;
        }
        let (mode, first) = decide(&start).unwrap();
        assert_eq!(mode, mode_for(feature, false).unwrap());
        // The JVM writes the archive (here: pretend it did) ...
        std::fs::write(first.path(), b"dumped").unwrap();
        // ... and the next start asks this Java whether it accepts it.
        let (_, second) = decide(&start).unwrap();
        let asked = std::fs::read_to_string(&calls).unwrap_or_default();
        assert!(
            asked.contains("-Xshare:on -XX:SharedArchiveFile=")
                && asked.contains("-XX:+VerifySharedSpaces")
                && asked.trim_end().ends_with("-version"),
            "{asked}"
        );
        match (feature, status) {
            (17, 0) => assert!(matches!(second, Plan::Use(_)), "{second:?}"),
            (17, _) => assert!(matches!(second, Plan::Create(_)), "{second:?}"),
            _ => assert!(matches!(second, Plan::Auto(_)), "{second:?}"),
        }
    }
}
