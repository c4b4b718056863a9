//! A hostile repository, a hostile jar and hostile settings, all on loopback servers: XML entities
//! that must never be expanded, read or sent; model cycles and deep chains; zip bombs and lying
//! zip directories; HTTP answers that never end or lie; secrets that must never leak; and faults
//! (kill -9 at random moments, a full disk, a read-only cache, a symlinked cache entry, a forged
//! stamp). Each asserts the documented exit code, a message naming the culprit, and that nothing
//! wrong is left behind. docs/security.md's table maps each promise to its test.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use crate::download::{art, cached, files_under, sha256, write_lock, Art};
use crate::lock::MiniRepo;
use crate::server::{Fault, Server, TestCert};
use crate::support::*;

/// A secret no output, file or request may ever contain.
const SECRET: &str = "T0P-SECRET-d41d8cd98f00";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|f| {
            std::fs::read(f).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
        })
        .collect()
}

/// The secret is nowhere: not in the output, not in the cache or work folder, not in any request.
#[track_caller]
fn assert_secret_nowhere(sb: &Sandbox, out: &Output, servers: &[&Server], secret: &str) {
    let text = sb.transcript(out);
    assert!(!text.contains(secret), "the secret was printed:\n{text}");
    for dir in [sb.cache(), sb.work()] {
        let leaked = files_containing(&dir, secret);
        assert!(leaked.is_empty(), "the secret was written to {leaked:?}");
    }
    for server in servers {
        for seen in server.seen() {
            assert!(
                !seen.raw.contains(secret),
                "the secret was sent: {}",
                seen.raw
            );
        }
    }
}

/// `lock --root ROOT` against `server` only (no local repository, no mvn).
fn lock_http(sb: &Sandbox, server: &Server, root: &str, extra: &[&str]) -> Output {
    let url = server.url();
    let mut args = vec![
        "lock",
        "--root",
        root,
        "--no-local-repo",
        "--no-mvn",
        "--repository",
        &url,
    ];
    args.extend_from_slice(extra);
    sb.run(args)
}

/// Runs kclrs under `/usr/bin/time -f %M` and returns its output and peak RSS in KiB.
fn measured(sb: &Sandbox, args: &[&str]) -> (Output, u64, Duration) {
    let time = Path::new("/usr/bin/time");
    assert!(
        time.is_file(),
        "/usr/bin/time (Debian package `time`) measures peak RSS"
    );
    let rss_file = sb.root().join("rss.txt");
    let rss_arg = rss_file.to_str().unwrap().to_string();
    let started = Instant::now();
    let out = sb
        .cmd_under(&["/usr/bin/time", "-f", "%M", "-o", &rss_arg], args)
        .output()
        .unwrap();
    let took = started.elapsed();
    let text = std::fs::read_to_string(&rss_file).unwrap();
    let kib = text
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no RSS figure in {text:?}"));
    eprintln!("peak RSS {kib} KiB, {took:?}: {args:?}");
    (out, kib, took)
}

/// [`lock_http`] under [`measured`]: output, peak RSS in KiB and wall time.
fn lock_measured(
    sb: &Sandbox,
    server: &Server,
    root: &str,
    extra: &[&str],
) -> (Output, u64, Duration) {
    let url = server.url();
    let mut args = vec![
        "lock",
        "--root",
        root,
        "--no-local-repo",
        "--no-mvn",
        "--repository",
        &url,
    ];
    args.extend_from_slice(extra);
    measured(sb, &args)
}

// ---------------------------------------------------------------------------------------------
// XML: entities and DOCTYPEs in a POM, in maven-metadata.xml and in settings.xml.

/// A DOCTYPE whose entities would read `secret_file` and fetch from `server`, and a billion laughs.
fn hostile_doctype(secret_file: &Path, server: &Server) -> String {
    let mut laughs = String::from("<!ENTITY l0 \"lol\">");
    for i in 1..10 {
        let prev = format!("&l{};", i - 1);
        laughs.push_str(&format!("<!ENTITY l{i} \"{}\">", prev.repeat(10)));
    }
    format!(
        "<!DOCTYPE project [\n  <!ENTITY xxe SYSTEM \"file://{}\">\n  \
         <!ENTITY % remote SYSTEM \"http://127.0.0.1:{}/leak.dtd\">\n  %remote;\n  {laughs}\n]>\n",
        secret_file.display(),
        server.port
    )
}

