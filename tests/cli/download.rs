//! `download-jars` and `verify` against real loopback servers: cold and warm runs, every fault the
//! test server can produce, `kill -9` mid-download, concurrent processes, the local Maven
//! repository, `--offline`, `--dest` and `--json`. Artifacts are random bytes made by each test;
//! their sha256 is computed here, so the lockfiles are honest.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use kclrs::maven::Coord;
use sha2::{Digest, Sha256};

use crate::server::{Fault, Server, TestCert};
use crate::support::*;

pub(crate) struct Art {
    pub(crate) coord: Coord,
    pub(crate) bytes: Vec<u8>,
}

pub(crate) fn art(coords: &str, size: usize, seed: u64) -> Art {
    let mut rng = fastrand::Rng::with_seed(seed);
    Art {
        coord: coords.parse().unwrap(),
        bytes: (0..size).map(|_| rng.u8(..)).collect(),
    }
}

/// A handful of artifacts of different shapes and sizes (empty, tiny, 1.5 MB, a classifier).
pub(crate) fn sample_arts() -> Vec<Art> {
    vec![
        art("org.example:empty:1.0", 0, 1),
        art("org.example:tiny:2.0", 1, 2),
        art("org.example.deep.group:big:3.1", 1_500_000, 3),
        art("org.example:native:jar:linux-x86_64:4.0", 70_000, 4),
        art("org.other:util:0.9", 300_000, 5),
    ]
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes the artifacts into `dir` in Maven layout.
pub(crate) fn publish(dir: &Path, arts: &[Art]) {
    for a in arts {
        let path = dir.join(a.coord.repo_path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &a.bytes).unwrap();
    }
}

pub(crate) fn write_lock(sb: &Sandbox, arts: &[Art]) -> PathBuf {
    let mut text = String::from("version = 1\nroots = []\n");
    for a in arts {
        text.push_str(&format!(
            "\n[[artifact]]\ncoords = \"{}\"\nsha256 = \"{}\"\nsize = {}\n",
            a.coord,
            sha256(&a.bytes),
            a.bytes.len()
        ));
    }
    sb.write("work/jars.lock", text)
}

pub(crate) fn cached(sb: &Sandbox, a: &Art) -> PathBuf {
    sb.cache().join("maven").join(a.coord.repo_path())
}

pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The cache holds exactly the locked bytes of `arts` and no temp file.
#[track_caller]
pub(crate) fn assert_cached_exactly(sb: &Sandbox, arts: &[Art]) {
    for a in arts {
        let got = std::fs::read(cached(sb, a)).unwrap_or_else(|e| panic!("{}: {e}", a.coord));
        assert!(got == a.bytes, "{}: cached bytes differ", a.coord);
    }
    let parts: Vec<PathBuf> = files_under(&sb.cache().join("maven"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(parts.is_empty(), "temp files left: {parts:?}");
}

/// Nothing a later run would trust exists for `a`: no file at its final path, no stamp.
#[track_caller]
fn assert_not_trusted(sb: &Sandbox, a: &Art) {
    let path = cached(sb, a);
    assert!(!path.exists(), "{} must not be in the cache", a.coord);
    let stamp = PathBuf::from(format!("{}.kclrs-verified", path.display()));
    assert!(!stamp.exists(), "{} must have no stamp", a.coord);
}

pub(crate) fn download(sb: &Sandbox, lock: &Path, extra: &[&str]) -> Output {
    download_env(sb, lock, extra, &[])
}

/// `download-jars` with extra environment variables (timeouts, retries, proxies, certificates).
pub(crate) fn download_env(
    sb: &Sandbox,
    lock: &Path,
    extra: &[&str],
    vars: &[(&str, &str)],
) -> Output {
    let mut cmd = sb.cmd(["download-jars", "--no-mvn", "--lockfile"]);
    cmd.arg(lock).args(extra);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

pub(crate) fn serve(sb: &Sandbox, arts: &[Art]) -> Server {
    let dir = sb.root().join("remote");
    publish(&dir, arts);
    Server::start(&dir)
}

pub(crate) fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

#[test]
fn cold_download_then_warm_run_touches_nothing() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let out = download(&sb, &lock, &["--repository", &server.url(), "--json"]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let report = json(&out);
    let entries = report["artifacts"].as_array().unwrap();
    assert_eq!(entries.len(), arts.len());
    for (e, a) in entries.iter().zip(&arts) {
        assert_eq!(e["coords"], a.coord.to_string());
        assert_eq!(e["source"], "remote");
        assert_eq!(e["downloaded"], true);
        assert_eq!(e["from_cache"], false);
        assert_eq!(e["bytes"], a.bytes.len());
        assert_eq!(e["sha256"], sha256(&a.bytes));
        assert_eq!(Path::new(e["path"].as_str().unwrap()), cached(&sb, a));
    }
    let total: usize = arts.iter().map(|a| a.bytes.len()).sum();
    assert_eq!(report["downloaded_bytes"], total);
    let requests = server.seen().len();
    assert_eq!(requests, arts.len());

    let out = download(&sb, &lock, &["--repository", &server.url(), "--json"]);
    assert_exit(&sb, &out, 0);
    assert_eq!(server.seen().len(), requests, "a warm run sends no request");
    let report = json(&out);
    for e in report["artifacts"].as_array().unwrap() {
        assert_eq!(e["source"], "cache");
        assert_eq!(e["from_cache"], true);
        assert_eq!(e["downloaded"], false);
    }
    assert_eq!(report["from_cache"], arts.len());
    // Human summary goes to stderr, never stdout.
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("5 artifacts verified"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn repository_url_with_trailing_slash_and_file_urls_work() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let out = download(&sb, &lock, &["--repository", &format!("{}/", server.url())]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    assert!(server.seen().iter().all(|s| !s.path.contains("//")));

    let sb2 = Sandbox::new();
    let lock = write_lock(&sb2, &arts);
    let dir = sb2.root().join("file-repo");
    publish(&dir, &arts);
    let out = download(
        &sb2,
        &lock,
        &["--repository", &format!("file://{}", dir.display())],
    );
    assert_exit(&sb2, &out, 0);
    assert_cached_exactly(&sb2, &arts);
}

#[test]
fn dropped_connection_resumes_with_range() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("big-3.1.jar", Fault::Drop, 1);
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let big: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path.ends_with("big-3.1.jar"))
        .collect();
    assert_eq!(big.len(), 2, "{big:?}");
    assert_eq!(big[1].range.as_deref(), Some("bytes=750000-"));
}

#[test]
fn dropped_connection_restarts_when_server_ignores_range() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.ignore_range();
    server.fault("big-3.1.jar", Fault::Drop, 2);
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    assert_eq!(server.count("big-3.1.jar"), 3);
}

#[test]
fn wrong_range_answer_restarts_from_zero() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("big-3.1.jar", Fault::Drop, 1);
    server.fault("big-3.1.jar", Fault::BadRange, 1);
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let ranges: Vec<Option<String>> = server
        .seen()
        .into_iter()
        .filter(|s| s.path.ends_with("big-3.1.jar"))
        .map(|s| s.range)
        .collect();
    assert_eq!(ranges, [None, Some("bytes=750000-".into()), None]);
}

#[test]
fn server_errors_and_429_are_retried_honouring_retry_after() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("util-0.9.jar", Fault::Status(500), 2);
    server.fault("tiny-2.0.jar", Fault::TooMany("2".into()), 1);
    server.fault("native", Fault::Status(503), 1);
    let started = Instant::now();
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "Retry-After: 2 was not honoured"
    );
    assert_cached_exactly(&sb, &arts);
    assert_eq!(server.count("util-0.9.jar"), 3);
    assert_eq!(server.count("tiny-2.0.jar"), 2);
}

