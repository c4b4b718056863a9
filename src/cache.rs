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
//!
//! A stamp is only as good as the folder it sits in: whoever can write the cache can plant a jar
//! and a matching stamp. So a cache root, or anything under it, that another user owns or that
//! group or others may write is refused outright ([`Cache::check_owner`], the rule ssh applies to
//! `~/.ssh`), every folder kclrs creates here is mode 755 at most, and every temp file is created
//! exclusively under a random name ([`crate::paths::create_temp`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use anyhow::Context;

use crate::error::{Exit, UserError};
use crate::maven::Coord;

/// Who chose the cache root. Errors about the root name it, so the user knows what to change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CacheFrom {
    /// `--cache-dir DIR`.
    Flag,
    /// `KCLRS_CACHE_DIR`.
    Var,
    /// The platform default (`~/.cache/kclrs` on Linux).
    #[default]
    Default,
}

impl CacheFrom {
    /// How messages name it: `--cache-dir`, `KCLRS_CACHE_DIR`, `the default cache folder`.
    pub fn label(self) -> &'static str {
        match self {
            CacheFrom::Flag => "--cache-dir",
            CacheFrom::Var => "KCLRS_CACHE_DIR",
            CacheFrom::Default => "the default cache folder",
        }
    }

    /// What to do about a root that cannot be used.
    pub fn hint(self) -> &'static str {
        match self {
            CacheFrom::Flag => {
                "pass --cache-dir a folder kclrs may create and write, e.g. --cache-dir ~/.cache/kclrs"
            }
            CacheFrom::Var => {
                "set KCLRS_CACHE_DIR to a folder kclrs may create and write, or unset it to use the default"
            }
            CacheFrom::Default => {
                "pass --cache-dir DIR or set KCLRS_CACHE_DIR to a folder kclrs may create and write"
            }
        }
    }
}

/// A cache rooted at one directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cache {
    pub root: PathBuf,
    /// Who chose `root`, for error messages.
    pub from: CacheFrom,
}

impl Cache {
    pub fn new(root: PathBuf) -> Cache {
        Cache::chosen(root, CacheFrom::Default)
    }

    pub fn chosen(root: PathBuf, from: CacheFrom) -> Cache {
        Cache { root, from }
    }