#[test]
fn xml_entities_in_a_pom_are_never_expanded_read_or_sent() {
    let sb = Sandbox::new();
    let secret_file = sb.write("secret.txt", SECRET);
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    repo.publish("org.ex:app:1", 52, &["org.ex:evil:1"]);
    let doctype = hostile_doctype(&secret_file, &server);
    for (name, use_) in [("xxe", "&xxe;"), ("laughs", "&l9;")] {
        let pom = format!(
            "<?xml version=\"1.0\"?>\n{doctype}<project><groupId>org.ex</groupId>\
             <artifactId>evil</artifactId><version>1</version><description>{use_}</description></project>"
        );
        repo.put("org/ex/evil/1/evil-1.pom", pom.as_bytes());
        repo.jar("org/ex/evil/1/evil-1.jar", 52);
        let (out, rss, _) = lock_measured(&sb, &server, "org.ex:app:1", &[]);
        assert_exit(&sb, &out, 3);
        let err = stderr(&out);
        assert!(
            err.contains("org.ex:evil:1") || err.contains("evil-1.pom"),
            "{name}: {err}"
        );
        assert!(err.contains("entity"), "{name}: {err}");
        assert!(rss < 64 * 1024, "{name}: peak RSS {rss} KiB");
        assert!(!sb.work().join("jars.lock").exists());
        assert_secret_nowhere(&sb, &out, &[&server], SECRET);
        assert_eq!(server.count("leak"), 0, "the external DTD was fetched");
    }
    // A DOCTYPE that defines entities but whose document uses none is ignored, as is any DTD.
    let pom = format!(
        "<?xml version=\"1.0\"?>\n{doctype}<project><groupId>org.ex</groupId>\
         <artifactId>evil</artifactId><version>1</version></project>"
    );
    repo.put("org/ex/evil/1/evil-1.pom", pom.as_bytes());
    let out = lock_http(&sb, &server, "org.ex:app:1", &["-q"]);
    assert_exit(&sb, &out, 0);
    assert_secret_nowhere(&sb, &out, &[&server], SECRET);
    assert_eq!(server.count("leak"), 0, "the external DTD was fetched");
}

#[test]
fn xml_entities_in_maven_metadata_are_never_expanded_read_or_sent() {
    let sb = Sandbox::new();
    let secret_file = sb.write("secret.txt", SECRET);
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    let ga = "software.amazon.kinesis:amazon-kinesis-client-multilang";
    repo.publish(&format!("{ga}:3.0.0"), 52, &[]);
    let doctype = hostile_doctype(&secret_file, &server).replace("project", "metadata");
    let metadata = format!(
        "<?xml version=\"1.0\"?>\n{doctype}<metadata><versioning><versions>\
         <version>3.0.0</version><version>&xxe;</version></versions></versioning></metadata>"
    );
    repo.put(
        "software/amazon/kinesis/amazon-kinesis-client-multilang/maven-metadata.xml",
        metadata.as_bytes(),
    );
    let out = sb.run([
        "lock",
        "--no-local-repo",
        "--no-mvn",
        "--repository",
        &server.url(),
        "--kcl-version",
        "latest",
    ]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(err.contains("maven-metadata.xml"), "{err}");
    assert!(err.contains("entity"), "{err}");
    assert_secret_nowhere(&sb, &out, &[&server], SECRET);
    assert_eq!(server.count("leak"), 0, "the external DTD was fetched");
}

#[test]
fn xml_entities_in_settings_are_never_expanded_read_or_sent() {
    let sb = Sandbox::new();
    let secret_file = sb.write("secret.txt", SECRET);
    let server = Server::start(&sb.root().join("nothing"));
    let doctype = hostile_doctype(&secret_file, &server).replace("project", "settings");
    let settings = sb.write(
        "work/settings.xml",
        format!(
            "<?xml version=\"1.0\"?>\n{doctype}<settings><mirrors><mirror><id>m</id>\
             <url>{}/&xxe;</url><mirrorOf>central</mirrorOf></mirror></mirrors></settings>",
            server.url()
        ),
    );
    let arts = vec![art("org.example:tiny:1", 10, 1)];
    let lock = write_lock(&sb, &arts);
    let out = sb
        .cmd(["download-jars", "--no-mvn", "--no-local-repo", "--lockfile"])
        .arg(&lock)
        .arg("--settings")
        .arg(&settings)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("settings.xml") && err.contains("entity"),
        "{err}"
    );
    assert_secret_nowhere(&sb, &out, &[&server], SECRET);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

// ---------------------------------------------------------------------------------------------
// Models.

#[test]
fn parent_and_import_cycles_are_named() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    let parent = |g: &str, a: &str| {
        format!("<parent><groupId>{g}</groupId><artifactId>{a}</artifactId><version>1</version></parent>")
    };
    repo.publish_raw("org.ex:p1:1", 52, &parent("org.ex", "p2"));
    repo.publish_raw("org.ex:p2:1", 52, &parent("org.ex", "p1"));
    let out = lock_http(&sb, &server, "org.ex:p1:1", &[]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("parent cycle") && err.contains("org.ex:p2:1"),
        "{err}"
    );

    let import = |a: &str| {
        format!(
            "<dependencyManagement><dependencies><dependency><groupId>org.ex</groupId>\
             <artifactId>{a}</artifactId><version>1</version><type>pom</type><scope>import</scope>\
             </dependency></dependencies></dependencyManagement>"
        )
    };
    repo.publish_raw("org.ex:b1:1", 52, &import("b2"));
    repo.publish_raw("org.ex:b2:1", 52, &import("b1"));
    let out = lock_http(&sb, &server, "org.ex:b1:1", &[]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("BOM import cycle") && err.contains("org.ex:b2:1"),
        "{err}"
    );
    assert!(!sb.work().join("jars.lock").exists());
}