#[test]
fn persistent_server_errors_fail_naming_artifact_and_cause() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("util-0.9.jar", Fault::Status(500), usize::MAX);
    let out = download_env(
        &sb,
        &lock,
        &["--repository", &server.url()],
        &[("KCLRS_RETRIES", "2")],
    );
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(err.contains("org.other:util:0.9"), "{err}");
    assert!(err.contains("HTTP 500"), "{err}");
    assert!(err.contains("gave up after 3 attempts"), "{err}");
    assert_eq!(server.count("util-0.9.jar"), 3);
    assert_not_trusted(&sb, &arts[4]);
    assert_cached_exactly(&sb, &arts[..4]);
}

#[test]
fn wrong_bytes_are_never_cached_nor_retried_from_the_same_url() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("big-3.1.jar", Fault::WrongBytes, usize::MAX);
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    let big = &arts[2];
    assert!(err.contains("org.example.deep.group:big:3.1"), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains(&sha256(&big.bytes)), "{err}");
    let mut wrong = big.bytes.clone();
    *wrong.last_mut().unwrap() ^= 0xff;
    assert!(err.contains(&sha256(&wrong)), "{err}");
    assert!(
        err.contains(&format!("{}/{}", server.url(), big.coord.repo_path())),
        "{err}"
    );
    assert_eq!(
        server.count("big-3.1.jar"),
        1,
        "a mismatch is not retried from the same URL"
    );
    assert_not_trusted(&sb, big);

    // A second repository with the right bytes wins, and the bad one is still reported.
    let good = Server::start(&sb.root().join("remote"));
    let out = download(
        &sb,
        &lock,
        &["--repository", &server.url(), "--repository", &good.url()],
    );
    assert_exit(&sb, &out, 0);
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert_cached_exactly(&sb, &arts);
}

