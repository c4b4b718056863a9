//! What a hostile repository can put in front of `kclrs lock` (issue 13): POM coordinates that
//! would become paths outside the cache, exponential property expansion and property cycles,
//! jars that do not open or carry impossible class versions, a forged cache stamp, and locks whose
//! `--dest` names clash. Every repository here is a real folder served on 127.0.0.1.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::lock::MiniRepo;
use crate::server::Server;
use crate::support::*;

/// Every path under `root`, except those under `skip` (the cache, which may legitimately grow).
fn tree(root: &Path, skip: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.starts_with(skip) {
                continue;
            }
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                todo.push(path.clone());
            }
            out.insert(path);
        }
    }
    out
}

/// `kclrs lock --root ROOT` against `server` only (no local repository, no `mvn`).
fn lock_remote(sb: &Sandbox, server: &Server, root: &str) -> std::process::Output {
    let url = server.url();
    sb.run([
        "lock",
        "--root",
        root,
        "--repository",
        &url,
        "--no-local-repo",
    ])
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn hostile_coordinates_in_poms_exit_3_and_write_nothing_outside_the_cache() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let dep = |g: &str, a: &str, v: &str, extra: &str| {
        format!("<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>{extra}</dependency>")
    };
    let deps = |d: String| format!("<dependencies>{d}</dependencies>");
    // Each case is the POM body of its own root, and a part of the message that names the POM.
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "classifier",
            deps(dep(
                "org.ex",
                "lib",
                "1",
                "<classifier>x/../../../../../../../escaped</classifier>",
            )),
            "declared in the POM of org.ex:classifier:1",
        ),
        (
            "artifact",
            deps(dep("org.ex", "..", "1", "")),
            "declared in the POM of org.ex:artifact:1",
        ),
        (
            "version",
            deps(dep("org.ex", "lib", "../locks/x", "")),
            "declared in the POM of org.ex:version:1",
        ),
        (
            "all-parts",
            deps(dep("..", "..", "../../x", "")),
            "declared in the POM of org.ex:all-parts:1",
        ),
        (
            "interpolated",
            format!(
                "<properties><where>../../../escaped</where></properties>{}",
                deps(dep("org.ex", "lib", "${where}", ""))
            ),
            "declared in the POM of org.ex:interpolated:1",
        ),
        (
            "bom",
            format!(
                "<dependencyManagement>{}</dependencyManagement>",
                deps(dep(
                    "..",
                    "..",
                    "../../x",
                    "<type>pom</type><scope>import</scope>"
                ))
            ),
            "in the POM chain of org.ex:bom:1",
        ),
    ];
    for (name, body, _) in &cases {
        repo.publish_raw(&format!("org.ex:{name}:1"), 52, body);
    }
    // The parent is declared in place of the usual coordinates, so it is its own POM.
    repo.put(
        "org/ex/parent/1/parent-1.pom",
        b"<project><modelVersion>4.0.0</modelVersion><parent><groupId>..</groupId><artifactId>..</artifactId><version>../../x</version></parent><groupId>org.ex</groupId><artifactId>parent</artifactId><version>1</version></project>",
    );
    repo.jar("org/ex/parent/1/parent-1.jar", 52);
    // What a traversal would fetch, were it followed: real bytes, so a regression would write them.
    repo.jar("org/ex/escaped.jar", 52);
    repo.jar("escaped.jar", 52);
    let server = Server::start(&repo.root);
    let all = cases
        .iter()
        .map(|(n, _, m)| (*n, *m))
        .chain([("parent", "in the POM chain of org.ex:parent:1")]);
    for (name, names_pom) in all {
        let before = tree(sb.root(), &sb.cache());
        let out = lock_remote(&sb, &server, &format!("org.ex:{name}:1"));
        assert_exit(&sb, &out, 3);
        let err = stderr(&out);
        assert!(err.contains(names_pom), "{name}: {err}");
        assert!(err.contains("hint: "), "{name}: {err}");
        assert_eq!(
            tree(sb.root(), &sb.cache()),
            before,
            "{name}: files appeared outside the cache\n{err}"
        );
        if name == "classifier" {
            insta::assert_snapshot!("hostile_classifier", sb.transcript(&out));
        }
    }
    // Nothing with a hostile part was ever asked for, and nothing escaped inside the cache either.
    for seen in server.seen() {
        assert!(
            !seen.path.contains("..") && !seen.path.contains("escaped"),
            "requested {}",
            seen.path
        );
    }
    let cache_tree = tree(&sb.cache(), &sb.root().join("no-skip"));
    for p in &cache_tree {
        let name = p.file_name().unwrap().to_string_lossy();
        assert!(!name.contains("escaped") && name != "x", "{}", p.display());
    }
    assert!(!sb.work().join("jars.lock").exists());
}