/// Decision: a parent chain 100 deep is legal Maven and resolves (Maven sets no depth limit).
#[test]
fn parent_chain_100_deep_resolves() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    for i in 0..100 {
        let body = if i == 99 {
            "<properties><deep>org.ex:leaf</deep></properties>\
             <dependencies><dependency><groupId>org.ex</groupId><artifactId>leaf</artifactId>\
             <version>1</version></dependency></dependencies>"
                .to_string()
        } else {
            format!(
                "<parent><groupId>org.ex</groupId><artifactId>c{}</artifactId><version>1</version></parent>",
                i + 1
            )
        };
        repo.publish_raw(&format!("org.ex:c{i}:1"), 52, &body);
    }
    repo.publish("org.ex:leaf:1", 52, &[]);
    let (out, rss, took) = lock_measured(&sb, &server, "org.ex:c0:1", &["-q"]);
    assert_exit(&sb, &out, 0);
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    assert!(lock.contains("org.ex:leaf:1"), "{lock}");
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn recursive_interpolation_fails_clearly_in_bounded_memory() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    repo.publish_raw(
        "org.ex:rec:1",
        52,
        "<properties><a>${b}</a><b>${a}</b></properties><dependencies><dependency>\
         <groupId>org.ex</groupId><artifactId>lib</artifactId><version>${a}</version>\
         </dependency></dependencies>",
    );
    let (out, rss, took) = lock_measured(&sb, &server, "org.ex:rec:1", &[]);
    assert_exit(&sb, &out, 3);
    let err = stderr(&out);
    assert!(
        err.contains("org.ex:rec:1") && err.contains("${a}") || err.contains("cycle"),
        "{err}"
    );
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