#[test]
fn bodies_longer_than_the_lock_are_cut_off_and_refused() {
    for with_length in [false, true] {
        let sb = Sandbox::new();
        let arts = sample_arts();
        let lock = write_lock(&sb, &arts);
        let server = serve(&sb, &arts);
        server.fault("util-0.9.jar", Fault::Longer { with_length }, usize::MAX);
        let out = download(&sb, &lock, &["--repository", &server.url()]);
        assert_exit(&sb, &out, 5);
        let err = stderr(&out);
        assert!(err.contains("org.other:util:0.9"), "{err}");
        assert!(err.contains("longer than the locked size"), "{err}");
        assert_eq!(server.count("util-0.9.jar"), 1);
        assert_not_trusted(&sb, &arts[4]);
    }
}

#[test]
fn content_length_beyond_the_lock_is_refused_then_next_repository_used() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let bad = serve(&sb, &arts);
    bad.fault("util-0.9.jar", Fault::Truncated, usize::MAX);
    let good = Server::start(&sb.root().join("remote"));
    let out = download(&sb, &lock, &["--repository", &bad.url()]);
    assert_exit(&sb, &out, 5);
    assert!(
        stderr(&out).contains("longer than the locked size"),
        "{}",
        stderr(&out)
    );
    assert_not_trusted(&sb, &arts[4]);
    let out = download(
        &sb,
        &lock,
        &["--repository", &bad.url(), "--repository", &good.url()],
    );
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
}

#[test]
fn stalled_body_times_out_and_is_retried() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("util-0.9.jar", Fault::Slow(Duration::from_secs(4)), 1);
    let out = download_env(
        &sb,
        &lock,
        &["--repository", &server.url()],
        &[("KCLRS_READ_TIMEOUT", "1")],
    );
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    assert_eq!(server.count("util-0.9.jar"), 2);

    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault(
        "util-0.9.jar",
        Fault::Slow(Duration::from_secs(4)),
        usize::MAX,
    );
    let out = download_env(
        &sb,
        &lock,
        &["--repository", &server.url()],
        &[("KCLRS_READ_TIMEOUT", "0.5"), ("KCLRS_RETRIES", "1")],
    );
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(
        err.contains("org.other:util:0.9") && err.contains("timed out"),
        "{err}"
    );
    assert_not_trusted(&sb, &arts[4]);
}

#[test]
fn not_found_moves_to_the_next_repository() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let empty = Server::start(&sb.root().join("nothing"));
    let server = serve(&sb, &arts);
    let out = download(
        &sb,
        &lock,
        &[
            "--repository",
            &empty.url(),
            "--repository",
            &server.url(),
            "--json",
        ],
    );
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    assert_eq!(empty.seen().len(), arts.len());
    let report = json(&out);
    let origin = report["artifacts"][0]["origin"].as_str().unwrap();
    assert!(origin.contains(&server.url()), "{origin}");

    let out = download(&Sandbox::new(), &lock, &["--repository", &empty.url()]);
    assert_eq!(out.status.code(), Some(5));
    let err = stderr(&out);
    assert!(
        err.contains("could not obtain 5 of the 5 artifacts"),
        "{err}"
    );
    assert!(err.contains("not found (404 Not Found)"), "{err}");
}

