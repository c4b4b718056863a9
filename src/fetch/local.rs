//! Blocking file work of the fetch: re-checking a cached file under its lock, and taking a file
//! from a folder in Maven layout (the local repository, or a `file://` remote) into the cache.
//! Files are always copied, never hard-linked: the local repository belongs to Maven and the user,
//! and a shared inode would let a change there (a corrupted or replaced jar) alter a file the
//! cache has verified, which no later run could notice or heal. The copy is hashed as it is
//! written, at its temp name before the rename, so the bytes checked are the bytes kept.

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
    /// The cache holds other bytes that kclrs verified when it wrote them (their stamp is fresh):
    /// the lock and an earlier verified download disagree. The file is kept, since another lock
    /// (the built-in one, say) may need exactly it, and nothing replaces it in this run.
    Disagrees(String),
}

/// Marks a reason as a lock/hash disagreement, which [`super::missing_error`] hints at.
pub(super) const DISAGREEMENT: &str = "lock/hash disagreement";

/// Re-checks the cache under the artifact's lock, hashing a file that has no fresh stamp.
pub(super) fn check_cache(a: &LockedArtifact, cache: &Cache) -> anyhow::Result<Cached> {
    let path = cache.artifact_path(&a.coord);
    if cache::stamp_is_fresh(&path, &a.sha256, a.size) {
        return Ok(Cached::Ready);
    }
    if let Some((sha, len)) = cache::verified_sha256(&path) {
        return Ok(Cached::Disagrees(disagreement(a, &path, &sha, len)));
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

/// Why a verified cached file is kept although the lock wants other bytes.
pub(super) fn disagreement(a: &LockedArtifact, path: &Path, sha: &str, len: u64) -> String {
    format!(
        "{DISAGREEMENT}: the lock says sha256 {} ({} bytes), but {} holds sha256 {sha} ({len} \
         bytes), verified when kclrs downloaded it: kept, not replaced",
        a.sha256,
        a.size,
        path.display()
    )
}

/// Takes the artifact from the Maven-layout folder `repo` if a file there has the locked size and
/// sha256. `Ok(Ok(origin))` names the file used; `Ok(Err(reason))` says why it was not usable.
pub(super) fn take_from_local_repo(
    a: &LockedArtifact,
    cache: &Cache,
    repo: &Path,
) -> anyhow::Result<Result<String, String>> {
    let src = crate::paths::join_repo_path(repo, &a.coord.repo_path());
    let taken = take_file(a, cache, &src, &repo_place(repo))?;
    // A wrong file there stays wrong: Maven trusts its copy and never fetches it again.
    Ok(taken.map_err(|why| {
        if src.is_file() {
            format!("{why}; if the lock is right, delete that file (Maven never re-fetches a file it has)")
        } else {
            why
        }
    }))
}

/// How messages name the local repository `repo`.
fn repo_place(repo: &Path) -> String {
    format!("local repository {}", repo.display())
}

/// True when the Maven-layout folder `repo` has an entry at the artifact's path (work to do).
pub(super) fn in_repo(a: &LockedArtifact, repo: &Path) -> bool {
    let src = crate::paths::join_repo_path(repo, &a.coord.repo_path());
    std::fs::symlink_metadata(src).is_ok()
}

/// The reason [`take_from_local_repo`] gives when the file is not there, for callers that
/// checked with [`in_repo`] and skipped it.
pub(super) fn not_in_repo(repo: &Path) -> String {
    format!("not in {}", repo_place(repo))
}

/// Removes temp files of `path` left by killed runs. Safe under the artifact's lock: a live
/// writer of this artifact would hold it.
fn remove_stale_parts(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let name = name.to_string_lossy();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        if crate::paths::is_temp_of(&file.to_string_lossy(), &name) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Verifies `src` against the lock and moves a copy of it into the cache.
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
    crate::paths::create_dirs(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (tmp, output) = crate::paths::create_temp(&dest)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let sha = match copy_hashing(src, output) {
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

/// Copies `src` into `output` (a new temp file) and returns the sha256 of the bytes written.
pub(super) fn copy_hashing(src: &Path, mut output: File) -> std::io::Result<String> {
    digest::hash_file_into(src, |chunk| output.write_all(chunk)).map(|(sha, _)| sha)
}