#[test]
fn a_range_over_thousands_of_versions_picks_the_highest_fast() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    repo.publish_raw(
        "org.ex:app:1",
        52,
        "<dependencies><dependency><groupId>org.ex</groupId><artifactId>many</artifactId>\
         <version>[1.0,)</version></dependency></dependencies>",
    );
    let mut versions = String::new();
    for major in 1..=50 {
        for minor in 0..100 {
            versions.push_str(&format!("<version>{major}.{minor}</version>"));
        }
    }
    repo.put(
        "org/ex/many/maven-metadata.xml",
        format!("<metadata><versioning><versions>{versions}</versions></versioning></metadata>")
            .as_bytes(),
    );
    repo.publish("org.ex:many:50.99", 52, &[]);
    let (out, rss, took) = lock_measured(&sb, &server, "org.ex:app:1", &["-q"]);
    assert_exit(&sb, &out, 0);
    let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
    assert!(lock.contains("org.ex:many:50.99"), "{lock}");
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// A 50 MB maven-metadata.xml, generated here. Either it is read (and the newest release wins)
/// or refused by a size cap with a message naming it; in both cases memory stays bounded.
#[test]
fn a_50_mb_metadata_file_is_bounded() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    let ga = "software.amazon.kinesis:amazon-kinesis-client-multilang";
    repo.publish(&format!("{ga}:3.0.0"), 52, &[]);
    let mut metadata = String::from("<metadata><versioning><versions>");
    let filler = "x".repeat(1000);
    let mut i = 0;
    while metadata.len() < 50_000_000 {
        metadata.push_str(&format!("<version>2.{i}-{filler}</version>"));
        i += 1;
    }
    metadata.push_str("<version>3.0.0</version></versions></versioning></metadata>");
    repo.put(
        "software/amazon/kinesis/amazon-kinesis-client-multilang/maven-metadata.xml",
        metadata.as_bytes(),
    );
    drop(metadata);
    let (out, rss, took) = measured(
        &sb,
        &[
            "lock",
            "--no-local-repo",
            "--no-mvn",
            "--repository",
            &server.url(),
            "--kcl-version",
            "latest",
            "-q",
        ],
    );
    match out.status.code() {
        Some(0) => {
            let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
            assert!(lock.contains(&format!("{ga}:3.0.0")), "{lock}");
        }
        Some(3 | 5) => assert!(
            stderr(&out).contains("maven-metadata.xml"),
            "{}",
            stderr(&out)
        ),
        _ => panic!("{}", sb.transcript(&out)),
    }
    // The file itself is 50 MiB; kclrs may hold it once, plus its version list.
    assert!(rss < 256 * 1024, "peak RSS {rss} KiB");
    assert!(took < Duration::from_secs(60), "{took:?}");
}

// ---------------------------------------------------------------------------------------------
// Jars during `lock`.

/// A zip of `entries` (name, bytes, deflated?) made with the zip crate.
fn zip_of(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    for (name, bytes, deflate) in entries {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .large_file(bytes.len() > 1 << 31);
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    buf.into_inner()
}

fn class_bytes(major: u16) -> Vec<u8> {
    let mut class = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0];
    class.extend_from_slice(&major.to_be_bytes());
    class
}

/// Rewrites every header's uncompressed size of `jar` to `size` (local and central headers).
fn claim_size(jar: &mut [u8], size: u32) {
    let mut i = 0;
    while i + 30 <= jar.len() {
        match &jar[i..i + 4] {
            [0x50, 0x4b, 0x03, 0x04] => jar[i + 22..i + 26].copy_from_slice(&size.to_le_bytes()),
            [0x50, 0x4b, 0x01, 0x02] => jar[i + 24..i + 28].copy_from_slice(&size.to_le_bytes()),
            _ => {}
        }
        i += 1;
    }
}