#[test]
fn redirects_are_followed_but_never_from_https_to_http() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let path = arts[1].coord.repo_path();
    // http → http → http: followed.
    let hop = Server::start(&sb.root().join("nothing"));
    hop.fault(
        "tiny",
        Fault::Redirect(format!("{}/a/{path}", hop.url())),
        1,
    );
    hop.fault(
        "tiny",
        Fault::Redirect(format!("{}/{path}", server.url())),
        1,
    );
    let out = download(
        &sb,
        &lock,
        &["--repository", &hop.url(), "--repository", &server.url()],
    );
    assert_exit(&sb, &out, 0);
    assert_eq!(
        server.count("tiny-2.0.jar"),
        1,
        "tiny came through the redirects"
    );
    assert_cached_exactly(&sb, &arts);

    // https → http: refused, named.
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts[1..2]);
    let cert = TestCert::new();
    let cert_file = sb.write("cert.pem", &cert.cert_pem);
    let tls = Server::start_tls(&sb.root().join("nothing"), &cert);
    let http_target = serve(&sb, &arts);
    tls.fault("tiny", Fault::Redirect(format!("{}/{path}", tls.url())), 1);
    tls.fault(
        "tiny",
        Fault::Redirect(format!("{}/{path}", http_target.url())),
        1,
    );
    let cert_var = cert_file.to_str().unwrap();
    let run = |sb: &Sandbox| {
        download_env(
            sb,
            &lock,
            &["--repository", &tls.url()],
            &[("SSL_CERT_FILE", cert_var)],
        )
    };
    let out = run(&sb);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(err.contains("org.example:tiny:2.0"), "{err}");
    assert!(
        err.contains("refused redirect from https to http://127.0.0.1"),
        "{err}"
    );
    assert_eq!(
        http_target.seen().len(),
        0,
        "the http URL was never requested"
    );
    assert_eq!(tls.count("tiny"), 2);
    assert_not_trusted(&sb, &arts[1]);

    // https → https: followed, and the self-signed certificate is trusted via SSL_CERT_FILE.
    let tls_ok = Server::start_tls(&sb.root().join("remote"), &cert);
    tls.fault(
        "tiny",
        Fault::Redirect(format!("{}/{path}", tls_ok.url())),
        1,
    );
    let out = run(&sb);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts[1..2]);

    // A redirect loop ends.
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts[1..2]);
    let looping = Server::start(&sb.root().join("nothing"));
    looping.fault(
        "tiny",
        Fault::Redirect(format!("{}/{path}", looping.url())),
        usize::MAX,
    );
    let out = download(&sb, &lock, &["--repository", &looping.url()]);
    assert_exit(&sb, &out, 5);
    assert!(
        stderr(&out).contains("more than 10 redirects"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn credentials_in_urls_are_sent_but_never_shown() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[..1]);
    let empty = Server::start(&sb.root().join("nothing"));
    let url = empty.url().replace("http://", "http://alice:s3cret-pw@");
    let out = download(&sb, &lock, &["--repository", &url]);
    assert_exit(&sb, &out, 5);
    let err = stderr(&out);
    assert!(!err.contains("s3cret-pw"), "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
    let auth = empty.seen()[0].authorization.clone().unwrap_or_default();
    assert!(auth.starts_with("Basic "), "{auth}");
}

#[test]
fn kill_9_mid_download_then_rerun_succeeds() {
    let sb = Sandbox::new();
    let arts = vec![art("org.example:huge:1", 3_000_000, 9)];
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    server.fault("huge", Fault::Trickle(Duration::from_millis(50)), 1);
    let mut child = sb
        .cmd(["download-jars", "--no-mvn", "--lockfile"])
        .arg(&lock)
        .args(["--repository", &server.url()])
        .spawn()
        .unwrap();
    // Wait until part of the body has been written, then kill without warning.
    let dir = cached(&sb, &arts[0]).parent().unwrap().to_path_buf();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let partial = files_under(&dir)
            .iter()
            .any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 100_000));
        if partial || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_not_trusted(&sb, &arts[0]);
    assert!(
        !files_under(&dir).is_empty(),
        "the killed run left its temp file"
    );

    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
}

