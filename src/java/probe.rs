//! Looking at one Java installation on disk: is its launcher executable, where is its home, and
//! which version is it. The version comes from the home's `release` file when there is one, so
//! choosing a Java normally starts no process; otherwise `java -version` runs under a deadline
//! because a broken wrapper script must not hang `kclrs run`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::version;

/// How long `java -version` may take before the candidate is rejected.
const VERSION_TIMEOUT: Duration = Duration::from_secs(10);

/// True for a regular file the current user may execute (on Unix, any execute bit; elsewhere
/// any existing file, as Windows decides by extension).
pub fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// `path` with symlinks resolved, without Windows' `\\?\` prefix (which `java` and shells choke
/// on); `None` when it does not exist.
pub fn canonical(path: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(path).ok()?;
    let text = real.to_string_lossy();
    match text.strip_prefix(r"\\?\") {
        Some(rest) if !rest.starts_with("UNC\\") => Some(PathBuf::from(rest)),
        _ => Some(real),
    }
}

/// The Java home of a (symlink-resolved) launcher: the folder above its `bin/`.
pub fn home_of(real_java: &Path) -> PathBuf {
    let parent = real_java.parent().unwrap_or(Path::new("/"));
    match parent.file_name() {
        Some(name) if name == "bin" => parent.parent().unwrap_or(parent).to_path_buf(),
        _ => parent.to_path_buf(),
    }
}

/// The version recorded in the home's `release` file. A JDK 8 `jre/` folder has none of its own:
/// its parent's is used.
pub fn release_version(home: &Path) -> Option<String> {
    let mut dirs = vec![home.to_path_buf()];
    if home.file_name().is_some_and(|n| n == "jre") {
        dirs.extend(home.parent().map(Path::to_path_buf));
    }
    dirs.iter().find_map(|dir| {
        let text = std::fs::read(dir.join("release")).ok()?;
        version::from_release(&String::from_utf8_lossy(&text))
    })
}

/// The version of the installation: from `release`, else by running `java -version`.
pub fn read_version(home: &Path, java: &Path) -> Result<String, String> {
    if let Some(v) = release_version(home) {
        return Ok(v);
    }
    run_version(java)
}

