//! The process environment, captured once and passed around as a value.
//!
//! Java discovery, settings lookup and cache placement all depend on environment variables, the
//! home directory, the working directory, `PATH` and the operating system. Reading them through an
//! [`Env`] instead of `std::env` lets tests describe a whole fake machine (fake JDK folders, a fake
//! home, Windows or macOS rules) without touching the real one.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The operating-system family whose conventions apply (separators, quoting, Java locations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Linux,
    MacOs,
    Windows,
    /// Any other Unix (BSDs…): Unix rules, Linux-style Java locations.
    OtherUnix,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(target_os = "linux") {
            Os::Linux
        } else {
            Os::OtherUnix
        }
    }

    pub fn is_windows(self) -> bool {
        self == Os::Windows
    }

    /// Separator between classpath entries (`java -cp a:b` vs `a;b`).
    pub fn classpath_separator(self) -> char {
        if self.is_windows() {
            ';'
        } else {
            ':'
        }
    }

    /// Separator between entries of `PATH`.
    pub fn path_list_separator(self) -> char {
        self.classpath_separator()
    }

    /// File name of the Java launcher inside `bin/`.
    pub fn java_exe(self) -> &'static str {
        if self.is_windows() {
            "java.exe"
        } else {
            "java"
        }
    }
}

/// A snapshot of everything kclrs reads from its surroundings.
#[derive(Clone, Debug)]
pub struct Env {
    vars: BTreeMap<String, OsString>,
    /// The user's home directory, if one is known.
    pub home: Option<PathBuf>,
    /// The working directory relative paths are resolved against.
    pub cwd: PathBuf,
    /// Which platform's conventions to follow.
    pub os: Os,
}

