//! Issue 9, the default path: with no repository configured and Maven installed, kclrs reads the
//! `central` URL from the installed Maven's super POM and downloads with its own transport; `mvn`
//! is run only when that is not possible. The Maven installation here is fake (a `bin/mvn` script
//! and a `lib/maven-model-builder-*.jar` made with the zip crate), its super POM points at a
//! loopback server that serves the real jars `tests/prepare.sh` resolved.

use std::io::Write;

use sha2::Digest;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::server::Server;
use crate::support::*;

/// Where Maven keeps its super POM inside `maven-model-builder-*.jar`.
const SUPER_POM_ENTRY: &str = "org/apache/maven/model/pom-4.0.0.xml";

/// A fake Maven home in the sandbox: `bin/mvn` records that it ran (in `mvn-ran`) and, when
/// `fill` is set, copies the test repository into the `-Dmaven.repo.local` it was given, as a real
/// `mvn` would download into it; `lib/maven-model-builder-3.9.9.jar` holds `super_pom`.
fn fake_maven(sb: &Sandbox, super_pom: &str, fill: bool) -> PathBuf {
    let home = sb.root().join("maven");
    let fill_cmd = if fill {
        format!(
            "for a in \"$@\"; do case \"$a\" in -Dmaven.repo.local=*) \
             mkdir -p \"${{a#*=}}\" && cp -R '{}'/. \"${{a#*=}}\";; esac; done\n",
            test_m2().display()
        )
    } else {
        "echo '[ERROR] fake mvn: no repository' >&2\nexit 1\n".to_string()
    };
    let script = sb.write(
        "maven/bin/mvn",
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\n{fill_cmd}",
            sb.root().join("mvn-ran").display()
        ),
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let jar = home.join("lib/maven-model-builder-3.9.9.jar");
    std::fs::create_dir_all(jar.parent().unwrap()).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&jar).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.add_directory("META-INF/", opts).unwrap();
    zip.start_file(SUPER_POM_ENTRY, opts).unwrap();
    zip.write_all(super_pom.as_bytes()).unwrap();
    zip.finish().unwrap();
    home
}

/// A super POM shaped like Maven's own, with the given `<repositories>` content.
fn super_pom(repositories: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <project>\n  <modelVersion>4.0.0</modelVersion>\n\
         <repositories>{repositories}</repositories>\n\
         <pluginRepositories><pluginRepository><id>central</id><name>plugins</name>\
         <url>http://127.0.0.1:9/not-this-one</url></pluginRepository></pluginRepositories>\n\
         </project>\n"
    )
}

fn central(url: &str) -> String {
    format!(
        "<repository><id>other</id><url>http://127.0.0.1:9/not-this-one</url></repository>\
         <repository><id>central</id><name>Central Repository</name><url>{url}</url>\
         <layout>default</layout><snapshots><enabled>false</enabled></snapshots></repository>"
    )
}

