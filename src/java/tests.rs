//! Discovery on fake machines: temp folders holding Java homes made of a `release` file and/or a
//! shell script as `bin/java` that prints a version banner on stderr, the way a JVM does.
#![cfg(unix)]

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use super::*;
use crate::error::classify;

struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new() -> Machine {
        Machine {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        std::fs::canonicalize(self.dir.path()).unwrap().join(rel)
    }

    /// A Java home at `rel` with an optional `release` version and a `bin/java` script that
    /// prints `banner` on stderr (or nothing, if `None`).
    fn home(&self, rel: &str, release: Option<&str>, banner: Option<&str>) -> PathBuf {
        let home = self.path(rel);
        std::fs::create_dir_all(home.join("bin")).unwrap();
        if let Some(v) = release {
            std::fs::write(
                home.join("release"),
                format!("IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"{v}\"\n"),
            )
            .unwrap();
        }
        let body = match banner {
            Some(text) => text.lines().map(|l| format!("echo '{l}' >&2\n")).collect(),
            None => "exit 0\n".to_string(),
        };
        let java = home.join("bin/java");
        std::fs::write(&java, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&java, std::fs::Permissions::from_mode(0o755)).unwrap();
        home
    }

    fn env(&self) -> Env {
        Env::fake(Os::Linux, Some(self.path("userhome")), self.path("cwd"))
    }

    fn root(&self, label: &str, rel: &str) -> locations::Root {
        std::fs::create_dir_all(self.path(rel)).unwrap();
        locations::Root {
            label: label.to_string(),
            dir: self.path(rel),
            prefix: None,
        }
    }
}

fn search(
    env: &Env,
    explicit: Option<&Path>,
    min: u32,
    roots: Vec<locations::Root>,
    stop_early: bool,
) -> Discovery {
    Search::new(env, &Needs::at_least(min), stop_early, roots).run(explicit)
}

fn summary(d: &Discovery) -> Vec<(String, String, u32, Option<String>)> {
    d.candidates
        .iter()
        .map(|c| {
            (
                c.source.to_string(),
                c.version.clone(),
                c.feature,
                c.rejected.clone(),
            )
        })
        .collect()
}

#[test]
fn each_source_in_priority_order() {
    let m = Machine::new();
    let flag = m.home("flag-jdk", Some("21.0.1"), None);
    let kclrs = m.home("kclrs-jdk", Some("17.0.2"), None);
    let java_home = m.home("javahome-jdk", Some("11.0.2"), None);
    let on_path = m.home("path-jdk", Some("1.8.0_292"), None);
    let known = m.home("jvm/known-jdk", Some("25.0.3"), None);
    let bin = m.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    symlink(on_path.join("bin/java"), bin.join("java")).unwrap();
    let env = m
        .env()
        .with_var("KCLRS_JAVA", &kclrs)
        .with_var("JAVA_HOME", &java_home)
        .with_var("PATH", &bin);
    let roots = || vec![m.root("/usr/lib/jvm", "jvm")];

    let d = search(&env, Some(&flag), 8, roots(), false);
    let sources: Vec<String> = d.candidates.iter().map(|c| c.source.to_string()).collect();
    assert_eq!(
        sources,
        ["--java", "KCLRS_JAVA", "JAVA_HOME", "PATH", "/usr/lib/jvm"]
    );
    let chosen = d.chosen.unwrap();
    assert_eq!(chosen.source, Source::Flag);
    assert_eq!(chosen.java, flag.join("bin/java"));
    assert_eq!(chosen.home, flag);
    assert_eq!((chosen.version.as_str(), chosen.feature), ("21.0.1", 21));
    // The PATH launcher is a symlink: the candidate is the real file in its real home.
    let path_c = &d.candidates[3];
    assert_eq!(path_c.java, on_path.join("bin/java"));
    assert_eq!(path_c.home, on_path);
    assert_eq!(path_c.feature, 8);
    assert_eq!(d.candidates[4].home, known);

    // Without the flag each next source wins in turn.
    let d = search(&env, None, 8, roots(), false);
    assert_eq!(d.chosen.unwrap().source, Source::KclrsJava);
    let env2 = m
        .env()
        .with_var("JAVA_HOME", &java_home)
        .with_var("PATH", &bin);
    assert_eq!(
        search(&env2, None, 8, roots(), true).chosen.unwrap().source,
        Source::JavaHome
    );
    let env3 = m.env().with_var("PATH", &bin);
    assert_eq!(
        search(&env3, None, 8, roots(), true).chosen.unwrap().source,
        Source::Path
    );
    let chosen = search(&m.env(), None, 8, roots(), true).chosen.unwrap();
    assert_eq!(chosen.source, Source::WellKnown("/usr/lib/jvm".into()));
    // choose() stops at the first usable candidate; discover() lists everything.
    assert_eq!(search(&env, None, 8, roots(), true).candidates.len(), 1);
}