/// A zip whose end records claim 5,000,000 entries (ZIP64 end record and locator, and the
/// classic end record saturated), in front of a central directory that holds one.
fn millions_of_entries() -> Vec<u8> {
    let mut jar = zip_of(&[("p/C.class", &class_bytes(52), false)]);
    let eocd = jar.len() - 22;
    let cd_size = u32::from_le_bytes(jar[eocd + 12..eocd + 16].try_into().unwrap()) as u64;
    let cd_offset = u32::from_le_bytes(jar[eocd + 16..eocd + 20].try_into().unwrap()) as u64;
    jar.truncate(eocd);
    let zip64_eocd = jar.len() as u64;
    let mut rec = vec![0x50, 0x4b, 0x06, 0x06];
    rec.extend_from_slice(&44u64.to_le_bytes());
    rec.extend_from_slice(&[45, 0, 45, 0]);
    rec.extend_from_slice(&[0; 8]);
    rec.extend_from_slice(&5_000_000u64.to_le_bytes());
    rec.extend_from_slice(&5_000_000u64.to_le_bytes());
    rec.extend_from_slice(&cd_size.to_le_bytes());
    rec.extend_from_slice(&cd_offset.to_le_bytes());
    rec.extend_from_slice(&[0x50, 0x4b, 0x06, 0x07, 0, 0, 0, 0]);
    rec.extend_from_slice(&zip64_eocd.to_le_bytes());
    rec.extend_from_slice(&1u32.to_le_bytes());
    rec.extend_from_slice(&[0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
    rec.extend_from_slice(&[0xff; 4]);
    rec.extend_from_slice(&[0xff; 8]);
    rec.extend_from_slice(&[0, 0]);
    jar.extend_from_slice(&rec);
    jar
}

#[test]
fn hostile_jars_during_lock_fail_clearly_in_bounded_memory() {
    let zeros = vec![0u8; 64 << 20];
    let mut bomb_class = class_bytes(52);
    bomb_class.extend_from_slice(&zeros);
    let inner = zip_of(&[("q/D.class", &bomb_class, true), ("data.bin", &zeros, true)]);
    let bomb = zip_of(&[
        ("p/C.class", &bomb_class, true),
        ("data.bin", &zeros, true),
        ("lib/inner.jar", &inner, false),
    ]);
    drop(zeros);
    let mut claims_4gb = zip_of(&[("p/C.class", &class_bytes(52), true)]);
    claim_size(&mut claims_4gb, 0xFFFF_FFFE);
    let many_classes: Vec<(String, Vec<u8>)> = (0..50_000)
        .map(|i| (format!("p/q/C{i}.class"), class_bytes(52 + (i % 10) as u16)))
        .collect();
    let many_refs: Vec<(&str, &[u8], bool)> = many_classes
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice(), false))
        .collect();
    let fifty_thousand = zip_of(&many_refs);
    drop(many_refs);
    // (name, jar, the min-java the lock records): each locks, reading 8 bytes per class.
    let cases: Vec<(&str, Vec<u8>, u32)> = vec![
        ("bomb", bomb, 8),
        ("claims-4gb", claims_4gb, 8),
        ("fifty-thousand", fifty_thousand, 17),
    ];
    let mut worst = (0, Duration::ZERO, "");
    for (name, jar, java) in &cases {
        let sb = Sandbox::new();
        let repo = MiniRepo::new(&sb);
        let server = Server::start(&repo.root);
        repo.publish_raw(&format!("org.ex:{name}:1"), 52, "");
        repo.put(&format!("org/ex/{name}/1/{name}-1.jar"), jar);
        let (out, rss, took) = lock_measured(&sb, &server, &format!("org.ex:{name}:1"), &["-q"]);
        if rss > worst.0 {
            worst = (rss, took, name);
        }
        assert_exit(&sb, &out, 0);
        let lock = std::fs::read_to_string(sb.work().join("jars.lock")).unwrap();
        assert!(
            lock.contains(&format!("min-java = {java}")),
            "{name}: {lock}"
        );
        assert!(rss < 64 * 1024, "{name}: peak RSS {rss} KiB");
        assert!(took < Duration::from_secs(60), "{name}: {took:?}");
    }
    eprintln!(
        "worst hostile jar: {} ({} KiB, {:?})",
        worst.2, worst.0, worst.1
    );
}

/// A ZIP64 end record claiming 5,000,000 entries in front of a one-entry directory: refused,
/// naming the jar, without allocating for the claimed entries. (A plain non-zip jar is
/// `hostile_models::a_jar_that_is_not_a_zip_or_is_truncated_exits_5_naming_its_url`.)
#[test]
fn a_lying_zip64_directory_during_lock_is_refused() {
    let sb = Sandbox::new();
    let repo = MiniRepo::new(&sb);
    let server = Server::start(&repo.root);
    repo.publish_raw("org.ex:millions:1", 52, "");
    repo.put("org/ex/millions/1/millions-1.jar", &millions_of_entries());
    let url = server.url();
    let (out, rss, _) = measured(
        &sb,
        &[
            "lock",
            "--root",
            "org.ex:millions:1",
            "--no-local-repo",
            "--no-mvn",
            "--repository",
            &url,
        ],
    );
    assert_exit(&sb, &out, 5);
    assert!(stderr(&out).contains("millions-1.jar"), "{}", stderr(&out));
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    assert!(!sb.work().join("jars.lock").exists());
}

// ---------------------------------------------------------------------------------------------
// HTTP.

fn download_from(sb: &Sandbox, lock: &Path, url: &str, vars: &[(&str, &str)]) -> Output {
    let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--no-local-repo", "--lockfile"]);
    cmd.arg(lock).args(["--repository", url]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn endless_gzip_bomb_and_header_flood_answers_never_enter_the_cache() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 5000, 7)];
    let lock = write_lock(&sb, &arts);
    // 100 MiB of zeros as gzip: kclrs never asks for compression and must not inflate it.
    let mut gzip = std::process::Command::new("gzip")
        .args(["-c", "-9"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = gzip.stdin.take().unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..100 {
            stdin.write_all(&zeros).unwrap();
        }
    }
    let bomb = gzip.wait_with_output().unwrap().stdout;
    for (name, fault) in [
        ("endless", Fault::Endless),
        ("gzip bomb", Fault::Gzip(bomb)),
        ("thousands of headers", Fault::ManyHeaders(5000)),
    ] {
        let server = crate::download::serve(&sb, &arts);
        server.fault("tiny", fault, usize::MAX);
        let started = Instant::now();
        let out = download_from(&sb, &lock, &server.url(), &[("KCLRS_RETRIES", "1")]);
        assert_exit(&sb, &out, 5);
        let err = stderr(&out);
        assert!(err.contains("org.example:tiny:1"), "{name}: {err}");
        assert!(started.elapsed() < Duration::from_secs(30), "{name}");
        assert!(!cached(&sb, &arts[0]).exists(), "{name}: cached");
        let parts: Vec<_> = files_under(&sb.cache())
            .into_iter()
            .filter(|p| p.to_string_lossy().ends_with(".part"))
            .collect();
        assert!(parts.is_empty(), "{name}: {parts:?}");
    }
}

