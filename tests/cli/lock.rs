//! `kclrs lock`: against Maven's own answers for real roots (the reference lists `tests/prepare.sh`
//! records with `mvn dependency:list`), and on small repositories built in the sandbox for
//! `--check`, checksum cross-checks, `--kcl-version latest` and broken POMs.

use std::io::Write;
use std::path::{Path, PathBuf};

use kclrs::lockfile::{Lockfile, Origin};
use kclrs::maven::model::type_to_extension;
use sha1::Digest;

use crate::server::{Fault, Server};
use crate::support::*;

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
    // Locked without javapoet (code generation only), and that is recorded, not implied.
    assert_eq!(parsed.excludes, ["com.palantir.javapoet:javapoet"]);
    assert!(parsed
        .artifacts
        .iter()
        .all(|a| a.coord.group != "com.palantir.javapoet"));
    // min-java 8 is what the class files say: every class of every locked jar, read here with
    // the zip crate, has a major of at most 52, and the recorded per-jar minimums agree.
    assert_eq!(parsed.min_java, Some(8));
    let mut at_8 = 0;
    for a in &parsed.artifacts {
        let major = highest_class_major(&m2.join(a.coord.repo_path()));
        assert_eq!(a.min_java, major.map(|m| u32::from(m) - 44), "{}", a.coord);
        at_8 += usize::from(major == Some(52));
    }
    assert!(at_8 > 50, "only {at_8} jars with Java 8 classes");

    // A plain `kclrs lock` (no flags) re-locks what the lock records and gives the same bytes.
    let copy = sb.work().join("jars.lock");
    std::fs::copy(&lock, &copy).unwrap();
    let out = sb.run(["lock", "--maven-repo-local", m2.to_str().unwrap(), "-q"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        std::fs::read_to_string(&lock).unwrap(),
        "`kclrs lock` did not reproduce the committed jars.lock"
    );
}

/// The highest class-file major version over a jar's classes (skipping `module-info.class` and
/// `META-INF/versions/`, which older JVMs never load), or `None` if it has no classes.
fn highest_class_major(jar: &Path) -> Option<u16> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(jar).unwrap()).unwrap();
    let mut highest = None;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().to_string();
        if !name.ends_with(".class")
            || name.ends_with("module-info.class")
            || name.starts_with("META-INF/versions/")
        {
            continue;
        }
        let mut head = [0u8; 8];
        entry.read_exact(&mut head).unwrap();
        assert_eq!(
            head[..4],
            [0xCA, 0xFE, 0xBA, 0xBE],
            "{name} in {}",
            jar.display()
        );
        highest = highest.max(Some(u16::from_be_bytes([head[6], head[7]])));
    }
    highest
}

/// A small repository in the sandbox: POMs, jars with one class of a given major version, and
/// `.sha1` files computed from the bytes. Shared with `hostile_models` and `hostile`.
pub(crate) struct MiniRepo {
    pub(crate) root: PathBuf,
}

impl MiniRepo {
    pub(crate) fn new(sb: &Sandbox) -> MiniRepo {
        let root = sb.root().join("repo");
        std::fs::create_dir_all(&root).unwrap();
        MiniRepo { root }
    }