#[test]
fn four_concurrent_processes_on_one_empty_cache() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let children: Vec<_> = (0..4)
        .map(|_| {
            sb.cmd(["download-jars", "--no-mvn", "--lockfile"])
                .arg(&lock)
                .args(["--repository", &server.url(), "--jobs", "2"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_exit(&sb, &out, 0);
    }
    assert_cached_exactly(&sb, &arts);
    // The locks make each artifact download once, whichever process got it.
    assert_eq!(server.seen().len(), arts.len());
}

#[test]
fn local_maven_repository_is_reused_only_when_the_hash_matches() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    // ~/.m2/repository of the sandbox holds good copies of two artifacts and a wrong one.
    let m2 = sb.home().join(".m2/repository");
    publish(&m2, &arts[..2]);
    let mut wrong = art("org.other:util:0.9", 300_000, 99);
    wrong.coord = arts[4].coord.clone();
    publish(&m2, std::slice::from_ref(&wrong));
    let out = download(&sb, &lock, &["--repository", &server.url(), "--json"]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let report = json(&out);
    let sources: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        ["local-repo", "local-repo", "remote", "remote", "remote"]
    );
    assert_eq!(server.count("tiny"), 0);
    assert_eq!(server.count("util"), 1);

    // --no-local-repo downloads everything.
    let sb2 = Sandbox::new();
    let lock2 = write_lock(&sb2, &arts);
    publish(&sb2.home().join(".m2/repository"), &arts);
    let out = download(
        &sb2,
        &lock2,
        &["--repository", &server.url(), "--no-local-repo"],
    );
    assert_exit(&sb2, &out, 0);
    assert_eq!(server.count("tiny"), 1);

    // --maven-repo-local points elsewhere; --offline never touches the network.
    let sb3 = Sandbox::new();
    let lock3 = write_lock(&sb3, &arts);
    let elsewhere = sb3.root().join("elsewhere");
    publish(&elsewhere, &arts);
    let before = server.seen().len();
    let out = download(
        &sb3,
        &lock3,
        &[
            "--offline",
            "--repository",
            &server.url(),
            "--maven-repo-local",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_exit(&sb3, &out, 0);
    assert_cached_exactly(&sb3, &arts);
    assert_eq!(server.seen().len(), before);
}

#[test]
fn offline_with_missing_artifacts_fails_without_network() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let m2 = sb.home().join(".m2/repository");
    let mut wrong = art("org.example:tiny:2.0", 1, 77);
    wrong.bytes = vec![arts[1].bytes[0] ^ 1];
    publish(&m2, std::slice::from_ref(&wrong));
    publish(&m2, &arts[2..]);
    let out = download(&sb, &lock, &["--offline", "--repository", &server.url()]);
    assert_exit(&sb, &out, 5);
    assert_eq!(server.seen().len(), 0);
    assert_not_trusted(&sb, &arts[1]);
    insta::assert_snapshot!(sb.transcript(&out));
}

#[test]
fn no_repository_error_lists_the_ways_to_configure_one() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[..2]);
    let out = download(&sb, &lock, &[]);
    assert_exit(&sb, &out, 5);
    insta::assert_snapshot!(sb.transcript(&out));
}

#[test]
fn dest_names_like_copy_dependencies_and_prunes_stale_jars() {
    let sb = Sandbox::new();
    let mut arts = sample_arts();
    arts.push(art("org.clash:util:0.9", 1234, 6));
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let dest = sb.root().join("lib");
    sb.write("lib/stale-1.0.jar", "old");
    sb.write("lib/README.txt", "keep me");
    let url = server.url();
    let with_dest = |flag: &str| {
        let dir = dest.to_str().unwrap();
        download(&sb, &lock, &["--repository", &url, "--dest", dir, flag])
    };
    let out = with_dest("--json");
    assert_exit(&sb, &out, 0);
    let mut names: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "README.txt",
            "big-3.1.jar",
            "empty-1.0.jar",
            "native-4.0-linux-x86_64.jar",
            "org.clash.util-0.9.jar",
            "org.other.util-0.9.jar",
            "tiny-2.0.jar"
        ]
    );
    assert_eq!(
        std::fs::read(dest.join("org.clash.util-0.9.jar")).unwrap(),
        arts[5].bytes
    );
    assert_eq!(
        std::fs::read(dest.join("big-3.1.jar")).unwrap(),
        arts[2].bytes
    );
    let report = json(&out);
    assert_eq!(
        report["dest"]["pruned"][0],
        dest.join("stale-1.0.jar").to_str().unwrap()
    );
    assert_eq!(
        report["artifacts"][4]["dest_path"],
        dest.join("org.other.util-0.9.jar").to_str().unwrap()
    );

    sb.write("lib/stale-2.0.jar", "old");
    let out = with_dest("--no-prune");
    assert_exit(&sb, &out, 0);
    assert!(dest.join("stale-2.0.jar").exists());

    // DIR holds copies: a jar edited in place there leaves the shared cache's file intact, and
    // the next run puts the locked bytes back.
    let edited = dest.join("big-3.1.jar");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&edited)
        .unwrap();
    std::os::unix::fs::FileExt::write_at(&file, b"XXXX", 0).unwrap();
    drop(file);
    let out = sb.run(["verify", "--lockfile", lock.to_str().unwrap()]);
    assert_exit(&sb, &out, 0);
    std::fs::write(&edited, b"not the locked bytes").unwrap();
    let out = with_dest("-q");
    assert_exit(&sb, &out, 0);
    assert_eq!(std::fs::read(&edited).unwrap(), arts[2].bytes);
}