    /// Fails with exit code 2, naming who chose the cache, the folder and a hint, unless this
    /// process can create the cache and files in it and in the folders below it that exist
    /// already (a cache once filled by `sudo` has a root-owned `maven/`). Writers call it before
    /// any download or `mvn` run, so an unwritable cache costs no network time and leaves the
    /// local Maven repository alone, instead of failing after the work on the first lock file.
    pub fn ensure_writable(&self) -> anyhow::Result<()> {
        let refuse = |dir: &Path, what: &str, e: std::io::Error| -> anyhow::Error {
            UserError::new(
                Exit::Usage,
                format!(
                    "cannot write to the kclrs cache {} ({}): {what} {}: {e}",
                    self.root.display(),
                    self.from.label(),
                    dir.display()
                ),
            )
            .hint(self.from.hint())
            .into()
        };
        crate::paths::create_dirs(&self.root)
            .map_err(|e| refuse(&self.root, "cannot create", e))?;
        for dir in [self.root.clone(), self.maven_dir(), self.locks_dir()] {
            if dir != self.root && !dir.is_dir() {
                continue;
            }
            // A probe file, removed at once: permission bits alone miss ACLs, read-only mounts
            // and root's exemption. (Its own error, without the probe's random name.)
            let probe = tempfile::Builder::new()
                .prefix(".kclrs-")
                .suffix(".probe")
                .tempfile_in(&dir);
            if let Err(e) = probe {
                let e = match e.raw_os_error() {
                    Some(code) => std::io::Error::from_raw_os_error(code),
                    None => std::io::Error::from(e.kind()),
                };
                return Err(refuse(&dir, "cannot create a file in", e));
            }
        }
        Ok(())
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
    /// locked sha256). Callers take it only when there is work to do for that artifact. The lock
    /// is released when the returned guard is dropped, which also removes the lock file, or when
    /// the process dies (its file then stays until [`Cache::prune_stale_locks`]).
    ///
    /// Removing a lock file while others may wait on it is safe by one rule: a lock counts only
    /// while its file is still the one at the path. A waiter that wins the lock of a file its
    /// holder has just removed sees that, and starts over with a fresh file.
    pub fn lock_artifact(&self, coord: &Coord, sha256: &str) -> anyhow::Result<ArtifactLock> {
        let dir = self.locks_dir();
        crate::paths::create_dirs(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let short = sha256.get(..16).unwrap_or(sha256);
        let path = dir.join(format!("{}-{short}.lock", coord.file_name()));
        crate::paths::ensure_under(&dir, &path)?;
        loop {
            let mut options = File::options();
            options.create(true).truncate(false).write(true);
            crate::paths::no_follow(&mut options);
            #[cfg(unix)]
            {
                // Never group-writable, whatever the umask: the cache check would refuse it.
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o644);
            }
            let file = options
                .open(&path)
                .with_context(|| format!("cannot open lock file {}", path.display()))?;
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
            if still_at(&file, &path) {
                return Ok(ArtifactLock { file, path });
            }
        }
    }

    /// Removes the lock files that no process holds (left by a killed run, or by a kclrs that
    /// kept them), so `locks/` never grows with the number of artifacts ever fetched. Each is
    /// removed while holding its lock, by the rule of [`Cache::lock_artifact`].
    pub fn prune_stale_locks(&self) {
        let Ok(entries) = std::fs::read_dir(self.locks_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if !entry.file_type().is_ok_and(|t| t.is_file())
                || path.extension().is_none_or(|e| e != "lock")
            {
                continue;
            }
            let mut options = File::options();
            options.write(true);
            crate::paths::no_follow(&mut options);
            if let Ok(file) = options.open(&path) {
                if file.try_lock().is_ok() && still_at(&file, &path) {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
    }

    /// Writes `bytes` as `<root>/properties/<sha256 prefix>/<name>` (once per content) and
    /// returns that path: a folder holding nothing but this file, for the classpath.
    pub fn private_copy(&self, name: &std::ffi::OsStr, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        let mut hasher = crate::digest::Hasher::default();
        hasher.update(bytes);
        let sha = hasher.finish();
        let dir = self.root.join("properties").join(&sha[..16]);
        let path = dir.join(name);
        crate::paths::ensure_under(&self.root, &path)?;
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            return Ok(path);
        }
        write_atomic(&path, bytes)
            .with_context(|| format!("cannot write a private copy of {}", path.display()))?;
        Ok(path)
    }

    /// Refuses (exit 2) a cache that someone else could change: the root, or any folder or file
    /// under it, owned by another user (root excepted) or writable by group or others. Like ssh
    /// with `~/.ssh`, this is checked before anything in it is trusted, and the message names the
    /// first offending path and the command that fixes it. A root that does not exist yet passes:
    /// kclrs creates it (mode 755 at most). Symlinks inside are judged by what they point to.
    pub fn check_owner(&self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            let uid = crate::paths::current_uid();
            let meta = match std::fs::metadata(&self.root) {
                Ok(meta) => meta,
                Err(_) => return Ok(()),
            };
            if let Some(problem) = crate::paths::owner_problem(&meta, uid) {
                return Err(self.untrusted(&self.root, &problem));
            }
            if meta.is_dir() {
                if let Some((path, problem)) = first_untrusted(&self.root, uid, 0) {
                    return Err(self.untrusted(&path, &problem));
                }
            }
        }
        Ok(())
    }

    fn untrusted(&self, path: &Path, problem: &str) -> anyhow::Error {
        let root = self.root.display();
        UserError::new(
            Exit::Usage,
            format!(
                "refusing to use the kclrs cache {root}: {} {problem}, so another user could \
                 plant jars that kclrs would run",
                path.display()
            ),
        )
        .hint(format!(
            "if the cache is yours, run `chown -R \"$(id -u)\" {root} && chmod -R go-w {root}`; \
             otherwise delete it, or use a folder of your own with --cache-dir"
        ))
        .into()
    }
}

/// How deep [`first_untrusted`] follows folders (a symlink loop ends here).
#[cfg(unix)]
const MAX_DEPTH: usize = 32;

/// The first entry under `dir` (depth first, in listing order) that
/// [`crate::paths::owner_problem`] refuses. Costs one `stat` per entry: a cache of one KCL closure is a few
/// hundred folders and files.
#[cfg(unix)]
fn first_untrusted(dir: &Path, uid: u32, depth: usize) -> Option<(PathBuf, String)> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        // `fstatat` on the open folder, except for a symlink, which is judged by its target.
        let meta = match entry.file_type() {
            Ok(t) if t.is_symlink() => std::fs::metadata(&path),
            _ => entry.metadata(),
        };
        let Ok(meta) = meta else {
            // A dangling symlink or an entry gone meanwhile: nothing to trust there.
            continue;
        };
        if let Some(problem) = crate::paths::owner_problem(&meta, uid) {
            return Some((path, problem));
        }
        if meta.is_dir() {
            if depth >= MAX_DEPTH {
                return Some((path, "is nested too deep (a symlink loop?)".to_string()));
            }
            if let Some(found) = first_untrusted(&path, uid, depth + 1) {
                return Some(found);
            }
        }
    }
    None
}