/// `download-jars` of the built-in lock with the fake Maven first on PATH and nothing configured.
fn download(sb: &Sandbox, maven: &Path, extra: &[&str]) -> Output {
    let path = format!(
        "{}:{}",
        maven.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let mut cmd = sb.cmd(["download-jars"]);
    cmd.args(extra)
        .env("PATH", path)
        .env_remove("MAVEN_HOME")
        .env_remove("M2_HOME");
    cmd.output().unwrap()
}

fn locked_count() -> usize {
    kclrs::lockfile::Lockfile::embedded()
        .unwrap()
        .artifacts
        .len()
}

#[test]
fn central_from_the_installed_mavens_super_pom_is_used_without_running_mvn() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let maven = fake_maven(&sb, &super_pom(&central(&server.url())), false);
    let out = download(&sb, &maven, &["--json"]);
    assert_exit(&sb, &out, 0);
    assert!(
        !sb.root().join("mvn-ran").exists(),
        "the fake mvn ran:\n{}",
        sb.transcript(&out)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report["artifacts"].as_array().unwrap();
    assert_eq!(entries.len(), locked_count());
    for e in entries {
        assert_eq!(e["source"], "remote", "{e}");
        assert!(e["origin"].as_str().unwrap().contains(&server.url()), "{e}");
    }
    assert!(server.count(".jar") >= locked_count());
    assert!(
        server
            .seen()
            .iter()
            .all(|s| !s.path.contains("not-this-one")),
        "only central's URL is used"
    );
}

#[test]
fn a_super_pom_without_central_falls_back_to_mvn() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let other =
        "<repository><id>other</id><url>URL</url></repository>".replace("URL", &server.url());
    let maven = fake_maven(&sb, &super_pom(&other), true);
    let out = download(&sb, &maven, &["--json"]);
    assert_exit(&sb, &out, 0);
    let args = std::fs::read_to_string(sb.root().join("mvn-ran")).expect("the fake mvn ran");
    assert!(args.contains("-Dmaven.repo.local="), "{args}");
    assert_eq!(
        server.seen().len(),
        0,
        "a repository other than central is never used"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report["artifacts"].as_array().unwrap();
    assert_eq!(entries.len(), locked_count());
    assert!(entries.iter().all(|e| e["source"] == "mvn"), "{report}");
}

#[test]
fn a_settings_profile_with_repositories_leaves_the_default_path_to_mvn() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let maven = fake_maven(&sb, &super_pom(&central(&server.url())), false);
    sb.write(
        "home/.m2/settings.xml",
        "<settings><profiles><profile><id>corp</id><repositories><repository><id>corp</id>\
         <url>http://127.0.0.1:9/corp</url></repository></repositories></profile></profiles>\
         <activeProfiles><activeProfile>corp</activeProfile></activeProfiles></settings>",
    );
    let out = download(&sb, &maven, &[]);
    assert_exit(&sb, &out, 5);
    assert!(
        sb.root().join("mvn-ran").exists(),
        "{}",
        sb.transcript(&out)
    );
    assert_eq!(server.seen().len(), 0);
}

#[test]
fn a_settings_mirror_of_central_still_wins_over_the_super_pom() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let maven = fake_maven(
        &sb,
        &super_pom(&central("http://127.0.0.1:9/unused")),
        false,
    );
    sb.write(
        "home/.m2/settings.xml",
        format!(
            "<settings><mirrors><mirror><id>corp</id><mirrorOf>*</mirrorOf><url>{}</url>\
             </mirror></mirrors></settings>",
            server.url()
        ),
    );
    let out = download(&sb, &maven, &["--quiet"]);
    assert_exit(&sb, &out, 0);
    assert!(!sb.root().join("mvn-ran").exists());
    assert!(server.count(".jar") >= locked_count());
}

/// The status line and the summary name where the jars came from; sizes and ports vary.
fn assert_transcript(name: &str, sb: &Sandbox, out: &Output) {
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"\d+(\.\d+)? (MiB|KiB|B)\)", "[SIZE])"),
        (r"\b\d{2,3} artifacts", "[N] artifacts"),
        (r": \d+ (fetched|downloaded)", ": [N] $1"),
    ]}, {
        insta::assert_snapshot!(name, sb.transcript(out));
    });
}

#[test]
fn the_status_line_and_summary_name_the_super_pom_central() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let maven = fake_maven(&sb, &super_pom(&central(&server.url())), false);
    let out = download(&sb, &maven, &[]);
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    assert_eq!(
        err.lines().next().unwrap(),
        format!(
            "fetching {} artifacts from central ({}/, read from Maven's super POM)…",
            locked_count(),
            server.url()
        )
    );
    assert_transcript("super_pom_central", &sb, &out);
    // A warm run fetches nothing, so it prints no status line.
    let again = download(&sb, &maven, &[]);
    assert_exit(&sb, &again, 0);
    assert!(!stderr(&again).contains("fetching"), "{}", stderr(&again));
}

