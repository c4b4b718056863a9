//! `kclrs verify`: re-hash every cached artifact of a lockfile, ignoring verified stamps, and say
//! which are missing or corrupt. Hashing runs on all cores because this is the one command whose
//! whole job is reading every byte. Stamps are refreshed for good files and dropped for bad ones,
//! so the next `download-jars` replaces what this run found broken.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::cache::{self, Cache, Rehash};
use crate::lockfile::{LockedArtifact, Lockfile};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    Ok,
    Missing,
    Corrupt,
}

/// The state of one locked artifact in the cache.
#[derive(Clone, Debug, serde::Serialize)]
pub struct VerifyEntry {
    pub coords: String,
    pub path: PathBuf,
    pub status: VerifyStatus,
    pub expected_sha256: String,
    pub expected_size: u64,
    pub actual_sha256: Option<String>,
    pub actual_size: Option<u64>,
}

/// Hashes every artifact of `lock` in `cache`; entries are in lockfile order.
pub fn verify_cache(lock: &Lockfile, cache: &Cache) -> Vec<VerifyEntry> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<VerifyEntry>>> = Mutex::new(vec![None; lock.artifacts.len()]);
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(lock.artifacts.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(a) = lock.artifacts.get(i) else {
                    break;
                };
                let entry = check(a, cache);
                if let Ok(mut slots) = slots.lock() {
                    slots[i] = Some(entry);
                }
            });
        }
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn check(a: &LockedArtifact, cache: &Cache) -> VerifyEntry {
    let path = cache.artifact_path(&a.coord);
    let mut entry = VerifyEntry {
        coords: a.coord.to_string(),
        path: path.clone(),
        status: VerifyStatus::Missing,
        expected_sha256: a.sha256.clone(),
        expected_size: a.size,
        actual_sha256: None,
        actual_size: None,
    };
    let (status, sha, len) = match cache::rehash(&path, &a.sha256, a.size) {
        // A stamp that cannot be written only costs the next run a re-hash.
        Ok(Rehash::Matches { stamped: _ }) => (VerifyStatus::Ok, a.sha256.clone(), a.size),
        Ok(Rehash::Differs { sha256, size }) => (VerifyStatus::Corrupt, sha256, size),
        Err(_) => {
            cache::remove_stamp(&path);
            return entry;
        }
    };
    entry.status = status;
    entry.actual_sha256 = Some(sha);
    entry.actual_size = Some(len);
    entry
}