#[test]
fn verify_reports_missing_and_corrupt_and_download_repairs() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    let verify = |sb: &Sandbox, json_flag: bool| {
        let mut cmd = sb.cmd(["verify", "--lockfile"]);
        cmd.arg(&lock);
        if json_flag {
            cmd.arg("--json");
        }
        cmd.output().unwrap()
    };
    let out = verify(&sb, false);
    assert_exit(&sb, &out, 0);
    assert!(stderr(&out).contains("5 artifacts verified"));

    // Same size, one byte flipped, mtime kept: only a re-hash can notice.
    let big = cached(&sb, &arts[2]);
    let mtime = std::fs::metadata(&big).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&big).unwrap();
    bytes[1000] ^= 0x40;
    std::fs::write(&big, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    std::fs::remove_file(cached(&sb, &arts[1])).unwrap();

    let out = verify(&sb, true);
    assert_exit(&sb, &out, 6);
    let report = json(&out);
    assert_eq!(report["ok"], false);
    let statuses: Vec<&str> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "missing", "corrupt", "ok", "ok"]);
    assert_eq!(report["artifacts"][2]["actual_sha256"], sha256(&bytes));
    assert_eq!(
        report["artifacts"][2]["expected_sha256"],
        sha256(&arts[2].bytes)
    );

    let out = verify(&sb, false);
    assert_exit(&sb, &out, 6);
    insta::assert_snapshot!(sb.transcript(&out));

    // verify dropped the stamp of the corrupt file, so download-jars re-hashes and replaces it.
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    assert_exit(&sb, &verify(&sb, false), 0);
}

#[test]
fn bad_lockfile_downloads_nothing() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let server = serve(&sb, &arts);
    let lock = write_lock(&sb, &arts);
    let text = std::fs::read_to_string(&lock)
        .unwrap()
        .replace("org.other:util", "org.other:../util");
    std::fs::write(&lock, text).unwrap();
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 3);
    assert!(stderr(&out).contains("jars.lock:"), "{}", stderr(&out));
    assert_eq!(server.seen().len(), 0);
    assert!(!sb.cache().join("maven").exists());
}

/// The real jars Maven resolved for the KCL MultiLangDaemon, reused from a local repository.
#[test]
fn real_kcl_jars_come_from_the_local_repository() {
    let m2 = test_m2();
    let reference = m2.parent().unwrap().join("reference/kcl-multilang.txt");
    let text = std::fs::read_to_string(&reference).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `bash tests/prepare.sh` first",
            reference.display()
        )
    });
    let mut arts = Vec::new();
    for line in text.lines().filter(|l| l.contains(":jar:")) {
        let parts: Vec<&str> = line.split_whitespace().next().unwrap().split(':').collect();
        if parts.len() != 5 {
            continue; // group:artifact:jar:classifier:version:scope
        }
        let coords = format!("{}:{}:{}", parts[0], parts[1], parts[3]);
        let coord: Coord = coords.parse().unwrap();
        let bytes = std::fs::read(m2.join(coord.repo_path())).unwrap();
        arts.push(Art { coord, bytes });
        if arts.len() == 12 {
            break;
        }
    }
    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts);
    let out = download(
        &sb,
        &lock,
        &[
            "--offline",
            "--maven-repo-local",
            m2.to_str().unwrap(),
            "--json",
        ],
    );
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts);
    let report = json(&out);
    assert!(report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["source"] == "local-repo"));
}