/// True when `file` (just locked) is still the file at `path`: its holder removes it when done.
fn still_at(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Holds one artifact's lock. Dropping it removes the lock file while still holding the lock
/// (Unix; elsewhere an open file cannot be removed and stays), then closes it.
#[derive(Debug)]
pub struct ArtifactLock {
    file: File,
    path: PathBuf,
}

impl Drop for ArtifactLock {
    fn drop(&mut self) {
        #[cfg(unix)]
        let _ = std::fs::remove_file(&self.path);
        let _ = &self.file;
    }
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
    // The temp file is new and randomly named, never a name someone could plant a symlink at.
    let (tmp, mut file) = crate::paths::create_temp(&stamp)
        .with_context(|| format!("cannot create a temporary file beside {}", stamp.display()))?;
    if let Err(e) = file.write_all(text.as_bytes()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", tmp.display()));
    }
    drop(file);
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
    crate::paths::create_dirs(dir).with_context(|| format!("cannot create {}", dir.display()))?;
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

    /// Issue 21, finding 4 (b): the stamp's temp file was `.<stamp>.<pid>.tmp`, written through
    /// any symlink planted at that name; now it is new and random, so the victim stays intact.
    #[cfg(unix)]
    #[test]
    fn stamp_writes_never_follow_a_symlink_planted_at_a_predictable_name() {
        let dir = tempfile::tempdir().unwrap();
        let jar = dir.path().join("a.jar");
        std::fs::write(&jar, b"abc").unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"root's file").unwrap();
        let stamp = stamp_path(&jar);
        let name = stamp.file_name().unwrap().to_string_lossy().into_owned();
        for planted in [
            format!(".{name}.{}.tmp", std::process::id()),
            format!(".{name}.tmp"),
        ] {
            std::os::unix::fs::symlink(&victim, dir.path().join(planted)).unwrap();
        }
        let (sha, len) = crate::digest::hash_file(&jar).unwrap();
        write_stamp(&jar, &sha).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"root's file");
        assert!(stamp_is_fresh(&jar, &sha, len));
        assert!(!std::fs::symlink_metadata(&stamp).unwrap().is_symlink());
    }

    /// Issue 21, finding 10: a lock file exists only while its lock is held.
    #[test]
    fn lock_files_go_with_their_lock() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let coord: Coord = "a:b:1".parse().unwrap();
        let held = cache.lock_artifact(&coord, &"ab".repeat(32)).unwrap();
        assert_eq!(std::fs::read_dir(cache.locks_dir()).unwrap().count(), 1);
        drop(held);
        #[cfg(unix)]
        assert_eq!(std::fs::read_dir(cache.locks_dir()).unwrap().count(), 0);
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