    pub(crate) fn put(&self, rel: &str, bytes: &[u8]) {
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
    pub(crate) fn publish(&self, gav: &str, major: u16, deps: &[&str]) {
        let mut body = String::from("<dependencies>");
        for d in deps {
            let q: Vec<&str> = d.split(':').collect();
            body.push_str(&format!(
                "<dependency><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version></dependency>",
                q[0], q[1], q[2]
            ));
        }
        body.push_str("</dependencies>");
        self.publish_raw(gav, major, &body);
    }

    /// Publishes `g:a:v` whose POM has `body` after its coordinates, with a jar.
    pub(crate) fn publish_raw(&self, gav: &str, major: u16, body: &str) {
        let p: Vec<&str> = gav.split(':').collect();
        let xml = format!(
            "<project><modelVersion>4.0.0</modelVersion><groupId>{}</groupId><artifactId>{}</artifactId><version>{}</version>{body}</project>",
            p[0], p[1], p[2]
        );
        let dir = format!("{}/{}/{}", p[0].replace('.', "/"), p[1], p[2]);
        self.put(&format!("{dir}/{}-{}.pom", p[1], p[2]), xml.as_bytes());
        self.jar(&format!("{dir}/{}-{}.jar", p[1], p[2]), major);
    }

    /// Writes a jar holding one class of class-file version `major` at `rel`.
    pub(crate) fn jar(&self, rel: &str, major: u16) {
        self.put(rel, &Self::jar_bytes(major));
    }

    /// A jar holding one class whose header claims class-file version `major`.
    pub(crate) fn jar_bytes(major: u16) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut buf);
        zip.start_file("p/C.class", zip::write::SimpleFileOptions::default())
            .unwrap();
        let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0];
        class.extend_from_slice(&major.to_be_bytes());
        zip.write_all(&class).unwrap();
        zip.finish().unwrap();
        buf.into_inner()
    }

    pub(crate) fn arg(&self) -> String {
        self.root.to_str().unwrap().to_string()
    }

    /// Runs `kclrs lock --root ROOT` against this repository, with `extra` flags.
    pub(crate) fn lock(&self, sb: &Sandbox, root: &str, extra: &[&str]) -> std::process::Output {
        let repo = self.arg();
        // --no-mvn also keeps the installed Maven's own `central` out: tests stay on this folder.
        let mut args = vec![
            "lock",
            "--root",
            root,
            "--maven-repo-local",
            &repo,
            "--no-mvn",
        ];
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
    let out = check(&["-o", "missing.lock"]);
    assert_exit(&sb, &out, 6);
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
    // A plain `kclrs lock` keeps the version the lock records; `latest` moves it.
    let relock = |extra: &[&str]| {
        let mut full = vec!["lock", "--no-local-repo", "--repository", &file_url, "-q"];
        full.extend_from_slice(extra);
        assert_exit(&sb, &sb.run(full), 0);
        load(&sb.work().join("jars.lock")).roots[0].to_string()
    };
    assert_eq!(relock(&[]), format!("{ga}:3.0.0"));
    assert_eq!(relock(&["--kcl-version", "latest"]), format!("{ga}:3.10.1"));
}

#[test]
fn exclusions_are_recorded_and_a_plain_lock_keeps_them() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:gen:1", "org.ex:lib:1"]);
    repo.publish("org.ex:gen:1", 61, &[]);
    repo.publish("org.ex:lib:1", 50, &[]);
    repo.publish("org.ex:extra:1", 51, &[]);
    let lock_path = sb.work().join("jars.lock");
    let m2 = repo.arg();
    let lock = |extra: &[&str]| {
        let mut args = vec!["lock", "--maven-repo-local", &m2, "-q"];
        args.extend_from_slice(extra);
        let out = sb.run(args);
        assert_exit(&sb, &out, 0);
        (
            load(&lock_path),
            std::fs::read_to_string(&lock_path).unwrap(),
        )
    };
    let (full, _) = lock(&["--root", "org.ex:app:1"]);
    assert_eq!(full.min_java, Some(17));
    let mins: Vec<Option<u32>> = full.artifacts.iter().map(|a| a.min_java).collect();
    assert_eq!(mins, [Some(8), Some(17), Some(6)]);

    let (slim, text) = lock(&["--root", "org.ex:app:1", "--exclude", "org.ex:gen"]);
    assert_eq!(lock_keys(&slim), ["org.ex:app:jar::1", "org.ex:lib:jar::1"]);
    assert_eq!(slim.excludes, ["org.ex:gen"]);
    assert_eq!(slim.min_java, Some(8));
    assert!(text.contains("excludes = [\"org.ex:gen\"]\n"), "{text}");
    assert_ne!(slim.input_hash, full.input_hash);
    // No flags: the recorded root and exclusion are locked again, byte for byte.
    assert_eq!(lock(&[]).1, text);
    let check = sb.run(["lock", "--check", "--maven-repo-local", &m2]);
    assert_exit(&sb, &check, 0);
    // --add appends to the recorded roots and keeps the exclusion.
    let (added, _) = lock(&["--add", "org.ex:extra:1"]);
    assert_eq!(
        added
            .roots
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["org.ex:app:1", "org.ex:extra:1"]
    );
    assert_eq!(added.excludes, ["org.ex:gen"]);
    // A lock that does not parse cannot say what to re-lock.
    std::fs::write(&lock_path, "version = 1\nroots = [").unwrap();
    let out = sb.run(["lock", "--maven-repo-local", &m2]);
    assert_exit(&sb, &out, 3);
    insta::assert_snapshot!("relock_unparsable", sb.transcript(&out));
    // Naming both the roots and the exclusions does not need the old lock.
    lock(&["--root", "org.ex:app:1", "--exclude", "org.ex:gen"]);
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