/// Spawns `cmd`, retrying briefly on ETXTBSY: a launcher script that was just written (by an
/// installer, or a test) can still be open for writing in a process forked meanwhile.
fn spawn_retrying(cmd: &mut Command) -> std::io::Result<std::process::Child> {
    const ETXTBSY: i32 = 26;
    let mut attempt = 0;
    loop {
        match cmd.spawn() {
            Err(e) if cfg!(unix) && e.raw_os_error() == Some(ETXTBSY) && attempt < 20 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// The other programs of a JDK's `bin/`: handed to `--java` by mistake, each would be exec'd with
/// the daemon's arguments (and `javac -version` even prints a version kclrs would accept).
const JDK_TOOLS: &[&str] = &[
    "jar",
    "jarsigner",
    "javac",
    "javadoc",
    "javap",
    "jcmd",
    "jconsole",
    "jdb",
    "jdeprscan",
    "jdeps",
    "jfr",
    "jhsdb",
    "jimage",
    "jinfo",
    "jlink",
    "jmap",
    "jmod",
    "jpackage",
    "jps",
    "jrunscript",
    "jshell",
    "jstack",
    "jstat",
    "jstatd",
    "jwebserver",
    "keytool",
    "rmiregistry",
    "serialver",
];

/// Why the file handed over as a Java launcher is not one, if it is not: a JDK tool by name, or
/// a program of another name whose `-version` does not answer as the launcher does
/// (`… version "17.0.1" …`). `given` is the path as named, `real` with symlinks resolved; either
/// being called `java` (`java.exe`, `javaw.exe`) is enough.
pub fn not_a_launcher(given: &Path, real: &Path) -> Option<String> {
    let stem = |p: &Path| {
        p.file_stem()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default()
    };
    let (given_stem, real_stem) = (stem(given), stem(real));
    if [&given_stem, &real_stem]
        .iter()
        .any(|s| *s == "java" || *s == "javaw")
    {
        return None;
    }
    if let Some(tool) = [&given_stem, &real_stem]
        .into_iter()
        .find(|s| JDK_TOOLS.contains(&s.as_str()))
    {
        return Some(format!(
            "{} is the JDK's `{tool}`, not the `java` launcher",
            given.display()
        ));
    }
    match version_output(given) {
        Ok((text, _)) if text.contains(" version \"") => None,
        Ok((text, _)) => Some(format!(
            "{} does not answer `-version` as a java launcher does ({})",
            given.display(),
            first_line(&text)
        )),
        Err(e) => Some(e),
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
}

/// Runs `java -version` and parses what it prints (stderr, and stdout for odd wrappers).
fn run_version(java: &Path) -> Result<String, String> {
    let (text, status) = version_output(java)?;
    version::from_version_output(&text).ok_or_else(|| {
        let how = if status.success() {
            String::new()
        } else {
            format!(" ({status})")
        };
        format!(
            "`{} -version` failed{how} and printed no version ({})",
            java.display(),
            first_line(&text)
        )
    })
}

/// What `java -version` prints on stderr and stdout, and how it exited, under the deadline.
fn version_output(java: &Path) -> Result<(String, std::process::ExitStatus), String> {
    run_java(java, &["-version"], VERSION_TIMEOUT)
}

/// Runs `java ARGS…` (stdin empty) and returns what it printed on stderr and stdout and how it
/// exited; a run past `timeout` is killed and is an error, so a broken wrapper cannot hang kclrs.
pub fn run_java<S: AsRef<std::ffi::OsStr>>(
    java: &Path,
    args: &[S],
    timeout: Duration,
) -> Result<(String, std::process::ExitStatus), String> {
    let shown = || {
        let first = args
            .first()
            .map(|a| a.as_ref().to_string_lossy().into_owned());
        format!("`{} {}`", java.display(), first.unwrap_or_default())
    };
    let mut child = spawn_retrying(
        Command::new(java)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
    .map_err(|e| format!("{} failed to start: {e}", shown()))?;
    // Readers on threads: a child filling one pipe while we wait on the other would deadlock,
    // and a grandchild holding a pipe open must not block us past the deadline.
    let (tx, rx) = mpsc::channel::<String>();
    let pipes: Vec<Box<dyn Read + Send>> = [
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .collect();
    let readers = pipes.len();
    for mut pipe in pipes {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
        });
    }
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} gave no answer within {} s",
                    shown(),
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(format!("waiting for {}: {e}", shown())),
        }
    };
    let mut text = String::new();
    for _ in 0..readers {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(part) => text.push_str(&part),
            Err(_) => break,
        }
    }
    Ok((text, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn script(dir: &Path, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("java");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    #[cfg(unix)]
    #[test]
    fn version_from_script_on_stderr_or_stdout_and_failures() {
        let dir = tempfile::tempdir().unwrap();
        let java = script(
            dir.path(),
            "echo 'openjdk version \"21-ea\" 2023-09-19' >&2",
        );
        assert_eq!(run_version(&java).as_deref(), Ok("21-ea"));
        let java = script(dir.path(), "echo 'openjdk 11.0.2 2019-01-15'");
        assert_eq!(run_version(&java).as_deref(), Ok("11.0.2"));
        let java = script(dir.path(), "echo 'Error: no libjvm' >&2; exit 1");
        let err = run_version(&java).unwrap_err();
        assert!(
            err.contains("printed no version (Error: no libjvm)"),
            "{err}"
        );
        let err = run_version(&dir.path().join("missing")).unwrap_err();
        assert!(err.contains("failed to start"), "{err}");
    }

    #[test]
    fn release_file_wins_and_jre_uses_parent() {
        let dir = tempfile::tempdir().unwrap();
        let jdk = dir.path().join("jdk8");
        std::fs::create_dir_all(jdk.join("jre/bin")).unwrap();
        std::fs::write(jdk.join("release"), "JAVA_VERSION=\"1.8.0_292\"\n").unwrap();
        assert_eq!(
            release_version(&jdk.join("jre")).as_deref(),
            Some("1.8.0_292")
        );
        assert_eq!(
            read_version(&jdk, Path::new("/nonexistent/java")).as_deref(),
            Ok("1.8.0_292")
        );
        assert_eq!(release_version(dir.path()), None);
    }

    #[test]
    fn home_is_above_bin() {
        assert_eq!(
            home_of(Path::new("/usr/lib/jvm/x/bin/java")),
            PathBuf::from("/usr/lib/jvm/x")
        );
        assert_eq!(
            home_of(Path::new("/opt/odd/java")),
            PathBuf::from("/opt/odd")
        );
    }

    #[cfg(unix)]
    #[test]
    fn executable_bits_are_checked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(!is_executable(&f));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(is_executable(&f));
        assert!(!is_executable(dir.path()));
        assert!(!is_executable(&dir.path().join("nope")));
    }
}