/// `p0 = ${p1}${p1}`, …, `p39 = ${p40}${p40}`, `p40 = lol`: 3 TiB if expanded naively.
fn laughs() -> String {
    let mut props = String::from("<properties>");
    for n in 0..40 {
        props.push_str(&format!("<p{n}>${{p{m}}}${{p{m}}}</p{n}>", m = n + 1));
    }
    props.push_str("<p40>lol</p40></properties>");
    props
}

#[test]
fn billion_laughs_and_property_cycles_in_a_pom_exit_3_naming_pom_and_property() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:lib:1", 52, &[]);
    repo.publish_raw(
        "org.ex:laughs:1",
        52,
        &format!(
            "{}<dependencies><dependency><groupId>org.ex</groupId><artifactId>lib</artifactId><version>${{p0}}</version></dependency></dependencies>",
            laughs()
        ),
    );
    // The laughs in a parent reach a child that uses them.
    repo.publish_raw("org.ex:laughs-parent:1", 52, &laughs());
    repo.put(
        "org/ex/laughs-child/1/laughs-child-1.pom",
        b"<project><modelVersion>4.0.0</modelVersion><parent><groupId>org.ex</groupId><artifactId>laughs-parent</artifactId><version>1</version></parent><artifactId>laughs-child</artifactId><dependencies><dependency><groupId>org.ex</groupId><artifactId>lib</artifactId><version>${p3}</version></dependency></dependencies></project>",
    );
    repo.jar("org/ex/laughs-child/1/laughs-child-1.jar", 52);
    repo.publish_raw(
        "org.ex:cycle:1",
        52,
        "<properties><a>${b}</a><b>x-${a}</b></properties><dependencies><dependency><groupId>org.ex</groupId><artifactId>lib</artifactId><version>${a}</version></dependency></dependencies>",
    );
    let server = Server::start(&repo.root);

    let out = lock_remote(&sb, &server, "org.ex:laughs:1");
    assert_exit(&sb, &out, 3);
    insta::assert_snapshot!("billion_laughs", sb.transcript(&out));

    let out = lock_remote(&sb, &server, "org.ex:laughs-child:1");
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("POM org.ex:laughs-child:1: the property p25 expands to more than 64 KiB"),
        "{err}"
    );

    let out = lock_remote(&sb, &server, "org.ex:cycle:1");
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains(
            "POM org.ex:cycle:1: the properties refer to each other in a cycle: ${a} -> ${b} -> ${a}"
        ),
        "{err}"
    );
    assert!(!sb.work().join("jars.lock").exists());
}

#[test]
fn impossible_class_versions_are_refused_at_lock_time_with_exit_3() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    for major in [65535u16, 1, 44, 101] {
        let root = format!("org.ex:major{major}:1");
        repo.publish(&root, 52, &[]);
        // The jar is replaced, with a matching .sha1: the repository vouches for these bytes.
        repo.put(
            &format!("org/ex/major{major}/1/major{major}-1.jar"),
            &MiniRepo::jar_bytes(major),
        );
        let out = lock_remote(&sb, &server, &root);
        assert_exit(&sb, &out, 3);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "error: {root}: {}/org/ex/major{major}/1/major{major}-1.jar: p/C.class has class-file version {major}, outside 45..=100",
                server.url()
            )),
            "{err}"
        );
        assert!(err.contains("hint: "), "{err}");
        assert!(!sb.work().join("jars.lock").exists());
        assert!(!sb
            .cache()
            .join(format!("maven/org/ex/major{major}/1/major{major}-1.jar"))
            .exists());
    }
    // The bounds themselves lock, and give a min-java the lockfile parser accepts.
    for (major, feature) in [(45u16, "1"), (100, "56")] {
        let root = format!("org.ex:edge{major}:1");
        repo.publish(&root, major, &[]);
        let out = lock_remote(&sb, &server, &root);
        assert_exit(&sb, &out, 0);
        let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
        assert!(lock.contains(&format!("min-java = {feature}\n")), "{lock}");
        let out = sb.run(["verify", "--lockfile", "jars.lock"]);
        assert_exit(&sb, &out, 0);
    }
}