/// `<dependency>` for `g:a[:v]` with extra XML inside (scope, type, exclusions, …).
fn dep(ga_v: &str, extra: &str) -> String {
    let p: Vec<&str> = ga_v.split(':').collect();
    let version = p
        .get(2)
        .map_or_else(String::new, |v| format!("<version>{v}</version>"));
    format!(
        "<dependency><groupId>{}</groupId><artifactId>{}</artifactId>{version}{extra}</dependency>",
        p[0], p[1]
    )
}

fn deps_xml(list: &[String]) -> String {
    format!("<dependencies>{}</dependencies>", list.concat())
}

fn profile(id: &str, activation: &str, dependency: &str) -> String {
    format!(
        "<profile><id>{id}</id><activation>{activation}</activation>{}</profile>",
        deps_xml(&[dep(dependency, "")])
    )
}

/// One synthetic graph exercising every rule at once, resolved by real `mvn` (offline, the
/// fixture repository served as file://, the dependency plugin from the test repository) and by
/// kclrs: both must list the same artifacts in the same order.
#[test]
fn synthetic_rules_match_maven() {
    let m2 = test_m2();
    let sb = Sandbox::new();
    let fx = MiniRepo::new(&sb);
    let excl = |g: &str, a: &str| {
        format!("<exclusions><exclusion><groupId>{g}</groupId><artifactId>{a}</artifactId></exclusion></exclusions>")
    };
    // Parent with properties, management and a BOM import chain.
    fx.publish_raw(
        "kx:parent:1",
        52,
        &format!(
            "<packaging>pom</packaging><properties><lib.version>1.0</lib.version></properties>\
             <dependencyManagement>{}</dependencyManagement>{}",
            deps_xml(&[
                dep("kx:lib:${lib.version}", ""),
                dep("kx:bom:1", "<type>pom</type><scope>import</scope>"),
            ]),
            deps_xml(&[dep("kx:inherited:${project.version}", "")])
        ),
    );
    fx.publish_raw(
        "kx:bom:1",
        52,
        &format!(
            "<packaging>pom</packaging><dependencyManagement>{}</dependencyManagement>",
            deps_xml(&[
                dep("kx:frombom:1", ""),
                dep("kx:lib:9", ""),
                dep("kx:bom2:1", "<type>pom</type><scope>import</scope>"),
            ])
        ),
    );
    fx.publish_raw(
        "kx:bom2:1",
        52,
        &format!(
            "<packaging>pom</packaging><dependencyManagement>{}</dependencyManagement>",
            deps_xml(&[
                dep("kx:deep:3", "<scope>runtime</scope>"),
                dep("kx:frombom:7", "")
            ])
        ),
    );
    let root_deps = [
        dep("kx:lib", ""),
        dep("kx:frombom", ""),
        dep("kx:deep", ""),
        dep("kx:t:1", "<scope>test</scope>"),
        dep("kx:p:1", "<scope>provided</scope>"),
        dep("kx:o:1", "<optional>true</optional>"),
        dep("kx:a:1", &excl("kx", "b")),
        dep("kx:w:1", &excl("*", "*")),
        dep("kx:n:1", "<classifier>linux-x86_64</classifier>"),
        dep("kx:n:2", "<type>test-jar</type>"),
        dep("kx:old:1", ""),
        dep("kx:ranged:[1.0,2.0)", ""),
        dep("kx:prof:1", ""),
        dep("kx:dflt:1", ""),
        dep("kx:x:1", ""),
        dep("kx:y:1", ""),
        dep("kx:m:1", ""),
        dep("kx:tm:1", ""),
        dep("kx:rt:1", "<scope>runtime</scope>"),
        dep("kx:me:1", ""),
        dep("kx:pp:1", ""),
        dep("kx:dup:1", ""),
        dep("kx:vv:1.0", ""),
        dep("kx:far:1", ""),
    ];
    fx.put(
        "kx/root/1/root-1.pom",
        format!(
            "<project><modelVersion>4.0.0</modelVersion>\
             <parent><groupId>kx</groupId><artifactId>parent</artifactId><version>1</version></parent>\
             <artifactId>root</artifactId><properties><lib.version>1.5</lib.version></properties>{}</project>",
            deps_xml(&root_deps)
        )
        .as_bytes(),
    );
    fx.jar("kx/root/1/root-1.jar", 52);
    for gav in [
        "kx:lib:1.5",
        "kx:frombom:1",
        "kx:deep:3",
        "kx:inherited:1",
        "kx:t:1",
        "kx:p:1",
        "kx:o:1",
        "kx:b:1",
        "kx:k:1",
        "kx:k:2",
        "kx:n:1",
        "kx:n:2",
        "kx:ranged:1.0",
        "kx:ranged:1.5",
        "kx:ranged:2.0",
        "kx2:moved:1.1",
        "kx:unix:1",
        "kx:win:1",
        "kx:jdk11:1",
        "kx:jdk8:1",
        "kx:noflag:1",
        "kx:dfltdep:1",
        "kx:mac:1",
        "kx:z:1",
        "kx:z:2",
        "kx:c:2",
        "kx:q:1",
        "kx:q:2",
        "kx:rc:1",
        "kx:rt2:1",
    ] {
        fx.publish(gav, 52, &[]);
    }
    fx.jar("kx/n/1/n-1-linux-x86_64.jar", 52);
    fx.jar("kx/n/2/n-2-tests.jar", 52);
    fx.put(
        "kx/ranged/maven-metadata.xml",
        b"<metadata><groupId>kx</groupId><artifactId>ranged</artifactId><versioning><versions>\
          <version>1.0</version><version>1.5</version><version>2.0</version></versions></versioning></metadata>",
    );
    fx.publish("kx:a:1", 52, &["kx:b:1", "kx:c:1"]);
    fx.publish("kx:c:1", 52, &["kx:b:1", "kx:k:1"]);
    fx.publish("kx:w:1", 52, &["kx:k:2"]);
    fx.publish_raw(
        "kx:old:1",
        52,
        "<distributionManagement><relocation><groupId>kx2</groupId><artifactId>moved</artifactId><version>1.1</version></relocation></distributionManagement>",
    );
    fx.publish_raw(
        "kx:prof:1",
        52,
        &format!(
            "<profiles>{}{}{}{}{}</profiles>",
            profile(
                "unix",
                "<os><family>unix</family><arch>amd64</arch></os>",
                "kx:unix:1"
            ),
            profile("win", "<os><family>windows</family></os>", "kx:win:1"),
            profile("jdk11", "<jdk>[11,)</jdk>", "kx:jdk11:1"),
            profile("jdk8", "<jdk>1.8</jdk>", "kx:jdk8:1"),
            profile(
                "noflag",
                "<property><name>!some.flag</name></property>",
                "kx:noflag:1"
            ),
        ),
    );
    fx.publish_raw(
        "kx:dflt:1",
        52,
        &format!(
            "<profiles>{}{}</profiles>",
            profile(
                "d",
                "<activeByDefault>true</activeByDefault>",
                "kx:dfltdep:1"
            ),
            profile("mac", "<os><name>mac os x</name></os>", "kx:mac:1"),
        ),
    );
    fx.publish("kx:x:1", 52, &["kx:z:1"]);
    fx.publish("kx:y:1", 52, &["kx:z:2"]);
    fx.publish("kx:m:1", 52, &["kx:mm:1"]);
    fx.publish("kx:mm:1", 52, &["kx:c:2"]);
    fx.publish_raw(
        "kx:tm:1",
        52,
        &format!(
            "<dependencyManagement>{}</dependencyManagement>{}",
            deps_xml(&[dep("kx:q:2", "")]),
            deps_xml(&[dep("kx:r:1", "")])
        ),
    );
    fx.publish("kx:r:1", 52, &["kx:q:1"]);
    fx.publish_raw(
        "kx:rt:1",
        52,
        &deps_xml(&[dep("kx:rc:1", ""), dep("kx:rt2:1", "<scope>test</scope>")]),
    );

    // Exclusions from dependency management, a property set by a profile, a duplicate declaration.
    fx.publish_raw(
        "kx:me:1",
        52,
        &format!(
            "<dependencyManagement>{}</dependencyManagement>{}",
            deps_xml(&[dep("kx:a2:1", &excl("kx", "b2"))]),
            deps_xml(&[dep("kx:a2", "")])
        ),
    );
    fx.publish("kx:a2:1", 52, &["kx:b2:1", "kx:c2:1"]);
    fx.publish_raw(
        "kx:pp:1",
        52,
        &format!(
            "<properties><v>1</v></properties>{}<profiles><profile><id>d</id>\
             <activation><activeByDefault>true</activeByDefault></activation>\
             <properties><v>2</v></properties></profile></profiles>",
            deps_xml(&[dep("kx:ppd:${v}", "")])
        ),
    );
    fx.publish("kx:dup:1", 52, &["kx:dd:1", "kx:dd:2"]);
    for gav in [
        "kx:b2:1", "kx:c2:1", "kx:ppd:1", "kx:ppd:2", "kx:dd:1", "kx:dd:2",
    ] {
        fx.publish(gav, 52, &[]);
    }

    // A farther range that excludes the nearer fixed version: Maven backtracks into the range.
    fx.publish("kx:far:1", 52, &["kx:vv:[1.5,2.0)"]);
    for gav in ["kx:vv:1.0", "kx:vv:1.5", "kx:vv:1.7"] {
        fx.publish(gav, 52, &[]);
    }
    fx.put(
        "kx/vv/maven-metadata.xml",
        b"<metadata><groupId>kx</groupId><artifactId>vv</artifactId><versioning><versions>\
          <version>1.0</version><version>1.5</version><version>1.7</version></versions></versioning></metadata>",
    );

    // Maven's answer.
    let proj = sb.root().join("mvn-project");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("pom.xml"),
        format!(
            "<project><modelVersion>4.0.0</modelVersion><groupId>t</groupId><artifactId>t</artifactId>\
             <version>1</version><packaging>pom</packaging>\
             <repositories><repository><id>fx</id><url>file://{}</url></repository></repositories>\
             <pluginRepositories><pluginRepository><id>test-m2</id><url>file://{}</url></pluginRepository></pluginRepositories>\
             {}</project>",
            fx.arg(),
            m2.display(),
            deps_xml(&[dep("kx:root:1", "")])
        ),
    )
    .unwrap();
    let list = sb.root().join("mvn-list.txt");
    let mvn = std::process::Command::new("mvn")
        .current_dir(&proj)
        .args([
            "-B",
            "-q",
            "-o",
            "-Daether.offline.protocols=file",
            &format!(
                "-Dmaven.repo.local={}",
                sb.root().join("mvn-local").display()
            ),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:list",
            "-DincludeScope=runtime",
            &format!("-DoutputFile={}", list.display()),
            "-DappendOutput=false",
        ])
        .env("HOME", sb.home())
        .output()
        .expect("mvn must be on PATH for this test");
    assert!(
        mvn.status.success(),
        "mvn failed:\n{}{}",
        String::from_utf8_lossy(&mvn.stdout),
        String::from_utf8_lossy(&mvn.stderr)
    );
    let expected: Vec<String> = maven_reference(&list)
        .into_iter()
        .filter(|k| !k.starts_with("kx:root:"))
        .collect();

    let out = fx.lock(&sb, "kx:root:1", &["-q"]);
    assert_exit(&sb, &out, 0);
    let got: Vec<String> = lock_keys(&load(&sb.work().join("jars.lock")))
        .into_iter()
        .filter(|k| !k.starts_with("kx:root:"))
        .collect();
    assert_eq!(got, expected, "kclrs (left) and Maven (right) differ");
    // The rules the fixture is about, so a change in both cannot go unnoticed.
    for must in [
        "kx:lib:jar::1.5",
        "kx:frombom:jar::1",
        "kx:deep:jar::3",
        "kx:c:jar::1",
        "kx:k:jar::1",
        "kx:n:jar:linux-x86_64:1",
        "kx:n:jar:tests:2",
        "kx2:moved:jar::1.1",
        "kx:ranged:jar::1.5",
        "kx:unix:jar::1",
        "kx:jdk11:jar::1",
        "kx:noflag:jar::1",
        "kx:dfltdep:jar::1",
        "kx:z:jar::1",
        "kx:q:jar::1",
        "kx:rc:jar::1",
        "kx:inherited:jar::1",
        "kx:c2:jar::1",
        "kx:ppd:jar::2",
        "kx:dd:jar::2",
        "kx:vv:jar::1.7",
    ] {
        assert!(
            got.contains(&must.to_string()),
            "{must} missing from {got:?}"
        );
    }
}

