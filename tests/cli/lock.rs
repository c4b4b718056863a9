//! `kclrs lock`: against Maven's own answers for real roots (the reference lists `tests/prepare.sh`
//! records with `mvn dependency:list`), and on small repositories built in the sandbox for
//! `--check`, checksum cross-checks, `--kcl-version latest` and broken POMs.

use std::io::Write;
use std::path::{Path, PathBuf};

use kclrs::lockfile::{Lockfile, Origin};
use kclrs::maven::model::type_to_extension;
use sha1::Digest;

use crate::support::*;

/// The local repository `tests/prepare.sh` fills; its absence is a failure, not a skip.
fn test_m2() -> PathBuf {
    let m2 = std::env::var_os("KCLRS_TEST_M2").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/kclrs-test/m2")
        },
        PathBuf::from,
    );
    assert!(
        m2.is_dir(),
        "the Maven test repository {} is missing: run `bash tests/prepare.sh` first",
        m2.display()
    );
    m2
}

/// Maven's `dependency:list` lines as `group:artifact:extension:classifier:version`, in order.
fn maven_reference(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "cannot read Maven's reference list {}: {e}; run `bash tests/prepare.sh`",
            path.display()
        )
    });
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("The following") || line == "none" {
            continue;
        }
        let id = line.split_whitespace().next().unwrap();
        let p: Vec<&str> = id.split(':').collect();
        let (g, a, t, c, v) = match p.as_slice() {
            [g, a, t, v, _scope] => (*g, *a, *t, "", *v),
            [g, a, t, c, v, _scope] => (*g, *a, *t, *c, *v),
            _ => panic!("unexpected line in {}: {line}", path.display()),
        };
        let (ext, implied) = type_to_extension(t);
        let c = if c.is_empty() { implied } else { c };
        out.push(format!("{g}:{a}:{ext}:{c}:{v}"));
    }
    out
}

fn lock_keys(lock: &Lockfile) -> Vec<String> {
    lock.artifacts
        .iter()
        .map(|a| {
            let c = &a.coord;
            format!(
                "{}:{}:{}:{}:{}",
                c.group, c.artifact, c.extension, c.classifier, c.version
            )
        })
        .collect()
}

fn load(path: &Path) -> Lockfile {
    let text = std::fs::read_to_string(path).unwrap();
    Lockfile::parse(&text, Origin::File(path.into())).unwrap()
}

#[test]
fn resolution_matches_maven_for_every_reference_root() {
    let m2 = test_m2();
    let reference_dir = m2.parent().unwrap().join("reference");
    let roots = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/maven/roots.txt"),
    )
    .unwrap();
    let sb = Sandbox::new();
    let mut failures = Vec::new();
    let mut compared = 0;
    for line in roots.lines() {
        let mut parts = line.split_whitespace();
        let (Some(name), Some(coords)) = (parts.next(), parts.next()) else {
            continue;
        };
        if name.starts_with('#') {
            continue;
        }
        let expected = maven_reference(&reference_dir.join(format!("{name}.txt")));
        let out_file = sb.work().join(format!("{name}.lock"));
        let out = sb.run([
            "lock",
            "--root",
            coords,
            "--maven-repo-local",
            m2.to_str().unwrap(),
            "-o",
            out_file.to_str().unwrap(),
            "-q",
        ]);
        assert_exit(&sb, &out, 0);
        let got = lock_keys(&load(&out_file));
        let missing: Vec<&String> = expected.iter().filter(|e| !got.contains(e)).collect();
        let extra: Vec<&String> = got.iter().filter(|g| !expected.contains(g)).collect();
        if !missing.is_empty() || !extra.is_empty() {
            failures.push(format!(
                "{name} ({coords}):\n  missing (Maven has, kclrs not): {missing:?}\n  extra (kclrs has, Maven not): {extra:?}"
            ));
        } else if got != expected {
            failures.push(format!(
                "{name} ({coords}): same artifacts, different classpath order\n  maven: {expected:?}\n  kclrs: {got:?}"
            ));
        }
        compared += 1;
    }
    assert!(
        compared >= 5,
        "only {compared} roots in tests/maven/roots.txt"
    );
    assert!(
        failures.is_empty(),
        "kclrs and Maven disagree:\n{}",
        failures.join("\n")
    );
}

