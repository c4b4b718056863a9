//! Shared test sandbox: a temp dir per test with a fake HOME and an empty kclrs cache, a way to
//! run the kclrs binary inside it with a controlled environment, and a transcript format
//! (exit code + stdout + stderr, sandbox paths replaced by `[SANDBOX]`) for insta snapshots.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_kclrs");

/// Variables that would make a test depend on the machine it runs on.
pub const SCRUBBED: &[&str] = &[
    "JAVA_HOME",
    "KCLRS_JAVA",
    "KCLRS_IGNORE_JAVA_VERSION",
    "KCLRS_CACHE_DIR",
    "KCLRS_REPOSITORY",
    "KCL_MVN_REPO_SEARCH_URL",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "NO_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "NO_PROXY",
    "JAVA_TOOL_OPTIONS",
    "MAVEN_OPTS",
    "MAVEN_ARGS",
];

#[derive(Debug)]
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("kclrs-test-")
            .tempdir()
            .unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Sandbox { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    /// The working directory kclrs runs in.
    pub fn work(&self) -> PathBuf {
        self.root().join("work")
    }

    pub fn cache(&self) -> PathBuf {
        self.root().join("cache")
    }

    /// Writes a file under the sandbox root (creating folders) and returns its path.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// A kclrs command with a scrubbed environment: HOME and the cache inside the sandbox,
    /// cwd = `work/`. PATH is kept so real tools (java, mvn, sh) stay reachable.
    pub fn cmd<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd_under(&[], args)
    }

    /// Like [`Sandbox::cmd`], with kclrs started through `wrapper` (e.g. `/usr/bin/time -f %M`).
    pub fn cmd_under<I, S>(&self, wrapper: &[&str], args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = match wrapper.split_first() {
            None => Command::new(BIN),
            Some((program, rest)) => {
                let mut cmd = Command::new(program);
                cmd.args(rest).arg(BIN);
                cmd
            }
        };
        cmd.args(args).current_dir(self.work());
        for var in SCRUBBED {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.home())
            .env("KCLRS_CACHE_DIR", self.cache())
            .stdin(std::process::Stdio::null());
        cmd
    }

    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd(args).output().unwrap()
    }

    /// Exit code, stdout and stderr as one text, with sandbox paths replaced by `[SANDBOX]`.
    pub fn transcript(&self, out: &Output) -> String {
        let code = out
            .status
            .code()
            .map_or_else(|| "signal".to_string(), |c| c.to_string());
        let text = format!(
            "exit: {code}\n--- stdout\n{}--- stderr\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        self.filter(&text)
    }

    /// Replaces this sandbox's paths (also in their canonical form) by `[SANDBOX]`.
    pub fn filter(&self, text: &str) -> String {
        let mut text = text.to_string();
        let canon = std::fs::canonicalize(self.root()).unwrap();
        for p in [canon.as_path(), self.root()] {
            text = text.replace(&*p.to_string_lossy(), "[SANDBOX]");
        }
        text
    }
}

/// Asserts the process exited with `code`, showing the transcript when it did not.
#[track_caller]
pub fn assert_exit(sb: &Sandbox, out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "unexpected exit code\n{}",
        sb.transcript(out)
    );
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The local Maven repository `tests/prepare.sh` fills (`KCLRS_TEST_M2`, default
/// `~/.cache/kclrs-test/m2`); its absence is a failure, not a skip.
pub fn test_m2() -> PathBuf {
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