/// Mirrors every file under `from` into `to` as hard links (copies across filesystems), so a test
/// can add files to a served repository without touching the shared one.
fn link_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dest) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            link_tree(&src, &dest);
        } else if std::fs::hard_link(&src, &dest).is_err() {
            std::fs::copy(&src, &dest).unwrap();
        }
    }
}

/// `kclrs lock` over a real HTTP server holding what Maven downloaded for the KCL root.
#[test]
fn http_repository_locks_the_kcl_closure_as_the_local_repository_does() {
    let m2 = test_m2();
    let sb = Sandbox::new();
    let served = sb.root().join("served");
    link_tree(&m2, &served);
    let committed = load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("jars.lock"));
    let version = committed.roots[0].version.clone();
    // A local repository keeps `maven-metadata-<repo-id>.xml`; a remote serves this file.
    std::fs::write(
        served.join("software/amazon/kinesis/amazon-kinesis-client-multilang/maven-metadata.xml"),
        format!(
            "<metadata><groupId>software.amazon.kinesis</groupId><artifactId>amazon-kinesis-client-multilang</artifactId>\
             <versioning><versions><version>2.7.0</version><version>{version}</version><version>4.0.0</version>\
             </versions></versioning></metadata>"
        ),
    )
    .unwrap();
    let server = Server::start(&served);
    let out = sb.run([
        "lock",
        "--kcl-version",
        &version,
        "--maven-repo-local",
        m2.to_str().unwrap(),
        "-o",
        "local.lock",
        "-q",
    ]);
    assert_exit(&sb, &out, 0);
    // Locked with javapoet (no exclusion): 131 jars, and Java 17 because of javapoet alone.
    let full = load(&sb.work().join("local.lock"));
    assert!(full.excludes.is_empty());
    assert_eq!(full.min_java, Some(17));
    let needing = full.needing_more_than(8);
    assert_eq!(needing.len(), 1, "{needing:?}");
    assert_eq!(
        needing[0].coord.to_string(),
        "com.palantir.javapoet:javapoet:0.6.0"
    );
    assert_eq!(needing[0].min_java, Some(17));
    let without: Vec<_> = full
        .artifacts
        .iter()
        .filter(|a| a.coord.group != "com.palantir.javapoet")
        .collect();
    assert_eq!(without, committed.artifacts.iter().collect::<Vec<_>>());
    let url = server.url();
    let out = sb.run([
        "lock",
        "--kcl-version",
        "latest",
        "--repository",
        &url,
        "--no-local-repo",
        "--no-mvn",
        "-o",
        "http.lock",
        "--json",
    ]);
    assert_exit(&sb, &out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let local = std::fs::read_to_string(sb.work().join("local.lock")).unwrap();
    assert_eq!(
        std::fs::read_to_string(sb.work().join("http.lock")).unwrap(),
        local,
        "the lock from HTTP differs from the one from the local repository"
    );
    assert!(server.count(".jar.sha1") >= committed.artifacts.len());
    assert!(
        server.max_in_flight() > 1,
        "each batch of POMs is fetched concurrently"
    );
    assert!(
        json["fetch_rounds"].as_u64().unwrap() * 2 < json["poms"].as_u64().unwrap(),
        "fewer round trips than POMs: {json}"
    );

    // Warm: POMs and jars now come from the kclrs cache, without a single request.
    let before = server.seen().len();
    let out = sb.run([
        "lock",
        "--kcl-version",
        &version,
        "--repository",
        &url,
        "--no-local-repo",
        "--no-mvn",
        "-o",
        "warm.lock",
        "-q",
    ]);
    assert_exit(&sb, &out, 0);
    assert_eq!(server.seen().len(), before, "a warm lock fetched nothing");
    assert_eq!(
        std::fs::read_to_string(sb.work().join("warm.lock")).unwrap(),
        local
    );
    // The jars the lock downloaded are verified in the cache for download-jars.
    let out = sb.run([
        "download-jars",
        "--lockfile",
        "http.lock",
        "--offline",
        "--no-local-repo",
        "--json",
    ]);
    assert_exit(&sb, &out, 0);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["from_cache"], full.artifacts.len());
}

