//! Blocking file work of the fetch: re-checking a cached file under its lock, and taking a file
//! from a folder in Maven layout (the local repository, or a `file://` remote) into the cache.
//! Files are hard-linked when possible (no copy of 70 MB of jars that are already on disk) and
//! always hashed at their temp name before the rename, so the bytes checked are the bytes kept.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::Context;

use crate::cache::{self, Cache, Rehash};
use crate::digest;
use crate::lockfile::LockedArtifact;

/// What the cache holds for one artifact, seen under its lock.
#[derive(Debug)]
pub(super) enum Cached {
    /// The right bytes (another process may have just written them).
    Ready,
    Absent,
    /// A file with other bytes was there; it has been removed so it gets replaced.
    Removed(String),
}

/// Re-checks the cache under the artifact's lock, hashing a file that has no fresh stamp.
pub(super) fn check_cache(a: &LockedArtifact, cache: &Cache) -> anyhow::Result<Cached> {
    let path = cache.artifact_path(&a.coord);
    if cache::stamp_is_fresh(&path, &a.sha256, a.size) {
        return Ok(Cached::Ready);
    }
    remove_stale_parts(&path);
    let (sha, len) = match cache::rehash(&path, &a.sha256, a.size) {
        Ok(Rehash::Matches { stamped }) => {
            stamped?;
            return Ok(Cached::Ready);
        }
        Ok(Rehash::Differs { sha256, size }) => (sha256, size),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cached::Absent),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    std::fs::remove_file(&path)
        .with_context(|| format!("cannot remove corrupt {}", path.display()))?;
    Ok(Cached::Removed(format!(
        "{} had {len} bytes with sha256 {sha} instead of the locked bytes: removed",
        path.display()
    )))
}

/// Takes the artifact from the Maven-layout folder `repo` if a file there has the locked size and
/// sha256. `Ok(Ok(origin))` names the file used; `Ok(Err(reason))` says why it was not usable.
pub(super) fn take_from_local_repo(
    a: &LockedArtifact,
    cache: &Cache,
    repo: &Path,
) -> anyhow::Result<Result<String, String>> {
    let src = crate::paths::join_repo_path(repo, &a.coord.repo_path());
    take_file(
        a,
        cache,
        &src,
        &format!("local repository {}", repo.display()),
    )
}

/// Removes temp files of `path` left by killed runs. Safe under the artifact's lock: a live
/// writer of this artifact would hold it.
fn remove_stale_parts(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".part") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Verifies `src` against the lock and moves a link or copy of it into the cache.
pub(super) fn take_file(
    a: &LockedArtifact,
    cache: &Cache,
    src: &Path,
    where_: &str,
) -> anyhow::Result<Result<String, String>> {
    let meta = match std::fs::metadata(src) {
        Ok(meta) if meta.is_file() => meta,
        Ok(_) | Err(_) => return Ok(Err(format!("not in {where_}"))),
    };
    if meta.len() != a.size {
        return Ok(Err(format!(
            "{} has {} bytes, the lock says {}: not used",
            src.display(),
            meta.len(),
            a.size
        )));
    }
    let dest = cache.artifact_path(&a.coord);
    crate::paths::ensure_under(&cache.maven_dir(), &dest)?;
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = crate::paths::temp_path(&dest);
    let sha = match std::fs::hard_link(src, &tmp) {
        Ok(()) => digest::hash_file(&tmp).map(|(sha, _)| sha),
        Err(_) => copy_hashing(src, &tmp),
    };
    let sha = match sha {
        Ok(sha) => sha,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Err(format!("cannot read {}: {e}", src.display())));
        }
    };
    if sha != a.sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Ok(Err(format!(
            "{} has sha256 {sha}, the lock says {}: not used",
            src.display(),
            a.sha256
        )));
    }
    std::fs::rename(&tmp, &dest)
        .with_context(|| format!("cannot move {} into place", dest.display()))?;
    cache::write_stamp(&dest, &sha)?;
    Ok(Ok(src.display().to_string()))
}

/// Copies `src` to a new file `dest` and returns the sha256 of the bytes written.
pub(super) fn copy_hashing(src: &Path, dest: &Path) -> std::io::Result<String> {
    let mut output = File::create(dest)?;
    digest::hash_file_into(src, |chunk| output.write_all(chunk)).map(|(sha, _)| sha)
}