#[test]
fn unauthorized_and_forbidden_name_the_artifact_and_status() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 50, 7)];
    let lock = write_lock(&sb, &arts);
    for code in [401, 403] {
        let server = Server::start(&sb.root().join("nothing"));
        server.fault("tiny", Fault::Status(code), usize::MAX);
        let out = download_from(&sb, &lock, &server.url(), &[]);
        assert_exit(&sb, &out, 5);
        let err = stderr(&out);
        assert!(
            err.contains("org.example:tiny:1") && err.contains(&code.to_string()),
            "{err}"
        );
        assert!(!cached(&sb, &arts[0]).exists());
    }
}

#[test]
fn self_signed_tls_is_refused_unless_ssl_cert_file_trusts_it() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 50, 7)];
    let lock = write_lock(&sb, &arts);
    let dir = sb.root().join("remote");
    let path = dir.join(arts[0].coord.repo_path());
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &arts[0].bytes).unwrap();
    let cert = TestCert::new();
    let tls = Server::start_tls(&dir, &cert);
    let out = download_from(&sb, &lock, &tls.url(), &[("KCLRS_RETRIES", "1")]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("org.example:tiny:1") && err.contains("certificate"),
        "{err}"
    );
    assert!(!cached(&sb, &arts[0]).exists());
    let cert_file = sb.write("cert.pem", &cert.cert_pem);
    let out = download_from(
        &sb,
        &lock,
        &tls.url(),
        &[("SSL_CERT_FILE", cert_file.to_str().unwrap())],
    );
    assert_exit(&sb, &out, 0);
    assert_eq!(std::fs::read(cached(&sb, &arts[0])).unwrap(), arts[0].bytes);
}

// ---------------------------------------------------------------------------------------------
// Secrets.

/// A fake `mvn` that records its argv (one per line) and a copy of the POM it is given, then
/// fails as Maven would on an unreachable mirror.
fn fake_mvn(sb: &Sandbox) -> (PathBuf, PathBuf) {
    let bin = sb.root().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let record = sb.root().join("mvn-record");
    let script = format!(
        "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {rec}/argv\n\
         cat /proc/$$/cmdline | tr '\\0' '\\n' > {rec}/cmdline\n\
         while [ $# -gt 0 ]; do if [ \"$1\" = -f ]; then cp \"$2\" {rec}/pom.xml; fi; shift; done\n\
         echo '[ERROR] Failed to fetch' >&2\nexit 1\n",
        rec = record.display()
    );
    std::fs::create_dir_all(&record).unwrap();
    let mvn = bin.join("mvn");
    std::fs::write(&mvn, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&mvn, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, record)
}