#[test]
fn a_jar_that_is_not_a_zip_or_is_truncated_exits_5_naming_its_url() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let good = MiniRepo::jar_bytes(52);
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("notzip", b"<html>not a jar</html>".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
    ];
    let server = Server::start(&repo.root);
    for (name, bytes) in &bad {
        let root = format!("org.ex:{name}:1");
        repo.publish(&root, 52, &[]);
        let rel = format!("org/ex/{name}/1/{name}-1.jar");
        // With a matching .sha1, so the bytes pass the checksum check and reach the jar reader.
        repo.put(&rel, bytes);
        let out = lock_remote(&sb, &server, &root);
        assert_exit(&sb, &out, 5);
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "error: {root}: {}/{rel} is not a valid jar (zip) file",
                server.url()
            )),
            "{name}: {err}"
        );
        assert!(err.contains("hint: "), "{err}");
        assert!(!sb.work().join("jars.lock").exists());
        assert!(!sb.cache().join("maven").join(&rel).exists());
    }
}

/// The stamp text kclrs writes next to a cached file (see `cache.rs`), for `bytes_path` as it is.
pub(crate) fn stamp_for(bytes_path: &Path, sha256: &str) -> String {
    let meta = std::fs::metadata(bytes_path).unwrap();
    let mtime = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "kclrs-verified 1\nsha256 {sha256}\nsize {}\nmtime {mtime}\n",
        meta.len()
    )
}

fn locked_sha256(sb: &Sandbox) -> String {
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    let line = lock
        .lines()
        .find_map(|l| l.strip_prefix("sha256 = \""))
        .unwrap();
    line.trim_end_matches('"').to_string()
}

#[test]
fn lock_hashes_cached_bytes_and_never_trusts_a_forged_stamp() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &[]);
    let real = std::fs::read(repo.root.join("org/ex/app/1/app-1.jar")).unwrap();
    let real_sha = sha256_hex(&real);
    let server = Server::start(&repo.root);
    let jar_requests = || {
        let seen = server.seen();
        seen.iter()
            .filter(|s| s.path.ends_with("/app-1.jar"))
            .count()
    };

    // Cold: fetched, kept in the cache with a stamp. Warm: taken from the cache, no request.
    assert_exit(&sb, &lock_remote(&sb, &server, "org.ex:app:1"), 0);
    assert_eq!(locked_sha256(&sb), real_sha);
    let cached = sb.cache().join("maven/org/ex/app/1/app-1.jar");
    let stamp = sb
        .cache()
        .join("maven/org/ex/app/1/app-1.jar.kclrs-verified");
    assert_eq!(
        std::fs::read_to_string(&stamp).unwrap(),
        stamp_for(&cached, &real_sha)
    );
    let fetched = jar_requests();
    assert_exit(&sb, &lock_remote(&sb, &server, "org.ex:app:1"), 0);
    assert_eq!(
        jar_requests(),
        fetched,
        "the warm lock should read the cache"
    );

    // A stamp forged for the real bytes (right size and mtime, wrong sha256) is not believed.
    let forged = "0".repeat(64);
    std::fs::write(&stamp, stamp_for(&cached, &forged)).unwrap();
    let out = lock_remote(&sb, &server, "org.ex:app:1");
    assert_exit(&sb, &out, 0);
    assert_eq!(locked_sha256(&sb), real_sha);
    assert!(
        stderr(&out).contains(&format!("not the {forged} its cache stamp records")),
        "{}",
        stderr(&out)
    );
    assert_eq!(jar_requests(), fetched + 1);

    // Swapped bytes with a stamp claiming the real hash: the lock never records the claim for
    // the swapped bytes; the jar is fetched again and the cache repaired.
    std::fs::write(&cached, MiniRepo::jar_bytes(65)).unwrap();
    std::fs::write(&stamp, stamp_for(&cached, &real_sha)).unwrap();
    let out = lock_remote(&sb, &server, "org.ex:app:1");
    assert_exit(&sb, &out, 0);
    assert_eq!(locked_sha256(&sb), real_sha);
    assert_eq!(std::fs::read(&cached).unwrap(), real);
    assert_eq!(jar_requests(), fetched + 2);
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    assert!(lock.contains("min-java = 8\n"), "{lock}");
}

