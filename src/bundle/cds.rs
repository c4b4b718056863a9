//! The bundle's class-data-sharing archive, made at bundle time so the first start is already
//! fast. Two steps, each with the bundle's own runtime:
//!
//! 1. a training run of the daemon (`-XX:DumpLoadedClassList`) with the app's properties (or a
//!    minimal set), its endpoints pointed at a loopback port kclrs holds, which accepts and drops
//!    every connection, and dummy credentials: the daemon loads its SDK, netty, lease and
//!    scheduler classes, retries, and never leaves the machine. It is stopped with SIGTERM once
//!    no class has been loaded for [`QUIET`];
//! 2. `java -Xshare:dump` of that class list, with exactly the classpath `bin/kcl-daemon` uses.
//!
//! The training run never reaches the record path (no lease is taken, no record read, no
//! processor started), which is a third of what a real start loads before its first record. So
//! the list it writes is completed with [`RECORD_PATH`], the classes a real run on the local
//! emulators loaded that the training run did not — the way the JDK ships the class list of its
//! own default archive, made from a run of a training program.
//!
//! On Java 17 an archive maps only while every classpath jar is at the path it had when dumped,
//! so step 2 runs after the bundle is in its final place ([`super::build`]).

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::error::{Exit, UserError};

/// Training ends when the class list has not grown for this long…
const QUIET: Duration = Duration::from_secs(3);
/// …but not before this…
const MIN_RUN: Duration = Duration::from_secs(4);
/// …and at the latest after this.
const MAX_RUN: Duration = Duration::from_secs(60);

/// The record path's classes (`record-path.classlist`: its header says where they come from;
/// `tests/e2e/record-path.sh` makes it again).
const RECORD_PATH: &str = include_str!("record-path.classlist");

/// The line between the training run's class list and what [`complete_list`] adds: what comes
/// before it is the training run's own output.
pub const RECORD_PATH_MARK: &str =
    "# kclrs: the record path (classes a real run loads, training did not)";

/// Properties of the training run when the user gives none: what the daemon needs to start.
const DEFAULT_PROPERTIES: &str = "\
executableName = kclrs-bundle-training-never-started
streamName = kclrs-bundle-training
applicationName = kclrs-bundle-training
regionName = us-east-1
initialPositionInStream = TRIM_HORIZON
";

/// A loopback listener that accepts and closes every connection until dropped.
struct Sink {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sink {
    fn start() -> anyhow::Result<Sink> {
        let listener =
            TcpListener::bind("127.0.0.1:0").context("cannot listen on a loopback port")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => drop(conn),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(Sink {
            port,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The training properties: the app's file (if any) with every setting that could reach the
/// network replaced (later keys win in a Java properties file).
pub fn training_properties(app: Option<&[u8]>, port: u16) -> Vec<u8> {
    // Bytes, not text: a properties file is ISO-8859-1 and is passed on unchanged.
    let mut text = app.unwrap_or(DEFAULT_PROPERTIES.as_bytes()).to_vec();
    let endpoint = format!("http://127.0.0.1:{port}");
    text.extend_from_slice(
        format!(
            "\n# kclrs bundle training run: loopback only, no credentials\n\
         kinesisEndpoint = {endpoint}\n\
         dynamoDBEndpoint = {endpoint}\n\
         AwsCredentialsProvider = EnvironmentVariableCredentialsProvider\n\
         AwsCredentialsProviderDynamoDB = EnvironmentVariableCredentialsProvider\n\
         AwsCredentialsProviderCloudWatch = EnvironmentVariableCredentialsProvider\n\
         metricsLevel = NONE\n\
         shutdownGraceMillis = 0\n"
        )
        .as_bytes(),
    );
    text
}

/// Runs the training daemon with `java` and `classpath`, writing its class list to `list`
/// (scratch files go to `scratch`). Returns how many classes it lists.
pub fn train(
    java: &Path,
    classpath: &std::ffi::OsStr,
    app_properties: Option<&Path>,
    scratch: &Path,
    list: &Path,
) -> anyhow::Result<usize> {
    let app = match app_properties {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?),
        None => None,
    };
    let sink = Sink::start()?;
    let props = scratch.join("training.properties");
    std::fs::write(&props, training_properties(app.as_deref(), sink.port))
        .with_context(|| format!("cannot write {}", props.display()))?;
    let log_path = scratch.join("training.log");
    let log = std::fs::File::create(&log_path)
        .with_context(|| format!("cannot write {}", log_path.display()))?;
    let mut child = Command::new(java)
        .arg(format!("-XX:DumpLoadedClassList={}", list.display()))
        .arg("-cp")
        .arg(classpath)
        .arg(crate::launch::MAIN_CLASS)
        .arg("--properties-file")
        .arg(&props)
        .current_dir(scratch)
        // Nothing of the caller's environment: no real credentials, no proxy, no JAVA_TOOL_OPTIONS.
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "kclrs-bundle-training")
        .env("AWS_SECRET_ACCESS_KEY", "kclrs-bundle-training")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("cannot start {}", java.display()))?;
    let started = Instant::now();
    let (mut last_len, mut last_change) = (0u64, Instant::now());
    let early_exit = loop {
        std::thread::sleep(Duration::from_millis(250));
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        let len = std::fs::metadata(list).map_or(0, |m| m.len());
        if len != last_len {
            (last_len, last_change) = (len, Instant::now());
        }
        let elapsed = started.elapsed();
        if (elapsed >= MIN_RUN && last_change.elapsed() >= QUIET) || elapsed >= MAX_RUN {
            break None;
        }
    };
    if let Some(status) = early_exit {
        drop(sink);
        return Err(UserError::new(
            Exit::Java,
            format!(
                "the CDS training run of the daemon exited by itself ({status}):\n  {}",
                tail(&log_path)
            ),
        )
        .hint("check the properties given with -p; the full log is shown above")
        .into());
    }
    terminate(&mut child)?;
    drop(sink);
    let text = std::fs::read_to_string(list)
        .with_context(|| format!("the training run wrote no class list {}", list.display()))?;
    Ok(text.lines().filter(|l| !l.starts_with('@')).count())
}

/// SIGTERM (the JVM flushes the class list in its exit path), then SIGKILL after 20 s.
fn terminate(child: &mut std::process::Child) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = child.kill();
    child.wait()?;
    Ok(())
}

/// The last lines of a log, indented, for an error message.
fn tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = std::fs::File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n  ")
}

