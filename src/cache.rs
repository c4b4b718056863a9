//! The kclrs cache: verified artifacts in Maven layout, plus the embedded samples.
//!
//! Layout under the cache root (`--cache-dir`, `KCLRS_CACHE_DIR`, or the platform cache dir):
//! `maven/<group path>/<artifact>/<version>/<file>` for artifacts (so the folder can itself be
//! served or used as a Maven repository) and `samples/<kclrs version>/` for `--sample`. A file only
//! ever appears at its final path through [`write_atomic`]-style rename after verification, so a
//! crash or `kill -9` can leave at most a temp file that nothing trusts.
//!
//! Two more things make the cache safe and fast. Several kclrs processes may fill it at once, so
//! each artifact is written only while holding an exclusive lock on `locks/<file>-<sha>.lock`
//! ([`Cache::lock_artifact`]). And a warm run must not re-hash 70 MB of jars, so next to every
//! verified file sits a stamp `<file>.kclrs-verified` recording the sha256 that was checked
//! together with the file's size and modification time; while those still match the file, the
//! bytes are taken as verified ([`stamp_is_fresh`]). `kclrs verify` ignores stamps and re-hashes.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

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
        crate::paths::join_repo_path(&self.maven_dir(), &coord.repo_path())
    }

    /// Folder for files kclrs writes on demand (samples), versioned so upgrades never mix them.
    pub fn samples_dir(&self) -> PathBuf {
        self.root.join("samples").join(env!("CARGO_PKG_VERSION"))
    }

    /// Folder of the per-artifact lock files.
    pub fn locks_dir(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// Blocks until this process holds the exclusive lock of one artifact (keyed by file name and
    /// locked sha256). The lock is released when the returned guard is dropped, or when the
    /// process dies, so a `kill -9` never leaves a stale lock behind.
    pub fn lock_artifact(&self, coord: &Coord, sha256: &str) -> anyhow::Result<ArtifactLock> {
        let dir = self.locks_dir();
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let short = sha256.get(..16).unwrap_or(sha256);
        let path = dir.join(format!("{}-{short}.lock", coord.file_name()));
        crate::paths::ensure_under(&dir, &path)?;
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open lock file {}", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(ArtifactLock { _file: file })
    }
}

/// Holds one artifact's lock; dropping it closes the file, which releases the lock.
#[derive(Debug)]
pub struct ArtifactLock {
    _file: File,
}

/// Path of the verified-stamp next to a cached file.
pub fn stamp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".kclrs-verified");
    path.with_file_name(name)
}

/// Size and modification time (nanoseconds since the epoch) as the stamp records them.
fn size_and_mtime(meta: &std::fs::Metadata) -> Option<(u64, u128)> {
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some((meta.len(), mtime.as_nanos()))
}

fn stamp_text(sha256: &str, size: u64, mtime: u128) -> String {
    format!("kclrs-verified 1\nsha256 {sha256}\nsize {size}\nmtime {mtime}\n")
}

/// True when `path` has a stamp saying it was hashed to `sha256` and it still has the size
/// (`size`) and modification time it had then. Costs two `stat`s and one small read, no hashing.
pub fn stamp_is_fresh(path: &Path, sha256: &str, size: u64) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    let Some((len, mtime)) = size_and_mtime(&meta) else {
        return false;
    };
    if len != size || !meta.is_file() {
        return false;
    }
    std::fs::read_to_string(stamp_path(path))
        .is_ok_and(|text| text == stamp_text(sha256, size, mtime))
}

/// The sha256 and size a fresh stamp records for `path` (see [`stamp_is_fresh`]), for callers
/// that do not know the hash in advance (`kclrs lock` re-locking jars it downloaded before).
pub fn verified_sha256(path: &Path) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(stamp_path(path)).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map(str::to_string)
    };
    let sha = field("sha256")?;
    let size: u64 = field("size")?.parse().ok()?;
    stamp_is_fresh(path, &sha, size).then_some((sha, size))
}

/// Records that `path` (as it is now on disk) hashes to `sha256`.
pub fn write_stamp(path: &Path, sha256: &str) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (size, mtime) = size_and_mtime(&meta)
        .with_context(|| format!("no modification time for {}", path.display()))?;
    let text = stamp_text(sha256, size, mtime);
    let stamp = stamp_path(path);
    if std::fs::read_to_string(&stamp).is_ok_and(|old| old == text) {
        return Ok(());
    }
    // Temp + rename, but no fsync: a stamp lost in a power cut only costs a re-hash, and one
    // that survives without its file's data is caught by the size check or by `kclrs verify`.
    let tmp = stamp.with_file_name(format!(
        ".{}.{}.tmp",
        stamp.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &stamp).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", stamp.display())
    })
}

/// Forgets that `path` was verified, so the next run hashes it again.
pub fn remove_stamp(path: &Path) {
    let _ = std::fs::remove_file(stamp_path(path));
}

/// What [`rehash`] found.
#[derive(Debug)]
pub enum Rehash {
    /// The locked bytes; `stamped` says whether the verified-stamp could be written.
    Matches { stamped: anyhow::Result<()> },
    /// Other bytes (their sha256 and size); the stamp, if any, has been removed.
    Differs { sha256: String, size: u64 },
}

/// Hashes `path` again, ignoring its stamp, and records the verdict against the locked `sha256`
/// and `size`: a match is stamped verified, a mismatch loses its stamp. The one rule shared by
/// `verify` and the fetch's re-check under the artifact's lock. Errors are the file's read errors.
pub fn rehash(path: &Path, sha256: &str, size: u64) -> std::io::Result<Rehash> {
    let (sha, len) = crate::digest::hash_file(path)?;
    if sha == sha256 && len == size {
        return Ok(Rehash::Matches {
            stamped: write_stamp(path, &sha),
        });
    }
    remove_stamp(path);
    Ok(Rehash::Differs {
        sha256: sha,
        size: len,
    })
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
    fn stamps_follow_size_mtime_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jar");
        std::fs::write(&p, b"abc").unwrap();
        let (sha, len) = crate::digest::hash_file(&p).unwrap();
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(!stamp_is_fresh(&p, &sha, len));
        write_stamp(&p, &sha).unwrap();
        assert!(stamp_is_fresh(&p, &sha, len));
        assert_eq!(verified_sha256(&p), Some((sha.clone(), len)));
        assert!(!stamp_is_fresh(&p, &"0".repeat(64), len));
        assert!(!stamp_is_fresh(&p, &sha, len + 1));
        // A rewrite with another mtime makes the stamp stale even at the same size.
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::write(&p, b"abd").unwrap();
        File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(!stamp_is_fresh(&p, &sha, len));
        assert_eq!(verified_sha256(&p), None);
        remove_stamp(&p);
        assert!(!stamp_path(&p).exists());
    }

    #[test]
    fn artifact_locks_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let coord: Coord = "a:b:1".parse().unwrap();
        let sha = "ab".repeat(32);
        let held = cache.lock_artifact(&coord, &sha).unwrap();
        let lock_file = std::fs::read_dir(cache.locks_dir())
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let other = File::options().write(true).open(&lock_file).unwrap();
        assert!(other.try_lock().is_err());
        drop(held);
        assert!(other.try_lock().is_ok());
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