#[test]
fn committed_jars_lock_is_current() {
    let m2 = test_m2();
    let sb = Sandbox::new();
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("jars.lock");
    let out = sb.run([
        "lock",
        "--check",
        "--maven-repo-local",
        m2.to_str().unwrap(),
        "-o",
        lock.to_str().unwrap(),
    ]);
    assert_exit(&sb, &out, 0);
    let parsed = load(&lock);
    assert_eq!(parsed.roots.len(), 1);
    assert_eq!(
        parsed.roots[0].group_artifact(),
        "software.amazon.kinesis:amazon-kinesis-client-multilang"
    );
    // Spot-check kclrs's hashes against the real bytes.
    for a in parsed.artifacts.iter().take(5) {
        let bytes = std::fs::read(m2.join(a.coord.repo_path())).unwrap();
        assert_eq!(a.size, bytes.len() as u64);
        assert_eq!(a.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
    }
}

/// A small repository in the sandbox: POMs, jars with one class of a given major version, and
/// `.sha1` files computed from the bytes.
struct MiniRepo {
    root: PathBuf,
}

impl MiniRepo {
    fn new(sb: &Sandbox) -> MiniRepo {
        let root = sb.root().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        MiniRepo { root }
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
        std::fs::write(
            format!("{}.sha1", path.display()),
            hex::encode(sha1::Sha1::digest(bytes)),
        )
        .unwrap();
    }

    /// Publishes `g:a:v` with a jar whose class has `major`, depending on `deps` (`g:a:v`).
    fn publish(&self, gav: &str, major: u16, deps: &[&str]) {
        let p: Vec<&str> = gav.split(':').collect();
        let dir = format!("{}/{}/{}", p[0].replace('.', "/"), p[1], p[2]);
        let mut xml = format!(
            "<project><modelVersion>4.0.0</modelVersion><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version><dependencies>",
            p[0], p[1], p[2]
        );
        for d in deps {
            let q: Vec<&str> = d.split(':').collect();
            xml.push_str(&format!(
                "<dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version></dependency>",
                q[0], q[1], q[2]
            ));
        }
        xml.push_str("</dependencies></project>");
        self.put(&format!("{dir}/{}-{}.pom", p[1], p[2]), xml.as_bytes());
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file("p/C.class", zip::write::SimpleFileOptions::default())
            .unwrap();
        let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0];
        class.extend_from_slice(&major.to_be_bytes());
        zip.write_all(&class).unwrap();
        zip.finish().unwrap();
        self.put(&format!("{dir}/{}-{}.jar", p[1], p[2]), &buf.into_inner());
    }

    fn arg(&self) -> String {
        self.root.to_str().unwrap().to_string()
    }

    /// Runs `kclrs lock --root ROOT` against this repository, with `extra` flags.
    fn lock(&self, sb: &Sandbox, root: &str, extra: &[&str]) -> std::process::Output {
        let repo = self.arg();
        let mut args = vec!["lock", "--root", root, "--maven-repo-local", &repo];
        args.extend_from_slice(extra);
        sb.run(args)
    }
}

#[test]
fn lock_hashes_jars_records_min_java_and_check_detects_a_changed_root() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:app:2", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 55, &[]);
    let out = repo.lock(&sb, "org.ex:app:1", &["-q"]);
    assert_exit(&sb, &out, 0);
    let lock_path = sb.work().join("jars.lock");
    let lock = load(&lock_path);
    assert_eq!(lock_keys(&lock), ["org.ex:app:jar::1", "org.ex:lib:jar::1"]);
    assert_eq!(lock.min_java, Some(11));
    let jar = std::fs::read(repo.root.join("org/ex/lib/1/lib-1.jar")).unwrap();
    assert_eq!(
        lock.artifacts[1].sha256,
        hex::encode(sha2::Sha256::digest(&jar))
    );
    assert_eq!(lock.artifacts[1].size, jar.len() as u64);
    let text = std::fs::read_to_string(&lock_path).unwrap();
    assert!(
        !text.contains(&repo.arg()),
        "no repository location in the lock"
    );
    let out = repo.lock(&sb, "org.ex:app:1", &["--json", "-o", "again.lock"]);
    assert_exit(&sb, &out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["artifacts"], 2);
    assert_eq!(json["min_java"], 11);
    assert_eq!(json["levels"], 2);
    assert_eq!(
        std::fs::read_to_string(sb.work().join("again.lock")).unwrap(),
        text,
        "locking twice gives the same file"
    );

    let check = |extra: &[&str]| {
        let mut args = vec![
            "lock",
            "--check",
            "--maven-repo-local",
            &repo.root.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        sb.run(args)
    };
    let out = check(&[]);
    assert_exit(&sb, &out, 0);
    // Asking for another root than the lock records.
    let out = check(&["--root", "org.ex:app:2"]);
    assert_exit(&sb, &out, 6);
    insta::assert_snapshot!("check_other_root", sb.transcript(&out));
    // The lock's recorded root edited by hand: stale input hash and artifacts.
    std::fs::write(
        &lock_path,
        text.replace("roots = [\"org.ex:app:1\"]", "roots = [\"org.ex:app:2\"]"),
    )
    .unwrap();
    let out = check(&[]);
    assert_exit(&sb, &out, 6);
    insta::assert_snapshot!("check_edited_root", sb.transcript(&out));
}