#[test]
fn the_status_line_says_mvn_is_asked_and_what_it_left_in_the_local_repository() {
    let sb = Sandbox::new();
    let maven = fake_maven(&sb, &super_pom(""), true);
    let out = download(&sb, &maven, &[]);
    assert_exit(&sb, &out, 0);
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "fetching {} artifacts with mvn (no repository configured)…\nmvn filled {}/.m2/repository (",
            locked_count(),
            sb.home().display()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{} fetched by mvn", locked_count())),
        "{err}"
    );
    assert_transcript("mvn_fallback", &sb, &out);
    // --quiet keeps stderr empty.
    let sb = Sandbox::new();
    let maven = fake_maven(&sb, &super_pom(""), true);
    let out = download(&sb, &maven, &["--quiet"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(stderr(&out), "");
}

/// Issue 9: the cache never shares an inode with the local Maven repository, so a jar corrupted
/// there leaves the verified copy intact; a wrong file there is named for deletion.
#[test]
fn files_from_the_local_repository_are_copied_not_linked() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let arts = [
        crate::download::art("org.example:big:1.0", 400_000, 11),
        crate::download::art("org.example:small:2.0", 100, 12),
    ];
    let lock = crate::download::write_lock(&sb, &arts);
    let m2 = sb.home().join(".m2/repository");
    for a in &arts {
        let path = m2.join(a.coord.repo_path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &a.bytes).unwrap();
    }
    let lock = lock.to_str().unwrap();
    let out = sb.run(["download-jars", "--offline", "--lockfile", lock]);
    assert_exit(&sb, &out, 0);
    let local = m2.join(arts[0].coord.repo_path());
    let cached = sb.cache().join("maven").join(arts[0].coord.repo_path());
    assert_ne!(
        std::fs::metadata(&local).unwrap().ino(),
        std::fs::metadata(&cached).unwrap().ino(),
        "the cache shares an inode with ~/.m2"
    );
    // Corrupt the local copy in place (same inode, same size), as a disk or a tool would.
    let mut bad = arts[0].bytes.clone();
    bad[1000] ^= 0xff;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&local)
        .unwrap();
    f.write_all(&bad).unwrap();
    drop(f);
    assert_eq!(std::fs::read(&cached).unwrap(), arts[0].bytes);
    let out = sb.run(["verify", "--lockfile", lock]);
    assert_exit(&sb, &out, 0);

    // A fresh cache cannot use the corrupt file, and the error says which file to delete.
    let out = sb
        .cmd(["download-jars", "--offline", "--lockfile", lock])
        .env("KCLRS_CACHE_DIR", sb.root().join("cache2"))
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    assert!(
        stderr(&out).contains(&format!(
            "{} has sha256 {}, the lock says {}: not used; if the lock is right, delete that file",
            local.display(),
            hex::encode(sha2::Sha256::digest(&bad)),
            hex::encode(sha2::Sha256::digest(&arts[0].bytes)),
        )),
        "{}",
        stderr(&out)
    );
}

/// Issue 9: a `--lockfile` with one wrong sha256 never deletes the verified jar another lock (the
/// built-in one) needs, and is reported as a lock/hash disagreement, not a missing repository.
#[test]
fn a_wrong_lockfile_keeps_the_verified_jar_and_names_the_disagreement() {
    let sb = Sandbox::new();
    let server = Server::start(&test_m2());
    let url = server.url();
    let fetch = |extra: &[&str]| {
        let mut cmd = sb.cmd(["download-jars", "--repository", &url, "--no-mvn"]);
        cmd.args(extra).output().unwrap()
    };
    assert_exit(&sb, &fetch(&[]), 0);
    let lock = kclrs::lockfile::Lockfile::embedded().unwrap();
    let victim = &lock.artifacts[1];
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/jars.lock")).unwrap();
    let mut wrong_sha = victim.sha256.clone().into_bytes();
    wrong_sha[0] = if wrong_sha[0] == b'0' { b'1' } else { b'0' };
    let wrong_sha = String::from_utf8(wrong_sha).unwrap();
    assert_eq!(text.matches(&victim.sha256).count(), 1);
    let wrong = sb.write("work/wrong.lock", text.replace(&victim.sha256, &wrong_sha));
    let cached = sb.cache().join("maven").join(victim.coord.repo_path());
    let before = std::fs::read(&cached).unwrap();
    let asked = server.count(&victim.coord.file_name());

    let out = fetch(&["--lockfile", wrong.to_str().unwrap()]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(err.contains("could not obtain 1 of the"), "{err}");
    assert!(err.contains("lock/hash disagreement"), "{err}");
    assert!(
        err.contains(&wrong_sha) && err.contains(&victim.sha256),
        "{err}"
    );
    assert!(!err.contains("no repository is configured"), "{err}");
    assert!(err.contains("hint: the lockfile's sha256 differs"), "{err}");
    assert_eq!(
        std::fs::read(&cached).unwrap(),
        before,
        "the verified jar is intact"
    );
    assert_eq!(
        server.count(&victim.coord.file_name()),
        asked,
        "no source is asked to replace a verified jar"
    );
    let out = sb.run(["verify"]);
    assert_exit(&sb, &out, 0);
}