/// `training` (a class list the JVM wrote) followed by the classes of `extra` it does not name:
/// the text and how many were added. `@` lines (lambda and method-handle entries) of `extra` are
/// not taken: they are long, tied to one JDK build, and measured not to matter (docs/bundle.md).
pub fn merge_lists(training: &str, extra: &str) -> (String, usize) {
    let class = |line: &str| -> Option<String> {
        let name = line.split_whitespace().next()?;
        (!line.starts_with(['#', '@'])).then(|| name.to_string())
    };
    let mut known: std::collections::HashSet<String> = training.lines().filter_map(class).collect();
    let mut text = training.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(RECORD_PATH_MARK);
    text.push('\n');
    let mut added = 0;
    for name in extra.lines().filter_map(class) {
        if known.insert(name.clone()) {
            text.push_str(&name);
            text.push('\n');
            added += 1;
        }
    }
    (text, added)
}

/// Completes the training run's class list at `list` with [`RECORD_PATH`]; returns how many
/// classes were added.
pub fn complete_list(list: &Path) -> anyhow::Result<usize> {
    let training =
        std::fs::read_to_string(list).with_context(|| format!("cannot read {}", list.display()))?;
    let (text, added) = merge_lists(&training, RECORD_PATH);
    std::fs::write(list, text).with_context(|| format!("cannot write {}", list.display()))?;
    Ok(added)
}

/// `java -Xshare:dump` of `list` into `archive` for exactly `classpath`.
pub fn dump(
    java: &Path,
    classpath: &std::ffi::OsStr,
    list: &Path,
    archive: &Path,
) -> anyhow::Result<()> {
    let mut cmd = Command::new(java);
    cmd.arg("-Xshare:dump")
        .arg(format!("-XX:SharedClassListFile={}", list.display()))
        .arg(format!("-XX:SharedArchiveFile={}", archive.display()))
        // The dump's warnings (classes it skips: JFR events, failed verification) are expected.
        .arg("-Xlog:cds=error")
        .arg("-cp")
        .arg(classpath)
        .env_clear()
        .stdin(Stdio::null());
    super::modules::run_tool(cmd, "java -Xshare:dump (the CDS archive)")?;
    if !archive.is_file() {
        return crate::error::fail(
            Exit::Java,
            format!("java -Xshare:dump wrote no archive {}", archive.display()),
        );
    }
    Ok(())
}

/// Where the archive and the class list live inside DIR.
pub const ARCHIVE: &str = "cds/kcl-daemon.jsa";
pub const CLASS_LIST: &str = "cds/classlist";

/// `dir` joined with a `/`-separated bundle path.
pub fn at(dir: &Path, rel: &str) -> PathBuf {
    crate::paths::join_repo_path(dir, rel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_overrides_every_network_setting_after_the_apps_own() {
        let text = training_properties(
            Some(b"kinesisEndpoint = https://real\nmetricsLevel = DETAILED"),
            4242,
        );
        let props =
            crate::properties::KclProperties::parse(PathBuf::from("t.properties"), &text).unwrap();
        assert_eq!(props.get("kinesisEndpoint"), Some("http://127.0.0.1:4242"));
        assert_eq!(props.get("dynamoDBEndpoint"), Some("http://127.0.0.1:4242"));
        assert_eq!(props.get("metricsLevel"), Some("NONE"));
        assert_eq!(
            props.get("AwsCredentialsProvider"),
            Some("EnvironmentVariableCredentialsProvider")
        );
    }

    #[test]
    fn the_record_path_adds_only_classes_the_training_list_lacks_after_its_mark() {
        let training = "# NOTE\njava/lang/Object id: 0\n@lambda-proxy a/B run ()V\na/B id: 7";
        let extra = "# header\na/B\nc/D\n@lambda-form-invoker [LF_RESOLVE] x\nc/D\ne/F\n";
        let (text, added) = merge_lists(training, extra);
        assert_eq!(added, 2);
        let (before, after) = text.split_once(RECORD_PATH_MARK).unwrap();
        assert_eq!(before, format!("{training}\n"));
        assert_eq!(after, "\nc/D\ne/F\n");
    }

    #[test]
    fn the_shipped_record_path_is_a_list_of_class_names() {
        let names: Vec<&str> = RECORD_PATH
            .lines()
            .filter(|l| !l.starts_with('#'))
            .collect();
        assert!(names.len() > 1000, "only {} classes", names.len());
        for name in &names {
            assert!(
                !name.is_empty()
                    && !name.contains([' ', '.'])
                    && !name.starts_with("jdk/proxy")
                    && name.split('/').count() > 1,
                "not a class name: {name:?}"
            );
        }
        assert_eq!(
            merge_lists("", RECORD_PATH).1,
            names.len(),
            "a class is listed twice"
        );
    }
}