#[test]
fn warm_no_op_needs_no_hashing_but_notices_replaced_files() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts);
    let server = serve(&sb, &arts);
    assert_exit(
        &sb,
        &download(&sb, &lock, &["--repository", &server.url()]),
        0,
    );
    // Replace a cached file with other bytes of another size: the stamp no longer matches, the
    // file is re-hashed under the lock, found wrong, and fetched again.
    std::fs::write(cached(&sb, &arts[4]), b"garbage").unwrap();
    let out = download(&sb, &lock, &["--repository", &server.url()]);
    assert_exit(&sb, &out, 0);
    assert!(
        stderr(&out).contains("instead of the locked bytes"),
        "{}",
        stderr(&out)
    );
    assert_cached_exactly(&sb, &arts);
    assert_eq!(server.count("util-0.9.jar"), 2);
}

#[test]
fn proxy_from_the_environment_is_used_and_no_proxy_bypasses_it() {
    let sb = Sandbox::new();
    let arts = sample_arts();
    let lock = write_lock(&sb, &arts[..2]);
    let proxy = serve(&sb, &arts);
    // Nothing listens on the repository's own port: only the proxy can answer.
    let unreachable = "http://127.0.0.1:9/repo";
    let out = download_env(
        &sb,
        &lock,
        &["--repository", unreachable],
        &[("HTTP_PROXY", &format!("http://127.0.0.1:{}", proxy.port))],
    );
    assert_exit(&sb, &out, 0);
    assert_cached_exactly(&sb, &arts[..2]);
    let seen: Vec<String> = proxy.seen().into_iter().map(|s| s.path).collect();
    assert!(
        seen.iter()
            .all(|p| p.starts_with("http://127.0.0.1:9/repo/")),
        "{seen:?}"
    );

    let sb = Sandbox::new();
    let lock = write_lock(&sb, &arts[..2]);
    let direct = serve(&sb, &arts);
    let before = proxy.seen().len();
    let out = download_env(
        &sb,
        &lock,
        &["--repository", &direct.url()],
        &[
            ("HTTP_PROXY", &format!("http://127.0.0.1:{}", proxy.port)),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_exit(&sb, &out, 0);
    assert_eq!(proxy.seen().len(), before);
    assert_eq!(direct.seen().len(), 2);
}

#[test]
fn jobs_bounds_parallel_downloads() {
    let arts: Vec<Art> = (0..8)
        .map(|i| art(&format!("org.par:p{i}:1"), 100_000, 40 + i))
        .collect();
    for (jobs, expect_max) in [("2", 2), ("8", 8)] {
        let sb = Sandbox::new();
        let lock = write_lock(&sb, &arts);
        let server = serve(&sb, &arts);
        // Slow bodies keep every request open long enough to overlap with the others.
        server.fault(
            "org/par",
            Fault::Trickle(Duration::from_millis(60)),
            usize::MAX,
        );
        let out = download(&sb, &lock, &["--repository", &server.url(), "--jobs", jobs]);
        assert_exit(&sb, &out, 0);
        assert_cached_exactly(&sb, &arts);
        if expect_max == 2 {
            assert_eq!(server.max_in_flight(), 2, "--jobs 2");
        } else {
            assert!(
                server.max_in_flight() > 2,
                "--jobs 8: {}",
                server.max_in_flight()
            );
        }
    }
}

/// Issue 13, findings 2 and 12: a lockfile coordinate that mvn would interpolate (`${env.…}`) or
/// that decodes to a path step (`%2e%2e`) is refused while the lockfile is read, before any
/// download or mvn run, and the secret's value is never printed.
#[test]
fn lockfile_coordinates_with_expressions_or_escapes_are_refused() {
    for coords in ["g.q:nothere:${env.KCLRS_TEST_SECRET}", "g.q:%2e%2e:1"] {
        let sb = Sandbox::new();
        let lock = sb.write(
            "work/jars.lock",
            format!(
                "version = 1\nroots = []\n\n[[artifact]]\ncoords = \"{coords}\"\nsha256 = \"{}\"\nsize = 1\n",
                "0".repeat(64)
            ),
        );
        let out = sb
            .cmd(["download-jars", "--lockfile"])
            .arg(&lock)
            .env("KCLRS_TEST_SECRET", "s3cr3t-value")
            .output()
            .unwrap();
        assert_exit(&sb, &out, 3);
        let text = sb.transcript(&out);
        assert!(!text.contains("s3cr3t-value"), "{text}");
        assert!(text.contains("jars.lock"), "{text}");
    }
}
