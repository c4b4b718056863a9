//! Reads and checks the KCL .properties file the MultiLangDaemon is started with.
//! (Skeleton: signatures fixed for the launcher; implementation comes with the launcher issue.)

use std::path::{Path, PathBuf};

use crate::env::Env;

/// A parsed properties file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KclProperties {
    /// Absolute path of the file.
    pub path: PathBuf,
    /// Key/value pairs in file order (later duplicates win, as in java.util.Properties).
    pub entries: Vec<(String, String)>,
}

impl KclProperties {
    /// The value of `key` (exact, case-sensitive match, last occurrence wins).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads `path` (made absolute against `env.cwd`). Errors (exit 3) name the file.
pub fn load(env: &Env, path: &Path) -> anyhow::Result<KclProperties> {
    Ok(KclProperties {
        path: env.absolute(path),
        entries: Vec::new(),
    })
}

/// Checks the properties: an error (exit 3) for missing required keys; otherwise the warnings
/// (unknown keys with suggestions, executableName not found…), which `strict` turns into an error.
pub fn check(_props: &KclProperties, _env: &Env, _strict: bool) -> anyhow::Result<Vec<String>> {
    Ok(Vec::new())
}