#[test]
fn http_faults_are_retried_404_moves_on_and_a_tampered_sha1_aborts() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 55, &[]);
    let out = repo.lock(&sb, "org.ex:app:1", &["-o", "local.lock", "-q"]);
    assert_exit(&sb, &out, 0);
    let local = std::fs::read_to_string(sb.work().join("local.lock")).unwrap();
    let empty = sb.root().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (nothing, server) = (Server::start(&empty), Server::start(&repo.root));
    // The POM itself, not its `.sha1` (asked at the same moment, it would race for the fault).
    server.fault_ending("lib-1.pom", Fault::Status(500), 1);
    server.fault_ending("app-1.pom", Fault::Drop, 1);
    let (first, second) = (nothing.url(), server.url());
    let lock = |cache: &str, out_file: &str, extra: &[&str]| {
        let mut args = vec!["--repository", second.as_str()];
        args.extend_from_slice(extra);
        lock_app_from(&sb, &first, cache, out_file, &args)
    };
    let out = lock("c1", "http.lock", &["-q"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(
        std::fs::read_to_string(sb.work().join("http.lock")).unwrap(),
        local
    );
    assert_eq!(server.count_ending("lib-1.pom"), 2, "the 500 was retried");
    assert_eq!(
        server.count_ending("app-1.pom"),
        2,
        "the broken body was fetched again"
    );
    assert!(
        nothing.count_ending("app-1.pom") == 1,
        "the first repository was asked first"
    );

    // --offline never touches the network, even with repositories configured.
    let before = (nothing.seen().len(), server.seen().len());
    let out = lock("c2", "offline.lock", &["--offline"]);
    assert_exit(&sb, &out, 5);
    assert_eq!((nothing.seen().len(), server.seen().len()), before);

    std::fs::write(
        repo.root.join("org/ex/lib/1/lib-1.jar.sha1"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .unwrap();
    let out = lock("c3", "tampered.lock", &[]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("checksum mismatch for org.ex:lib:1")
            && err.contains(&format!("{second}/org/ex/lib/1/lib-1.jar.sha1")),
        "{err}"
    );
    assert!(!sb.work().join("tampered.lock").exists());
    assert!(
        !sb.work().join("c3/maven/org/ex/lib/1/lib-1.jar").exists(),
        "a jar that failed its check is not kept"
    );
}

/// `lock --root org.ex:app:1` from the remote at `url` alone, into the kclrs cache `cache` and
/// the lock `out_file` (both relative to the sandbox's work folder), plus `extra` flags.
pub(crate) fn lock_app_from(
    sb: &Sandbox,
    url: &str,
    cache: &str,
    out_file: &str,
    extra: &[&str],
) -> std::process::Output {
    let mut args = vec![
        "lock",
        "--root",
        "org.ex:app:1",
        "--repository",
        url,
        "--no-local-repo",
        "--no-mvn",
        "--cache-dir",
        cache,
        "-o",
        out_file,
    ];
    args.extend_from_slice(extra);
    sb.run(args)
}

/// Issue 20, the pipelined lock: a level's jars are asked for while a deeper level's POM is
/// still unanswered (the server holds that POM back), the lock is the one the local repository
/// gives, and a checksum kind the server does not publish is asked once, not once per jar.
/// Once the server does publish `.sha256` files, every jar's is asked and compared.
#[test]
fn lock_starts_shallower_jars_while_a_deeper_pom_is_outstanding() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:mid:1", "org.ex:side:1"]);
    repo.publish("org.ex:mid:1", 52, &["org.ex:deep:1"]);
    // deep:1 and deep:2 tie at depth 3: the first declared (deep:1) wins, before either POM.
    repo.publish("org.ex:side:1", 52, &["org.ex:deep:2"]);
    repo.publish("org.ex:deep:1", 55, &["org.ex:deeper:1"]);
    repo.publish("org.ex:deep:2", 55, &[]);
    repo.publish("org.ex:deeper:1", 52, &[]);
    let out = repo.lock(&sb, "org.ex:app:1", &["-o", "local.lock", "-q"]);
    assert_exit(&sb, &out, 0);
    let local = std::fs::read_to_string(sb.work().join("local.lock")).unwrap();
    let server = Server::start(&repo.root);
    let url = server.url();
    let lock = |cache: &str, out_file: &str| lock_app_from(&sb, &url, cache, out_file, &["-q"]);
    // The POM and its .sha1 (asked together) both wait.
    let pause = std::time::Duration::from_millis(1500);
    server.fault("/deep-1.pom", Fault::Delay(pause), 2);
    assert_exit(&sb, &lock("c1", "http.lock"), 0);
    assert_eq!(
        std::fs::read_to_string(sb.work().join("http.lock")).unwrap(),
        local,
        "the pipelined lock differs from the local repository's"
    );
    let events = server.events();
    let at = |event: &str| {
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no `{event}` in {events:#?}"))
    };
    let path = |a: &str, ext: &str| format!("/repo/org/ex/{a}/1/{a}-1.{ext}");
    let deep_answered = at(&format!("< {}", path("deep", "pom")));
    for shallower in ["app", "mid", "side"] {
        assert!(
            at(&format!("> {}", path(shallower, "jar"))) < deep_answered,
            "the jar of {shallower} waited for the deeper POM: {events:#?}"
        );
    }
    // The jar of an artifact that POM names cannot start before it is read.
    assert!(at(&format!("> {}", path("deeper", "jar"))) > deep_answered);
    // Five jars, each asked once; .sha256/.sha512 learned absent from the first jar.
    assert_eq!(server.count_ending(".jar"), 5);
    assert_eq!(server.count_ending(".jar.sha256"), 1, "{events:#?}");
    assert_eq!(server.count_ending(".jar.sha512"), 1, "{events:#?}");

    // Now the server publishes .sha256 beside every jar, one of them wrong.
    for a in ["app", "mid", "side", "deep", "deeper"] {
        let jar = repo.root.join(path(a, "jar").trim_start_matches("/repo/"));
        let bytes = std::fs::read(&jar).unwrap();
        let sum = if a == "deeper" {
            "0".repeat(64)
        } else {
            crate::download::sha256(&bytes)
        };
        std::fs::write(format!("{}.sha256", jar.display()), sum).unwrap();
    }
    let before = server.count_ending(".jar.sha256");
    let out = lock("c2", "sha256.lock");
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("checksum mismatch for org.ex:deeper:1")
            && err.contains("deeper-1.jar.sha256"),
        "{err}"
    );
    assert_eq!(server.count_ending(".jar.sha256") - before, 5);
    assert!(!sb.work().join("sha256.lock").exists());
}

/// Issue 20, the tail of a lock: each jar from a remote is checked and kept in the kclrs cache as
/// soon as it has arrived, not once a batch's slowest jar has. The server holds back the first
/// jar of the classpath until the cache holds a later one (at most 20 s): a lock that checks
/// jars in batches would keep neither until the wait runs out.
#[test]
fn lock_keeps_each_jar_as_soon_as_it_arrives() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["org.ex:lib:1"]);
    repo.publish("org.ex:lib:1", 52, &[]);
    let server = Server::start(&repo.root);
    let kept = sb.work().join("c/maven/org/ex/lib/1/lib-1.jar");
    let held = "/repo/org/ex/app/1/app-1.jar";
    server.fault_ending(
        "/app-1.jar",
        Fault::AwaitFile(kept.clone(), std::time::Duration::from_secs(20)),
        1,
    );
    let out = lock_app_from(&sb, &server.url(), "c", "jars.lock", &["-q"]);
    assert_exit(&sb, &out, 0);
    let events = server.events();
    assert!(
        events.contains(&format!("= {held}")),
        "lib-1.jar was not kept while app-1.jar was outstanding: {events:#?}"
    );
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    let app = lock.find("org.ex:app:1").unwrap();
    assert!(app < lock.find("org.ex:lib:1").unwrap(), "{lock}");
    assert!(kept.is_file());
}