#[test]
fn tampered_sha1_aborts_without_writing() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 52, &[]);
    std::fs::write(
        repo.root.join("org/ex/lib/1/lib-1.jar.sha1"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .unwrap();
    let out = repo.lock(&sb, "org.ex:app:1", &[]);
    assert_exit(&sb, &out, 5);
    insta::with_settings!({filters => vec![(r"hashes to [0-9a-f]{40}", "hashes to [SHA1]")]}, {
        insta::assert_snapshot!("tampered_sha1", sb.transcript(&out));
    });
    assert!(!sb.work().join("jars.lock").exists());
}

#[test]
fn kcl_version_latest_reads_maven_metadata() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let ga = "software.amazon.kinesis:amazon-kinesis-client-multilang";
    for v in ["3.0.0", "3.1.0", "3.10.1"] {
        repo.publish(&format!("{ga}:{v}"), 52, &[]);
    }
    repo.put(
        "software/amazon/kinesis/amazon-kinesis-client-multilang/maven-metadata.xml",
        b"<metadata><groupId>software.amazon.kinesis</groupId><versioning><versions>\
          <version>2.6.0</version><version>3.0.0</version><version>3.1.0</version>\
          <version>3.10.1</version><version>3.11.0-SNAPSHOT</version><version>4.0.0</version>\
          </versions></versioning></metadata>",
    );
    let file_url = format!("file://{}", repo.arg());
    for args in [vec![], vec!["--kcl-version", "latest"]] {
        let mut full = vec!["lock", "--no-local-repo", "--repository", &file_url, "-q"];
        full.extend(args);
        let out = sb.run(full);
        assert_exit(&sb, &out, 0);
        let lock = load(&sb.work().join("jars.lock"));
        assert_eq!(lock.roots[0].to_string(), format!("{ga}:3.10.1"));
    }
    // POMs served by a --repository are kept in the kclrs cache for the next resolution.
    assert!(sb
        .cache()
        .join("maven/software/amazon/kinesis/amazon-kinesis-client-multilang/3.10.1/amazon-kinesis-client-multilang-3.10.1.pom")
        .is_file());
    let out = sb.run([
        "lock",
        "--no-local-repo",
        "--repository",
        &file_url,
        "--kcl-version",
        "3.0.0",
        "-q",
    ]);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        load(&sb.work().join("jars.lock")).roots[0].to_string(),
        format!("{ga}:3.0.0")
    );
}

#[test]
fn broken_pom_chain_is_reported() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:bad:1"]);
    repo.put(
        "org/ex/bad/1/bad-1.pom",
        b"<project><parent><groupId>org.ex</groupId><artifactId>bad-parent</artifactId><version>1</version></parent><artifactId>bad</artifactId></project>",
    );
    repo.put(
        "org/ex/bad-parent/1/bad-parent-1.pom",
        b"<project><dependencies></project>",
    );
    let out = repo.lock(&sb, "org.ex:app:1", &[]);
    assert_exit(&sb, &out, 3);
    insta::assert_snapshot!("broken_parent", sb.transcript(&out));
    let out = repo.lock(&sb, "org.ex:nothere:1", &[]);
    assert_exit(&sb, &out, 5);
}