#[test]
fn settings_and_url_secrets_never_leak() {
    let sb = Sandbox::new();
    let server_pw = "srv-Pa55-6f1b9e";
    let proxy_pw = "prx-Pa55-0c2d7a";
    let url_pw = "url-Pa55-93aa41";
    let arts = vec![art("org.example:tiny:1", 50, 7)];
    let lock = write_lock(&sb, &arts);
    let mirror = Server::start(&sb.root().join("nothing"));
    let proxy = Server::start(&sb.root().join("nothing"));
    // Outside work/: the file that holds the secrets is the only place they may be.
    let settings = sb.write(
        "secrets/settings.xml",
        format!(
            "<settings><mirrors><mirror><id>m</id><url>{}</url><mirrorOf>central</mirrorOf></mirror></mirrors>\
             <servers><server><id>m</id><username>alice</username><password>{server_pw}</password></server></servers>\
             <proxies><proxy><id>p</id><host>127.0.0.1</host><port>{}</port><username>bob</username>\
             <password>{proxy_pw}</password></proxy></proxies></settings>",
            mirror.url(),
            proxy.port
        ),
    );
    let secrets = [server_pw, proxy_pw, url_pw];
    let check = |out: &Output| {
        for secret in secrets {
            assert_secret_nowhere(&sb, out, &[], secret);
        }
    };
    // Through settings (mirror + server + proxy), human and --json output.
    for json in [false, true] {
        let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--no-local-repo", "--lockfile"]);
        cmd.arg(&lock).arg("--settings").arg(&settings);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.output().unwrap();
        assert_exit(&sb, &out, 5);
        check(&out);
    }
    // URL user-info, in `lock` (whose lockfile must not hold it either).
    let url = mirror
        .url()
        .replace("http://", &format!("http://carol:{url_pw}@"));
    let out = sb.run([
        "lock",
        "--root",
        "org.ex:app:1",
        "--no-local-repo",
        "--no-mvn",
        "--repository",
        &url,
        "--json",
    ]);
    assert!(
        matches!(out.status.code(), Some(3 | 5)),
        "{}",
        sb.transcript(&out)
    );
    check(&out);
    // The mvn fallback (settings without a mirror leave kclrs no remote, so mvn is asked): its
    // command line names the settings file, never a secret, and so does its throw-away POM.
    let (bin, record) = fake_mvn(&sb);
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mvn_settings = sb.write(
        "secrets/mvn-settings.xml",
        format!(
            "<settings><servers><server><id>central</id><username>alice</username>\
             <password>{server_pw}</password></server></servers><proxies><proxy><id>p</id>\
             <host>127.0.0.1</host><port>{}</port><username>bob</username>\
             <password>{proxy_pw}</password></proxy></proxies></settings>",
            proxy.port
        ),
    );
    let out = sb
        .cmd(["download-jars", "--no-local-repo", "--lockfile"])
        .arg(&lock)
        .arg("--settings")
        .arg(&mvn_settings)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 5);
    check(&out);
    let argv = std::fs::read_to_string(record.join("argv"))
        .unwrap_or_else(|e| panic!("mvn was not run ({e}): {}", sb.transcript(&out)));
    assert!(argv.contains("mvn-settings.xml"), "{argv}");
    let pom = std::fs::read_to_string(record.join("pom.xml")).expect("mvn was given a POM");
    assert!(pom.contains("<artifactId>tiny</artifactId>"), "{pom}");
    for f in files_under(&record) {
        let text = std::fs::read_to_string(&f).unwrap();
        for secret in secrets {
            assert!(!text.contains(secret), "{}: {text}", f.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Faults.

/// A download killed with SIGKILL at 20 random moments, then a normal run and `verify`: the
/// cache holds exactly the locked bytes and no leftover temp file.
#[test]
fn kill_9_at_20_random_moments_leaves_no_bad_byte_and_no_leftover() {
    let sb = Sandbox::new();
    let arts: Vec<Art> = (0..4)
        .map(|i| {
            art(
                &format!("org.example:k{i}:1"),
                400_000 + i * 77_000,
                40 + i as u64,
            )
        })
        .collect();
    let lock = write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    let mut rng = fastrand::Rng::with_seed(12);
    for round in 0..20 {
        for a in &arts {
            server.fault(
                &a.coord.artifact,
                Fault::Trickle(Duration::from_millis(20)),
                1,
            );
        }
        let mut child = sb
            .cmd(["download-jars", "--no-mvn", "--no-local-repo", "--lockfile"])
            .arg(&lock)
            .args(["--repository", &server.url(), "-q"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.u64(0..600)));
        let _ = child.kill();
        child.wait().unwrap();
        // Whatever the moment, a file at a final path is complete and right.
        for a in &arts {
            if let Ok(bytes) = std::fs::read(cached(&sb, a)) {
                assert!(
                    bytes == a.bytes,
                    "round {round}: {} has wrong bytes",
                    a.coord
                );
            }
        }
    }
    let out = download_from(&sb, &lock, &server.url(), &[]);
    assert_exit(&sb, &out, 0);
    let out = sb
        .cmd(["verify", "--lockfile"])
        .arg(&lock)
        .output()
        .unwrap();
    assert_exit(&sb, &out, 0);
    crate::download::assert_cached_exactly(&sb, &arts);
    let leftovers: Vec<PathBuf> = files_under(&sb.cache())
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            !(arts.iter().any(|a| cached(&sb, a) == *p)
                || name.ends_with(".kclrs-verified")
                || name.ends_with(".lock"))
        })
        .collect();
    assert!(leftovers.is_empty(), "leftovers: {leftovers:?}");
}

/// A same-size replacement with the stamp's mtime restored fools the warm no-op check by
/// design (the stamp binds sha256, size and mtime), but never `verify`, which re-hashes.
#[test]
fn same_size_replacement_with_restored_mtime_is_caught_by_verify() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 5000, 7)];
    let lock = write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    let out = download_from(&sb, &lock, &server.url(), &[]);
    assert_exit(&sb, &out, 0);
    let path = cached(&sb, &arts[0]);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut forged = arts[0].bytes.clone();
    forged[100] ^= 0xff;
    std::fs::write(&path, &forged).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let out = sb
        .cmd(["verify", "--lockfile"])
        .arg(&lock)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", sb.transcript(&out));
    assert!(
        sb.transcript(&out).contains("org.example:tiny:1"),
        "{}",
        sb.transcript(&out)
    );
    assert_ne!(sha256(&forged), sha256(&arts[0].bytes));
}