/// Issue 20, HTTP/2: over an HTTPS remote that negotiates h2, `lock` keeps more requests in
/// flight than `--jobs` (8 streams per job for POMs and as many for jars, each kind on a
/// connection of its own), since a request there costs a stream, not a connection; the lock is still the local repository's. One level of 12 libraries
/// whose every answer the server holds back 150 ms makes the requests queue up.
#[test]
fn lock_over_http2_multiplexes_more_requests_than_jobs() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let libs: Vec<String> = (0..12).map(|i| format!("org.ex:lib{i}:1")).collect();
    let lib_refs: Vec<&str> = libs.iter().map(String::as_str).collect();
    repo.publish("org.ex:app:1", 52, &lib_refs);
    for lib in &libs {
        repo.publish(lib, 52, &[]);
    }
    let out = repo.lock(&sb, "org.ex:app:1", &["-o", "local.lock", "-q"]);
    assert_exit(&sb, &out, 0);
    let cert = crate::server::TestCert::new();
    let cert_file = sb.root().join("cert.pem");
    std::fs::write(&cert_file, &cert.cert_pem).unwrap();
    let server =
        crate::h2server::H2Server::start(&repo.root, &cert, std::time::Duration::from_millis(150));
    let out = sb
        .cmd([
            "lock",
            "--root",
            "org.ex:app:1",
            "--repository",
            &server.url(),
            "--no-local-repo",
            "--no-mvn",
            "--jobs",
            "2",
            "-o",
            "h2.lock",
            "-q",
        ])
        .env("SSL_CERT_FILE", &cert_file)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    assert_eq!(
        std::fs::read_to_string(sb.work().join("h2.lock")).unwrap(),
        std::fs::read_to_string(sb.work().join("local.lock")).unwrap()
    );
    // 13 POMs and 13 jars, a .sha1 each, one .sha256 and one .sha512 learned absent, metadata.
    assert!(server.requests() >= 52, "{} requests", server.requests());
    // One connection for POMs (two when the first requests raced ALPN's answer), one for jars.
    let connections = server.connections();
    assert!((2..=3).contains(&connections), "{connections} connections");
    // HTTP/1.1 would hold it at 2; 8 streams per job allow 16 POM and 16 jar requests.
    let most = server.max_in_flight();
    assert!(
        (8..=32).contains(&most),
        "{most} requests in flight at most"
    );
}
