//! The kclrs cache: verified artifacts in Maven layout, plus the embedded samples.
//!
//! Layout under the cache root (`--cache-dir`, `KCLRS_CACHE_DIR`, or the platform cache dir):
//! `maven/<group path>/<artifact>/<version>/<file>` for artifacts (so the folder can itself be
//! served or used as a Maven repository) and `samples/<kclrs version>/` for `--sample`. A file only
//! ever appears at its final path through [`write_atomic`]-style rename after verification, so a
//! crash or `kill -9` can leave at most a temp file that nothing trusts.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::maven::Coord;

/// A cache rooted at one directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    pub root: PathBuf,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache { root }
    }

    /// Root of the Maven-layout artifact store.
    pub fn maven_dir(&self) -> PathBuf {
        self.root.join("maven")
    }

    /// Where a verified artifact lives.
    pub fn artifact_path(&self, coord: &Coord) -> PathBuf {
        let mut path = self.maven_dir();
        path.extend(coord.repo_path().split('/'));
        path
    }

    /// Folder for files kclrs writes on demand (samples), versioned so upgrades never mix them.
    pub fn samples_dir(&self) -> PathBuf {
        self.root.join("samples").join(env!("CARGO_PKG_VERSION"))
    }
}

/// Writes `bytes` to `path` via a temp file in the same folder and an atomic rename, creating
/// parent folders. Readers see either the old file or the whole new one, never a partial one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".kclrs-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot move the new file into place at {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_use_maven_layout() {
        let cache = Cache::new(PathBuf::from("/c"));
        let coord: Coord = "a.b:c:jar:x:1".parse().unwrap();
        assert_eq!(
            cache.artifact_path(&coord),
            PathBuf::from("/c/maven/a/b/c/1/c-1-x.jar")
        );
    }

    #[test]
    fn write_atomic_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/f.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let leftovers = std::fs::read_dir(p.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