/// A cache entry replaced by a symlink to a file outside the cache is never written through.
#[test]
fn a_symlinked_cache_entry_is_never_written_through() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 5000, 7)];
    let lock = write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    let outside = sb.write("outside/precious.txt", "precious");
    let path = cached(&sb, &arts[0]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&outside, &path).unwrap();
    let out = download_from(&sb, &lock, &server.url(), &[]);
    assert_exit(&sb, &out, 0);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    assert_eq!(std::fs::read(&path).unwrap(), arts[0].bytes);
    assert!(!std::fs::symlink_metadata(&path).unwrap().is_symlink());
}

#[test]
fn a_read_only_cache_fails_naming_the_path() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:tiny:1", 5000, 7)];
    let lock = write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    std::fs::create_dir_all(sb.cache()).unwrap();
    // Root ignores permission bits, so a read-only bind is the honest way; fall back to chmod.
    let cache = sb.cache();
    let bound = std::process::Command::new("mount")
        .args(["--bind", "-o", "ro"])
        .arg(&cache)
        .arg(&cache)
        .status()
        .is_ok_and(|s| s.success());
    if !bound {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    let out = download_from(&sb, &lock, &server.url(), &[]);
    if bound {
        let _ = std::process::Command::new("umount").arg(&cache).status();
    }
    assert!(
        matches!(out.status.code(), Some(1..=5)),
        "{}",
        sb.transcript(&out)
    );
    assert_ne!(out.status.code(), Some(0));
    let text = sb.transcript(&out);
    assert!(text.contains("[SANDBOX]/cache"), "{text}");
    assert!(!cached(&sb, &arts[0]).exists());
}

/// A 1 MiB tmpfs as the cache (root can mount here; else `ulimit -f`): the download fails with
/// the path, and nothing half-written stays at a final path.
#[test]
fn a_full_disk_fails_with_the_path_and_leaves_nothing_half_written() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:big:1", 3_000_000, 7)];
    let lock = write_lock(&sb, &arts);
    let server = crate::download::serve(&sb, &arts);
    let cache = sb.cache();
    std::fs::create_dir_all(&cache).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m,mode=755", "tmpfs"])
        .arg(&cache)
        .status()
        .is_ok_and(|s| s.success());
    let out = if mounted {
        download_from(&sb, &lock, &server.url(), &[])
    } else {
        // 1 MiB file size limit (ulimit -f counts 1024-byte blocks) for the child only.
        let mut cmd = sb.cmd_under(
            &["sh", "-c", "ulimit -f 1024; exec \"$0\" \"$@\""],
            ["download-jars", "--no-mvn", "--no-local-repo", "--lockfile"],
        );
        cmd.arg(&lock).args(["--repository", &server.url()]);
        cmd.output().unwrap()
    };
    let path_exists = cached(&sb, &arts[0]).exists();
    let files = files_under(&cache);
    if mounted {
        let _ = std::process::Command::new("umount").arg(&cache).status();
    }
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(sb.filter(&err).contains("[SANDBOX]/cache"), "{err}");
    assert!(!path_exists, "a half-written file at the final path");
    assert!(
        files
            .iter()
            .all(|f| !f.to_string_lossy().ends_with("big-1.jar")),
        "{files:?}"
    );
}