#[test]
fn explicit_accepts_binary_or_home_and_relative_paths() {
    let m = Machine::new();
    let home = m.home("cwd/jdks/a", Some("17.0.15"), None);
    let env = m.env();
    for given in [
        home.clone(),
        home.join("bin/java"),
        PathBuf::from("jdks/a"),
        PathBuf::from("jdks/a/bin/java"),
    ] {
        let d = search(&env, Some(&given), 8, vec![], true);
        let c = d
            .chosen
            .unwrap_or_else(|| panic!("{given:?}: {:?}", d.candidates));
        assert_eq!(c.home, home, "{given:?}");
        assert_eq!(c.java, home.join("bin/java"), "{given:?}");
    }
    // A symlinked launcher given explicitly keeps its name but finds its real home.
    let link = m.path("cwd/java-link");
    symlink(home.join("bin/java"), &link).unwrap();
    let c = search(&env, Some(&link), 8, vec![], true).chosen.unwrap();
    assert_eq!((c.java, c.home), (link, home));
}

#[test]
fn version_formats_from_scripts_without_release_files() {
    let banners = [
        ("java version \"1.8.0_292\"\nJava(TM) SE Runtime Environment", "1.8.0_292", 8),
        ("openjdk version \"11.0.2\" 2019-01-15", "11.0.2", 11),
        ("openjdk version \"17\" 2021-09-14", "17", 17),
        ("openjdk version \"21-ea\" 2023-09-19", "21-ea", 21),
        (
            "Picked up JAVA_TOOL_OPTIONS: -Dx=1\nNOTE: Picked up JDK_JAVA_OPTIONS: -Xmx1g\nopenjdk version \"25.0.3\" 2026-04-21 LTS",
            "25.0.3",
            25,
        ),
    ];
    let m = Machine::new();
    for (i, (banner, version, feature)) in banners.iter().enumerate() {
        let home = m.home(&format!("j{i}"), None, Some(banner));
        let c = search(&m.env(), Some(&home), 7, vec![], true)
            .chosen
            .unwrap_or_else(|| panic!("{banner}"));
        assert_eq!((c.version.as_str(), c.feature), (*version, *feature));
    }
    // The release file is preferred: the script would say 11, the file says 17.
    let home = m.home("both", Some("17.0.1"), Some("openjdk version \"11.0.2\""));
    let c = search(&m.env(), Some(&home), 7, vec![], true)
        .chosen
        .unwrap();
    assert_eq!(c.version, "17.0.1");
}

