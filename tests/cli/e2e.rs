//! End to end (issue 5): kclrs downloads the real KCL jars of the committed `jars.lock` from a
//! real static HTTP server on loopback (python's `http.server` serving the Maven test repository),
//! then `kclrs run` starts the real MultiLangDaemon with kclrs's sample record processor against
//! local Kinesis and DynamoDB emulators (moto behind an nginx HTTP/2 front), and the shell flow
//! in `tests/e2e/flow.sh` checks what matters: every record processed, SIGTERM to kclrs's pid
//! reaching the JVM's shutdown hook, checkpoints in the lease table, no processor left behind,
//! and a second run resuming from the checkpoints. The emulators and nginx are installed by
//! `tests/e2e/install.sh`, which `tests/prepare.sh` (part of the README test command) runs; the
//! test takes about two minutes. Alone: `cargo test --test cli e2e -- --nocapture`.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kclrs::lockfile::Lockfile;

use crate::support::*;

const JAVA17: &str = "/usr/lib/jvm/java-17-openjdk-amd64";

/// A child process killed (and reaped) when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Serves `dir` over HTTP on loopback with python's static file server; waits until it listens.
fn static_server(dir: &Path, log: &Path) -> (Reaped, String) {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
        .arg(dir)
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("python3 runs");
    let server = Reaped(child);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "http.server did not listen on {addr}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, format!("http://127.0.0.1:{port}/"))
}

/// The last lines of every log the flow wrote (daemon runs, moto, nginx), for a failure message.
fn log_tails(dir: &Path) -> String {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    logs.retain(|p| p.extension().is_some_and(|e| e == "log"));
    logs.sort();
    let mut text = String::new();
    for log in logs {
        let body = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = body.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        text += &format!("==> {} <==\n{tail}\n", log.display());
    }
    text
}

#[test]
fn kclrs_runs_the_real_daemon_on_local_emulators_and_resumes_from_checkpoints() {
    let started = Instant::now();
    let m2 = test_m2();
    let lock = Lockfile::embedded().expect("the committed jars.lock parses");
    assert!(
        !lock.artifacts.is_empty(),
        "the committed jars.lock pins no artifact: the end-to-end test needs the real KCL lock"
    );
    let sb = Sandbox::new();

    // 1-2. The committed lock, downloaded into an empty cache from a real HTTP server.
    let (_server, url) = static_server(&m2, &sb.root().join("http.log"));
    assert!(!sb.cache().exists(), "the kclrs cache starts empty");
    let out = sb.run([
        "download-jars",
        "--repository",
        &url,
        "--no-local-repo",
        "--no-mvn",
        "--json",
    ]);
    assert_exit(&sb, &out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let entries = report["artifacts"].as_array().unwrap();
    assert_eq!(entries.len(), lock.artifacts.len(), "{report}");
    for (entry, art) in entries.iter().zip(&lock.artifacts) {
        assert_eq!(entry["coords"], art.coord.to_string());
        assert_eq!(entry["source"], "remote", "{entry}");
        assert_eq!(entry["downloaded"], true, "{entry}");
    }
    let downloaded = started.elapsed();

    // 3-7. Emulators, records, `kclrs run` twice, SIGTERM, checks: see tests/e2e/flow.sh.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cache = sb.cache();
    let mut flow = Command::new("bash");
    flow.arg(repo.join("tests/e2e/flow.sh"))
        .arg(sb.root().join("flow"))
        .arg("kclrs")
        .arg(BIN)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["--offline", "--java", JAVA17])
        .current_dir(sb.work())
        .env("HOME", sb.home())
        .env("KCLRS_E2E_JAVA", JAVA17)
        .stdin(Stdio::null());
    for var in SCRUBBED {
        flow.env_remove(var);
    }
    let out = flow.output().expect("bash runs");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "the end-to-end flow failed ({}); the sandbox goes away with the test, so its logs end here:\n{}",
        out.status,
        log_tails(&sb.root().join("flow"))
    );
    assert!(text.contains("e2e: OK (kclrs)"), "{text}");
    eprintln!(
        "e2e timings: download-jars {:.1}s, whole test {:.1}s",
        downloaded.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