impl Env {
    /// Captures the real process environment.
    pub fn from_process() -> anyhow::Result<Env> {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| k.into_string().ok().map(|k| (k, v)))
            .collect();
        let cwd = std::env::current_dir().context("cannot read the current working directory")?;
        let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
        Ok(Env {
            vars,
            home,
            cwd,
            os: Os::current(),
        })
    }

    /// An empty environment for tests: no variables, the given home and working directory.
    pub fn fake(os: Os, home: Option<PathBuf>, cwd: PathBuf) -> Env {
        Env {
            vars: BTreeMap::new(),
            home,
            cwd,
            os,
        }
    }

    /// Builder-style setter used by tests and by code that derives a child environment.
    #[must_use]
    pub fn with_var(mut self, key: &str, value: impl Into<OsString>) -> Env {
        self.vars.insert(key.to_string(), value.into());
        self
    }

    /// The value of a variable; empty values count as unset, as most tools treat them.
    /// On Windows, variable names are matched case-insensitively.
    pub fn var_os(&self, key: &str) -> Option<&OsStr> {
        let found = if self.os.is_windows() {
            self.vars
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        } else {
            self.vars.get(key)
        };
        found.map(OsString::as_os_str).filter(|v| !v.is_empty())
    }

    /// The value of a variable as UTF-8 text (lossy), or `None` when unset or empty.
    pub fn var(&self, key: &str) -> Option<String> {
        self.var_os(key).map(|v| v.to_string_lossy().into_owned())
    }

    /// The absolute directories of `PATH`, in order: the one rule for every program kclrs looks
    /// up itself (`java`, `mvn`). An empty or relative entry would name the current folder (or
    /// one below it), whose files may be anyone's, so it is skipped.
    pub fn path_dirs(&self) -> Vec<PathBuf> {
        let Some(path) = self.var_os("PATH") else {
            return Vec::new();
        };
        let sep = self.os.path_list_separator();
        path.to_string_lossy()
            .split(sep)
            .map(PathBuf::from)
            .filter(|dir| self.is_absolute(dir))
            .collect()
    }

    /// `path.is_absolute()` as `self.os` reads it (`C:\x` on Windows, `/x` elsewhere), whatever
    /// the OS kclrs runs on, so fake environments of the other OS behave as the real one.
    fn is_absolute(&self, path: &Path) -> bool {
        let text = path.to_string_lossy();
        if self.os.is_windows() {
            let b = text.as_bytes();
            (b.len() >= 3
                && b[0].is_ascii_alphabetic()
                && b[1] == b':'
                && matches!(b[2], b'\\' | b'/'))
                || text.starts_with("\\\\")
        } else {
            text.starts_with('/')
        }
    }

    /// Makes `path` absolute against the captured working directory (no symlink resolution).
    pub fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.cwd.join(path)
        }
    }

    /// The directory for kclrs's cache: `KCLRS_CACHE_DIR`, else the platform cache dir
    /// (`$XDG_CACHE_HOME/kclrs`, `~/Library/Caches/kclrs`, `%LOCALAPPDATA%\kclrs\cache`).
    pub fn default_cache_dir(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = self.var_os("KCLRS_CACHE_DIR") {
            return Ok(self.absolute(Path::new(dir)));
        }
        if let Some(xdg) = self
            .var_os("XDG_CACHE_HOME")
            .filter(|_| !self.os.is_windows())
        {
            if Path::new(xdg).is_absolute() {
                return Ok(Path::new(xdg).join("kclrs"));
            }
        }
        match self.os {
            Os::Windows => {
                if let Some(local) = self.var_os("LOCALAPPDATA") {
                    return Ok(Path::new(local).join("kclrs").join("cache"));
                }
            }
            Os::MacOs => {
                if let Some(home) = &self.home {
                    return Ok(home.join("Library").join("Caches").join("kclrs"));
                }
            }
            Os::Linux | Os::OtherUnix => {
                if let Some(home) = &self.home {
                    return Ok(home.join(".cache").join("kclrs"));
                }
            }
        }
        Err(crate::error::UserError::new(
            crate::error::Exit::Failure,
            "cannot determine a cache directory: no home directory is known",
        )
        .hint("pass --cache-dir DIR or set KCLRS_CACHE_DIR")
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_vars_count_as_unset_and_windows_names_ignore_case() {
        let env = Env::fake(Os::Linux, None, PathBuf::from("/w"))
            .with_var("A", "")
            .with_var("Path", "x");
        assert_eq!(env.var("A"), None);
        assert_eq!(env.var("PATH"), None);
        let win = Env::fake(Os::Windows, None, PathBuf::from("C:\\w"))
            .with_var("Path", "C:\\a;;b;D:/c;\\\\srv\\d");
        assert_eq!(
            win.path_dirs(),
            vec![
                PathBuf::from("C:\\a"),
                PathBuf::from("D:/c"),
                PathBuf::from("\\\\srv\\d")
            ]
        );
    }

    /// Issue 21, finding 5: empty and relative `PATH` entries name the current folder, whose
    /// programs may be anyone's; `java` and `mvn` discovery skip them.
    #[test]
    fn path_dirs_keep_only_absolute_entries() {
        for path in [
            ":/usr/bin",
            "/usr/bin:",
            "/usr/bin::/bin",
            ".:/usr/bin:bin:./x",
        ] {
            let env = Env::fake(Os::Linux, None, PathBuf::from("/w")).with_var("PATH", path);
            let dirs = env.path_dirs();
            assert!(
                dirs.iter().all(|d| d.starts_with("/")) && !dirs.is_empty(),
                "{path:?} gave {dirs:?}"
            );
        }
    }

    #[test]
    fn cache_dir_follows_override_then_platform() {
        let home = Some(PathBuf::from("/home/u"));
        let env = Env::fake(Os::Linux, home.clone(), PathBuf::from("/w"));
        assert_eq!(
            env.default_cache_dir().unwrap(),
            PathBuf::from("/home/u/.cache/kclrs")
        );
        let env = env.with_var("KCLRS_CACHE_DIR", "rel");
        assert_eq!(env.default_cache_dir().unwrap(), PathBuf::from("/w/rel"));
        let mac = Env::fake(Os::MacOs, home, PathBuf::from("/w"));
        assert_eq!(
            mac.default_cache_dir().unwrap(),
            PathBuf::from("/home/u/Library/Caches/kclrs")
        );
    }
}