#[test]
fn explicit_choices_that_cannot_be_used_are_errors() {
    let m = Machine::new();
    let old = m.home("old", Some("1.7.0_80"), None);
    let good = m.home("jvm/good", Some("17.0.15"), None);
    let roots = || vec![m.root("/usr/lib/jvm", "jvm")];
    let env = m.env().with_var("JAVA_HOME", &good);

    // Too old: nothing is chosen even though JAVA_HOME would do.
    let d = search(&env, Some(&old), 8, roots(), false);
    assert_eq!(d.chosen, None);
    assert_eq!(
        d.candidates[0].rejected.as_deref(),
        Some("Java 7 is older than Java 8, the minimum for the locked jars")
    );
    assert_eq!(d.candidates[1].rejected, None, "listed but not chosen");
    let err = no_java_error(&env, &d, true, &Needs::at_least(8));
    assert_eq!(err.exit, Exit::Java);
    assert_eq!(
        err.message,
        "--java: Java 7 is older than Java 8, the minimum for the locked jars"
    );
    assert!(
        err.hint
            .as_deref()
            .unwrap_or("")
            .starts_with("install Java 8 or newer and pass it with --java"),
        "{:?}",
        err.hint
    );

    // Missing, and not executable.
    let missing = m.path("nowhere/java");
    let d = search(&env, Some(&missing), 8, roots(), true);
    assert_eq!(d.chosen, None);
    assert_eq!(
        d.candidates[0].rejected,
        Some(format!("{} does not exist", missing.display()))
    );
    let noexec = m.home("noexec", Some("17"), None);
    std::fs::set_permissions(
        noexec.join("bin/java"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let env_k = m.env().with_var("KCLRS_JAVA", &noexec);
    let d = search(&env_k, None, 8, roots(), false);
    assert_eq!(d.chosen, None);
    assert_eq!(
        d.candidates[0].rejected,
        Some(format!(
            "{} is not an executable file",
            noexec.join("bin/java").display()
        ))
    );
    let err = no_java_error(&env_k, &d, false, &Needs::at_least(8));
    assert!(
        err.message
            .starts_with(&format!("KCLRS_JAVA={}: ", noexec.display())),
        "{}",
        err.message
    );
}

#[test]
fn implicit_candidates_that_do_not_fit_are_skipped_with_reasons() {
    let m = Machine::new();
    let old = m.home("old", Some("1.7.0_80"), None);
    let garbage = m.home("garbage", None, Some("Error: could not find libjava.so"));
    m.home("jvm/a-jdk8", Some("1.8.0_292"), None);
    m.home("jvm/b-jdk21", Some("21.0.4"), None);
    m.home("jvm/c-jdk11", Some("11.0.2"), None);
    // A folder without bin/java is not a candidate at all.
    std::fs::create_dir_all(m.path("jvm/openjdk-17")).unwrap();
    std::fs::write(m.path("jvm/openjdk-17/src.zip"), "").unwrap();
    let bin = m.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    symlink(garbage.join("bin/java"), bin.join("java")).unwrap();
    let env = m.env().with_var("JAVA_HOME", &old).with_var("PATH", &bin);
    let d = search(&env, None, 8, vec![m.root("/usr/lib/jvm", "jvm")], false);
    let s = summary(&d);
    assert_eq!(s.len(), 5, "{s:?}");
    assert_eq!(s[0].0, "JAVA_HOME");
    assert_eq!(
        s[0].3.as_deref(),
        Some("Java 7 is older than Java 8, the minimum for the locked jars")
    );
    assert_eq!(s[1].0, "PATH");
    let reason = s[1].3.as_deref().unwrap();
    assert!(
        reason.starts_with("cannot tell its version: ")
            && reason.ends_with("printed no version (Error: could not find libjava.so)"),
        "{reason}"
    );
    // Within one well-known folder the newest comes first.
    let features: Vec<u32> = s[2..].iter().map(|c| c.2).collect();
    assert_eq!(features, [21, 11, 8]);
    assert_eq!(d.chosen.unwrap().feature, 21);

    // A JAVA_HOME without bin/java is shown, rejected.
    let env = m.env().with_var("JAVA_HOME", m.path("jvm/openjdk-17"));
    let d = search(&env, None, 8, vec![], false);
    assert_eq!(
        d.candidates[0].rejected,
        Some(format!(
            "{} does not exist",
            m.path("jvm/openjdk-17/bin/java").display()
        ))
    );
}

#[test]
fn same_installation_is_listed_once_under_its_first_source() {
    let m = Machine::new();
    let real = m.home("jvm/java-17-openjdk-amd64", Some("17.0.15"), None);
    symlink(&real, m.path("jvm/java-1.17.0-openjdk-amd64")).unwrap();
    let alternatives = m.path("etc/alternatives");
    std::fs::create_dir_all(&alternatives).unwrap();
    symlink(real.join("bin/java"), alternatives.join("java")).unwrap();
    let bin = m.path("usr/bin");
    std::fs::create_dir_all(&bin).unwrap();
    symlink(alternatives.join("java"), bin.join("java")).unwrap();
    let env = m
        .env()
        .with_var("JAVA_HOME", m.path("jvm/java-1.17.0-openjdk-amd64"))
        .with_var("PATH", format!("{}:{}", bin.display(), bin.display()));
    let d = search(&env, None, 8, vec![m.root("/usr/lib/jvm", "jvm")], false);
    assert_eq!(d.candidates.len(), 1, "{:?}", summary(&d));
    let c = &d.candidates[0];
    assert_eq!(c.source, Source::JavaHome);
    assert_eq!(c.home, m.path("jvm/java-1.17.0-openjdk-amd64"));
    // Without JAVA_HOME, PATH finds it through two symlinks and names the real home.
    let env = m.env().with_var("PATH", &bin);
    let d = search(&env, None, 8, vec![m.root("/usr/lib/jvm", "jvm")], false);
    assert_eq!(d.candidates.len(), 1, "{:?}", summary(&d));
    assert_eq!(d.candidates[0].source, Source::Path);
    assert_eq!(d.candidates[0].home, real);
}

#[test]
fn macos_bundle_and_homebrew_layouts_are_found() {
    let m = Machine::new();
    m.home(
        "JavaVirtualMachines/temurin-21.jdk/Contents/Home",
        Some("21.0.1"),
        None,
    );
    m.home(
        "opt/openjdk@17/libexec/openjdk.jdk/Contents/Home",
        Some("17.0.9"),
        None,
    );
    m.home("opt/notjava/libexec", Some("99"), None);
    let mut brew = m.root("Homebrew", "opt");
    brew.prefix = Some("openjdk");
    let roots = vec![
        m.root("/Library/Java/JavaVirtualMachines", "JavaVirtualMachines"),
        brew,
    ];
    let env = Env::fake(Os::MacOs, Some(m.path("userhome")), m.path("cwd"));
    let d = search(&env, None, 8, roots, false);
    let homes: Vec<PathBuf> = d.candidates.iter().map(|c| c.home.clone()).collect();
    assert_eq!(
        homes,
        [
            m.path("JavaVirtualMachines/temurin-21.jdk/Contents/Home"),
            m.path("opt/openjdk@17/libexec/openjdk.jdk/Contents/Home"),
        ]
    );
    assert_eq!(d.candidates[1].source.to_string(), "Homebrew");
}

#[test]
fn nothing_fits_lists_every_candidate() {
    let m = Machine::new();
    let old = m.home("jvm/jdk7", Some("1.7.0_80"), None);
    m.home("jvm/jdk6", Some("1.6.0_45"), None);
    let env = m.env().with_var("PATH", m.path("empty"));
    let d = search(&env, None, 8, vec![m.root("/usr/lib/jvm", "jvm")], false);
    assert_eq!(d.chosen, None);
    let err = no_java_error(&env, &d, false, &Needs::at_least(8));
    let want = format!(
        "no usable Java found (need Java 8 or newer); candidates:\n  {}/bin/java (Java 1.7.0_80, from /usr/lib/jvm): Java 7 is older than Java 8, the minimum for the locked jars\n  {}/bin/java (Java 1.6.0_45, from /usr/lib/jvm): Java 6 is older than Java 8, the minimum for the locked jars",
        old.display(),
        m.path("jvm/jdk6").display()
    );
    assert_eq!(err.message, want);
    let empty = no_java_error(
        &env,
        &search(&env, None, 8, vec![], false),
        false,
        &Needs::at_least(8),
    );
    assert!(
        empty.message.starts_with(
            "no Java installation found (looked at --java, KCLRS_JAVA, JAVA_HOME, PATH and "
        ),
        "{}",
        empty.message
    );
    // choose() carries the exit code.
    let env = Env::fake(Os::Linux, None, m.path("cwd")).with_var("KCLRS_JAVA", m.path("nowhere"));
    let err = choose(&env, None, &Needs::at_least(8)).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Java);
}

#[test]
fn json_shape_is_the_documented_one() {
    let c = Candidate {
        java: "/j/bin/java".into(),
        home: "/j".into(),
        version: "17.0.15".into(),
        feature: 17,
        source: Source::WellKnown("SDKMAN".into()),
        rejected: None,
    };
    let d = Discovery {
        chosen: Some(c.clone()),
        candidates: vec![
            c,
            Candidate {
                source: Source::JavaHome,
                rejected: Some("x".into()),
                ..Candidate {
                    java: "/o/bin/java".into(),
                    home: "/o".into(),
                    version: "1.7.0".into(),
                    feature: 7,
                    source: Source::Flag,
                    rejected: None,
                }
            },
        ],
    };
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(
        v,
        serde_json::json!({
            "chosen": {"java": "/j/bin/java", "home": "/j", "version": "17.0.15", "feature": 17,
                       "source": "SDKMAN", "rejected": null},
            "candidates": [
                {"java": "/j/bin/java", "home": "/j", "version": "17.0.15", "feature": 17,
                 "source": "SDKMAN", "rejected": null},
                {"java": "/o/bin/java", "home": "/o", "version": "1.7.0", "feature": 7,
                 "source": "JAVA_HOME", "rejected": "x"}
            ]
        })
    );
}

#[test]
fn macos_usr_bin_java_stub_is_skipped_only_on_macos() {
    assert!(is_macos_stub(Os::MacOs, Path::new("/usr/bin/java")));
    assert!(!is_macos_stub(Os::Linux, Path::new("/usr/bin/java")));
    assert!(!is_macos_stub(
        Os::MacOs,
        Path::new("/Library/Java/JavaVirtualMachines/x.jdk/Contents/Home/bin/java")
    ));
}

#[test]
fn a_rejected_java_home_is_replaced_with_one_warning_line() {
    let m = Machine::new();
    let old = m.home("jdk11", Some("11.0.13"), None);
    let good = m.home("jvm/jdk17", Some("17.0.15"), None);
    let needs = Needs {
        feature: 17,
        jars: vec![JarNeed {
            coords: "p:gen:1".into(),
            group_artifact: "p:gen".into(),
            feature: 17,
        }],
        ..Needs::default()
    };
    let roots = || vec![m.root("/usr/lib/jvm", "jvm")];
    let env = m.env().with_var("JAVA_HOME", &old);
    let d = Search::new(&env, &needs, true, roots()).run(None);
    let chosen = d.chosen.clone().unwrap();
    assert_eq!(chosen.home, good);
    assert_eq!(
        replaced_java_home(&env, &d, &chosen).unwrap(),
        format!(
            "JAVA_HOME={}: Java 11 is older than Java 17, the minimum for the locked jars, needed by p:gen:1 (Java 17); using {}/bin/java (Java 17.0.15, from /usr/lib/jvm) instead",
            old.display(),
            good.display()
        )
    );
    // A JAVA_HOME that does not exist is named the same way.
    let env = m.env().with_var("JAVA_HOME", m.path("gone"));
    let d = Search::new(&env, &needs, true, roots()).run(None);
    let warning = replaced_java_home(&env, &d, d.chosen.as_ref().unwrap()).unwrap();
    assert!(
        warning.starts_with(&format!(
            "JAVA_HOME={}: {}/bin/java does not exist; using ",
            m.path("gone").display(),
            m.path("gone").display()
        )),
        "{warning}"
    );
    // A usable JAVA_HOME, or none set: nothing to say.
    let env = m.env().with_var("JAVA_HOME", &good);
    let d = Search::new(&env, &needs, true, roots()).run(None);
    assert_eq!(
        replaced_java_home(&env, &d, d.chosen.as_ref().unwrap()),
        None
    );
    let d = Search::new(&m.env(), &needs, true, roots()).run(None);
    assert_eq!(
        replaced_java_home(&m.env(), &d, d.chosen.as_ref().unwrap()),
        None
    );
}

#[test]
fn ignoring_the_version_takes_the_old_java_only_when_nothing_fits() {
    let m = Machine::new();
    let old = m.home("jdk11", Some("11.0.13"), None);
    let env = m.env().with_var("PATH", m.path("empty"));
    let needs = Needs {
        ignore: Some("--ignore-java-version".into()),
        ..Needs::at_least(17)
    };
    // Explicit and too old: refused without the override, taken with it, with a warning.
    let err = choose(&env, Some(&old), &Needs::at_least(17)).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Java);
    let chosen = choose(&env, Some(&old), &needs).unwrap();
    assert_eq!(chosen.candidate.home, old);
    assert_eq!(
        chosen.warnings,
        [format!(
            "{}/bin/java (--java): Java 11 is older than Java 17, the minimum for the locked jars; starting anyway because of --ignore-java-version",
            old.display()
        )]
    );
    // With nothing at all to start, the override does not help.
    let err = choose(&env, Some(&m.path("gone")), &needs).unwrap_err();
    assert_eq!(classify(&err).0, Exit::Java);
    // When a Java fits, the override changes nothing and says nothing.
    let new = m.home("jdk21", Some("21.0.4"), None);
    let chosen = choose(&env.with_var("JAVA_HOME", &new), None, &needs).unwrap();
    assert_eq!((chosen.candidate.home, chosen.warnings), (new, vec![]));
}