#[test]
fn dest_names_that_clash_after_the_group_prefix_fail_before_anything_is_written() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    repo.publish("org.ex:app:1", 52, &["a.b:c:1", "x:c:1", "q:a.b.c:1"]);
    for gav in ["a.b:c:1", "x:c:1", "q:a.b.c:1"] {
        repo.publish(gav, 52, &[]);
    }
    let server = Server::start(&repo.root);
    assert_exit(&sb, &lock_remote(&sb, &server, "org.ex:app:1"), 0);
    let cache_before = tree(&sb.cache(), &sb.root().join("no-skip"));
    let requests_before = server.seen().len();
    let url = server.url();
    let out = sb.run([
        "download-jars",
        "--lockfile",
        "jars.lock",
        "--repository",
        &url,
        "--no-local-repo",
        "--dest",
        "lib",
    ]);
    assert_exit(&sb, &out, 3);
    insta::assert_snapshot!("dest_clash", sb.transcript(&out));
    assert!(!sb.work().join("lib").exists());
    assert_eq!(tree(&sb.cache(), &sb.root().join("no-skip")), cache_before);
    assert_eq!(server.seen().len(), requests_before);
    // Without --dest the same lock downloads fine: the cache layout has no clash.
    assert_exit(
        &sb,
        &sb.run([
            "download-jars",
            "--lockfile",
            "jars.lock",
            "--repository",
            &url,
            "--no-local-repo",
        ]),
        0,
    );
}

/// Finding 5: elements nested 300,000 deep, in a POM served over loopback and in settings.xml.
/// Either used to overflow the stack (abort, exit 134), and the POM stayed cached so every later
/// run crashed too. Now both are a parse error naming the file, and the POM is never kept.
#[test]
fn deeply_nested_xml_is_an_input_error_and_the_pom_is_never_cached() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let depth = 300_000;
    let deep = format!(
        "<project>{}{}</project>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    repo.put("org/ex/deep/1/deep-1.pom", deep.as_bytes());
    repo.jar("org/ex/deep/1/deep-1.jar", 52);
    let server = Server::start(&repo.root);
    for run in ["first", "second"] {
        let out = lock_remote(&sb, &server, "org.ex:deep:1");
        assert_exit(&sb, &out, 3);
        let err = stderr(&out);
        assert!(
            err.contains("deep-1.pom") && err.contains("nest deeper than 256 levels"),
            "{run} run: {err}"
        );
    }
    assert_eq!(
        server.count_ending("deep-1.pom"),
        2,
        "the second run asked the repository again: nothing was cached"
    );
    let cached_poms = tree(&sb.cache(), Path::new("/nonexistent"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pom"))
        .count();
    assert_eq!(cached_poms, 0);

    let settings = sb.root().join("deep-settings.xml");
    std::fs::write(
        &settings,
        format!(
            "<settings>{}{}</settings>",
            "<a>".repeat(200_000),
            "</a>".repeat(200_000)
        ),
    )
    .unwrap();
    let out = sb.run(["download-jars", "--settings", settings.to_str().unwrap()]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("deep-settings.xml") && err.contains("nest deeper than 256 levels"),
        "{err}"
    );
}

/// Finding 8: maven-metadata.xml from two repositories, 300,000 versions each, merged to resolve
/// a range. The merge was quadratic (102 s); it is linear now, so this lock takes a moment.
#[test]
fn huge_metadata_from_two_repositories_merges_and_resolves_the_range() {
    let sb = Sandbox::new();
    let (one, two) = (MiniRepo::new(&sb), {
        let root = sb.root().join("repo-two");
        std::fs::create_dir_all(&root).unwrap();
        MiniRepo { root }
    });
    let metadata = |from: usize| {
        let mut xml = String::from(
            "<metadata><groupId>org.ex</groupId><artifactId>many</artifactId><versioning><versions>",
        );
        for v in from..from + 300_000 {
            xml.push_str(&format!("<version>1.{v}</version>"));
        }
        xml.push_str("</versions></versioning></metadata>");
        xml
    };
    one.put("org/ex/many/maven-metadata.xml", metadata(0).as_bytes());
    two.put(
        "org/ex/many/maven-metadata.xml",
        metadata(150_000).as_bytes(),
    );
    two.publish("org.ex:many:1.449999", 52, &[]);
    one.publish_raw(
        "org.ex:app:1",
        52,
        "<dependencies><dependency><groupId>org.ex</groupId><artifactId>many</artifactId><version>[1.0,2.0)</version></dependency></dependencies>",
    );
    let (s1, s2) = (Server::start(&one.root), Server::start(&two.root));
    let (u1, u2) = (s1.url(), s2.url());
    let out = sb.run([
        "lock",
        "--root",
        "org.ex:app:1",
        "--repository",
        &u1,
        "--repository",
        &u2,
        "--no-local-repo",
        "--no-mvn",
        "-q",
    ]);
    assert_exit(&sb, &out, 0);
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    assert!(
        lock.contains("coords = \"org.ex:many:1.449999\""),
        "the highest version of the merged list wins: {lock}"
    );
}
