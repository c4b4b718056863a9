//! The fetch operation: getting every artifact of a lockfile into the kclrs cache, byte-for-byte
//! as locked, over the sources of [`crate::transport`] (see ARCHITECTURE.md for the layers).
//!
//! Sources are tried in the documented order: the cache itself (trusted through its verified
//! stamps, so a warm run hashes nothing), the local Maven repository (any file there is hashed
//! before use), the configured remote repositories (parallel, streamed, retried, size-capped and
//! hashed before an atomic rename), and finally one `mvn` run for whatever is still missing when
//! no remote is configured. Every file reaches its final cache path only after its sha256 matched
//! the lock, under a per-artifact lock shared with other kclrs processes, so nothing a later run
//! trusts can be partial or wrong. `download-jars` and `run` both call [`ensure_jars`].

mod dest;
mod download;
mod local;
mod verify;

use std::path::{Path, PathBuf};

use crate::cache::{self, Cache};
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::{LockedArtifact, Lockfile};
use crate::maven::Coord;
use crate::transport::local::MvnFetch;
use crate::transport::redact_url;
use crate::transport::settings::Remote;
use crate::transport::FetchOptions;
use crate::ui;

pub use dest::{dest_names, materialize, DestReport};
pub use verify::{verify_cache, VerifyEntry, VerifyStatus};

/// Where the bytes of one artifact came from in this run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Already in the kclrs cache.
    Cache,
    /// Linked or copied from the local Maven repository.
    LocalRepo,
    /// Downloaded from a remote repository (http, https or file URL).
    Remote,
    /// Fetched by `mvn` into the local repository, then taken from there.
    Mvn,
}

/// One artifact ready in the cache.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fetched {
    #[serde(serialize_with = "serialize_display")]
    pub coords: Coord,
    /// Its verified file in the cache.
    pub path: PathBuf,
    pub source: Source,
    /// Repository id and redacted URL, or local repository file, the bytes came from.
    pub origin: Option<String>,
    pub bytes: u64,
    pub sha256: String,
    /// True when the bytes were already in the kclrs cache before this run.
    pub from_cache: bool,
    /// True when the bytes crossed the network (a remote repository or `mvn`).
    pub downloaded: bool,
}

fn serialize_display<S: serde::Serializer, T: std::fmt::Display>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// What [`ensure_jars`] did, in lockfile order.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Report {
    pub artifacts: Vec<Fetched>,
    /// The first remote asked, as the status line named it (`central (URL, read from …)`).
    #[serde(skip)]
    pub remote: Option<String>,
    /// When `mvn` ran: the local repository it filled and how many bytes it added there.
    #[serde(skip)]
    pub mvn_filled: Option<(PathBuf, u64)>,
}

impl Report {
    /// Bytes that crossed the network.
    pub fn downloaded_bytes(&self) -> u64 {
        self.artifacts
            .iter()
            .filter(|a| a.downloaded)
            .map(|a| a.bytes)
            .sum()
    }

    /// How many artifacts this run downloaded (from a remote or through `mvn`).
    pub fn downloaded_count(&self) -> usize {
        self.artifacts.iter().filter(|a| a.downloaded).count()
    }

    pub fn count(&self, source: Source) -> usize {
        self.artifacts.iter().filter(|a| a.source == source).count()
    }

    /// Cache paths in lockfile (classpath) order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.artifacts.iter().map(|a| a.path.clone()).collect()
    }
}

/// Result of trying to obtain one artifact from the sources of one phase.
#[derive(Debug)]
enum Outcome {
    Ready(Fetched),
    /// Not available anywhere tried; each entry says where it was looked for and why not.
    Missing(Vec<String>),
}

/// Makes sure every artifact of `lock` is in `cache`, verified, and returns where each came
/// from. Fails with exit code 5, naming each artifact that could not be obtained and why.
pub fn ensure_jars(
    lock: &Lockfile,
    cache: &Cache,
    options: &FetchOptions,
    env: &Env,
) -> anyhow::Result<Report> {
    ensure_jars_with(
        lock,
        cache,
        options,
        env,
        crate::transport::mvn::fetch_missing,
    )
}

fn ensure_jars_with(
    lock: &Lockfile,
    cache: &Cache,
    options: &FetchOptions,
    env: &Env,
    mvn_fetch: MvnFetch,
) -> anyhow::Result<Report> {
    let mut slots: Vec<Option<Fetched>> = lock
        .artifacts
        .iter()
        .map(|a| {
            let path = cache.artifact_path(&a.coord);
            cache::stamp_is_fresh(&path, &a.sha256, a.size)
                .then(|| fetched(a, path, Source::Cache, None))
        })
        .collect();
    let pending: Vec<usize> = (0..slots.len()).filter(|&i| slots[i].is_none()).collect();
    if pending.is_empty() {
        return Ok(Report {
            artifacts: slots.into_iter().flatten().collect(),
            ..Report::default()
        });
    }
    // Before any copy, download or `mvn` run: an unwritable cache is a usage error, now.
    cache.ensure_writable()?;
    cache.prune_stale_locks();

    let wanted: Vec<&LockedArtifact> = pending.iter().map(|&i| &lock.artifacts[i]).collect();
    // Every writer below (downloads, the mvn fallback) targets these paths.
    for a in &wanted {
        crate::paths::ensure_under(&cache.maven_dir(), &cache.artifact_path(&a.coord))?;
    }
    let remote = (!options.offline)
        .then(|| remote_label(&options.remotes))
        .flatten();
    // Say where the files will come from: those the local Maven repository has are taken from
    // it, only the rest from the remote.
    let local_count = options.local_repo.as_ref().map_or(0, |repo| {
        wanted.iter().filter(|a| local::in_repo(a, repo)).count()
    });
    let mut from = Vec::new();
    if local_count > 0 {
        if let Some(repo) = &options.local_repo {
            from.push(format!(
                "taking {} from the local Maven repository {}",
                artifacts(local_count),
                repo.display()
            ));
        }
    }
    if let Some(label) = remote.as_ref().filter(|_| local_count < wanted.len()) {
        from.push(format!(
            "fetching {} from {label}",
            artifacts(wanted.len() - local_count)
        ));
    }
    if !from.is_empty() {
        // The progress bars (on a terminal) follow below this line.
        crate::progress::StatusLine::start(options.status, false, format!("{}…", from.join(", ")))
            .done();
    }
    let outcomes = download::fetch_all(&wanted, cache, options, env)?;
    let mut missing: Vec<(usize, Vec<String>)> = Vec::new();
    for (&i, outcome) in pending.iter().zip(outcomes) {
        match outcome {
            Outcome::Ready(f) => slots[i] = Some(f),
            Outcome::Missing(why) => missing.push((i, why)),
        }
    }

    // A lock/hash disagreement is not a missing file: no other source is asked for it.
    let (disagree, rest): (Vec<_>, Vec<_>) = missing
        .into_iter()
        .partition(|(_, why)| why.iter().any(|w| w.starts_with(local::DISAGREEMENT)));
    missing = rest;
    let mut mvn_state = MvnState::NotAsked;
    let mut mvn_filled = None;
    // `mvn` is the last resort when nothing is configured, also after the `central` read from
    // Maven's super POM could not serve everything (Maven may know more, e.g. from its settings).
    if !missing.is_empty() && options.remotes.iter().all(|r| r.from_super_pom) {
        if let Some(mvn) = &options.mvn {
            let coords: Vec<Coord> = missing
                .iter()
                .map(|(i, _)| lock.artifacts[*i].coord.clone())
                .collect();
            let why = if options.remotes.is_empty() {
                "no repository configured".to_string()
            } else {
                format!(
                    "{} could not serve them",
                    remote.as_deref().unwrap_or("the remote")
                )
            };
            // Without `mvn` on PATH the attempt fails at once, and the error says so.
            let status = crate::progress::StatusLine::start(
                options.status && crate::transport::mvn::find_mvn(env).is_some(),
                options.progress,
                format!("fetching {} with mvn ({why})…", artifacts(coords.len())),
            );
            let before = dir_size(&mvn.local_repo);
            let asked = mvn_fetch(env, &coords, mvn.settings_file.as_deref(), &mvn.local_repo);
            status.done();
            let added = dir_size(&mvn.local_repo).saturating_sub(before);
            if added > 0 {
                // ~/.m2 belongs to the user: say what kclrs had Maven put there.
                ui::note(
                    !options.status,
                    &format!(
                        "mvn filled {} ({})",
                        mvn.local_repo.display(),
                        human_bytes(added)
                    ),
                );
                mvn_filled = Some((mvn.local_repo.clone(), added));
            }
            mvn_state = match &asked {
                Ok(()) => MvnState::Ran,
                Err(_) if crate::transport::mvn::find_mvn(env).is_none() => MvnState::NotFound,
                Err(_) => MvnState::Failed,
            };
            let failure = asked
                .err()
                .map(|e| format!("mvn: {}", crate::error::one_line(&e)));
            let mut still = Vec::new();
            for (i, mut why) in missing {
                let a = &lock.artifacts[i];
                // Locked only when Maven left a file to take: no lock file for work not there.
                let found = if local::in_repo(a, &mvn.local_repo) {
                    let _lock = cache.lock_artifact(&a.coord, &a.sha256)?;
                    local::take_from_local_repo(a, cache, &mvn.local_repo)?
                } else {
                    Err(local::not_in_repo(&mvn.local_repo))
                };
                match found {
                    Ok(origin) => {
                        let path = cache.artifact_path(&a.coord);
                        slots[i] = Some(fetched(a, path, Source::Mvn, Some(origin)));
                    }
                    Err(reason) => {
                        why.push(failure.clone().unwrap_or(reason));
                        still.push((i, why));
                    }
                }
            }
            missing = still;
        }
    }

    missing.extend(disagree);
    missing.sort_by_key(|(i, _)| *i);
    if missing.is_empty() {
        return Ok(Report {
            artifacts: slots.into_iter().flatten().collect(),
            remote,
            mvn_filled,
        });
    }
    let list = missing
        .iter()
        .map(|(i, why)| MissingArtifact {
            coords: lock.artifacts[*i].coord.to_string(),
            reasons: why.clone(),
        })
        .collect();
    Err(missing_error(lock, list, options, &mvn_state))
}

/// The first remote for messages: `id (URL)`, noting where a URL nobody configured came from,
/// and how many more remotes follow. `None` without remotes.
fn remote_label(remotes: &[Remote]) -> Option<String> {
    let first = remotes.first()?;
    let from = if first.from_super_pom {
        ", read from Maven's super POM"
    } else {
        ""
    };
    let more = match remotes.len() {
        1 => String::new(),
        2 => " and 1 more repository".to_string(),
        n => format!(" and {} more repositories", n - 1),
    };
    Some(format!(
        "{} ({}{from}){more}",
        first.id,
        redact_url(&first.url)
    ))
}

/// `1 artifact`, `130 artifacts`.
fn artifacts(n: usize) -> String {
    if n == 1 {
        "1 artifact".to_string()
    } else {
        format!("{n} artifacts")
    }
}

/// Bytes of regular files under `dir` (0 if it does not exist); symlinks are not followed.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum()
}

/// `12.3 MiB`, for a person.
pub fn human_bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    if n >= 1 << 20 {
        format!("{:.1} MiB", f / f64::from(1 << 20))
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", f / f64::from(1 << 10))
    } else {
        format!("{n} B")
    }
}

fn fetched(a: &LockedArtifact, path: PathBuf, source: Source, origin: Option<String>) -> Fetched {
    Fetched {
        coords: a.coord.clone(),
        path,
        source,
        origin,
        bytes: a.size,
        sha256: a.sha256.clone(),
        from_cache: source == Source::Cache,
        downloaded: matches!(source, Source::Remote | Source::Mvn),
    }
}

/// Whether the `mvn` fallback ran, and how it ended; decides the hint of a missing-artifact error.
#[derive(Debug)]
enum MvnState {
    /// Not asked: a remote is configured, `--offline`, `--no-mvn`, or nothing was missing.
    NotAsked,
    NotFound,
    /// `mvn` ran and failed (its error block is among the reasons).
    Failed,
    Ran,
}

/// How many artifacts of one group of reasons an error lists; `download-jars --json` lists all.
const SHOWN_PER_GROUP: usize = 5;
/// How many groups of distinct reasons an error shows.
const GROUPS_SHOWN: usize = 4;

/// One artifact that could not be obtained, and why each source failed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MissingArtifact {
    pub coords: String,
    pub reasons: Vec<String>,
}

/// Every artifact that could not be obtained. Its text (the `error:` line) groups artifacts
/// that failed for the same reasons, so one cause shared by 131 jars is printed once; the list
/// itself is complete for `download-jars --json`.
#[derive(Debug, serde::Serialize)]
pub struct MissingArtifacts {
    pub error: String,
    pub lockfile: String,
    pub total: usize,
    pub missing: Vec<MissingArtifact>,
}

impl std::fmt::Display for MissingArtifacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.error)
    }
}

impl std::error::Error for MissingArtifacts {}

/// `could not obtain N of the M artifacts in L`, then per group of identical reasons: the first
/// artifacts (and how many more), then the reasons once.
fn missing_text(lockfile: &str, total: usize, missing: &[MissingArtifact]) -> String {
    let mut groups: Vec<(&[String], Vec<&str>)> = Vec::new();
    for m in missing {
        match groups
            .iter_mut()
            .find(|(why, _)| *why == m.reasons.as_slice())
        {
            Some((_, coords)) => coords.push(&m.coords),
            None => groups.push((&m.reasons, vec![&m.coords])),
        }
    }
    let mut msg = format!(
        "could not obtain {} of the {total} artifacts in {lockfile}",
        missing.len()
    );
    let single = groups.len() == 1;
    for (why, coords) in groups.iter().take(GROUPS_SHOWN) {
        for c in coords.iter().take(SHOWN_PER_GROUP) {
            msg.push_str(&format!("\n  {c}"));
        }
        if coords.len() > SHOWN_PER_GROUP {
            msg.push_str(&format!(
                "\n  … and {} more (`download-jars --json` lists them all)",
                coords.len() - SHOWN_PER_GROUP
            ));
        }
        msg.push_str(&match (single, coords.len()) {
            (true, 1) => "\n  because:".to_string(),
            (true, n) => format!("\n  for all {n}:"),
            (false, 1) => "\n  for this one:".to_string(),
            (false, n) => format!("\n  for these {n}:"),
        });
        for w in *why {
            // Maven's error block spans lines: keep it under its bullet.
            msg.push_str(&format!("\n    - {}", w.replace('\n', "\n      ")));
        }
    }
    if groups.len() > GROUPS_SHOWN {
        let rest: usize = groups[GROUPS_SHOWN..].iter().map(|(_, c)| c.len()).sum();
        msg.push_str(&format!(
            "\n  … and {rest} more artifacts for other reasons (`download-jars --json` lists them all)"
        ));
    }
    msg
}

fn missing_error(
    lock: &Lockfile,
    missing: Vec<MissingArtifact>,
    options: &FetchOptions,
    mvn: &MvnState,
) -> anyhow::Error {
    let lockfile = lock.origin.to_string();
    let error = missing_text(&lockfile, lock.artifacts.len(), &missing);
    const EXAMPLE: &str = "`--repository https://your-mirror/maven2/` or \
         `KCLRS_REPOSITORY=https://your-mirror/maven2/` (also KCL_MVN_REPO_SEARCH_URL=URL, or a \
         mirror of `central` in ~/.m2/settings.xml)";
    let disagree = missing
        .iter()
        .all(|m| m.reasons.iter().any(|w| w.starts_with(local::DISAGREEMENT)));
    let hint = if disagree {
        "the lockfile's sha256 differs from bytes kclrs verified before: check the lockfile \
         (`kclrs lock` writes a fresh one); if it is right and the cached file is not, delete \
         the cached file and run again"
            .to_string()
    } else if options.offline {
        "run again without --offline (and without <offline>true</offline> in settings.xml), or put the files in the local Maven repository".to_string()
    } else if !options.remotes.iter().all(|r| r.from_super_pom) {
        format!(
            "{}, or pass another repository with --repository",
            crate::transport::CHECK_REMOTES_HINT
        )
    } else {
        match mvn {
            MvnState::Failed => format!(
                "Maven could not fetch them: check its own repository configuration (mirrors, \
                 servers, proxies in settings.xml), or name a repository for kclrs: {EXAMPLE}; \
                 --no-mvn skips Maven"
            ),
            MvnState::NotFound => format!(
                "no repository is configured and `mvn` is not on PATH: name a repository that \
                 serves them, e.g. {EXAMPLE}; or install Maven, which kclrs asks when nothing is \
                 configured"
            ),
            MvnState::NotAsked | MvnState::Ran => {
                format!("no repository is configured: name one that serves them, e.g. {EXAMPLE}")
            }
        }
    };
    let user = UserError::new(Exit::Fetch, error.clone()).hint(hint);
    // The typed list rides on top so `download-jars --json` can print it whole; both carry the same
    // text, which `error::render` prints once.
    anyhow::Error::new(user).context(MissingArtifacts {
        error,
        lockfile,
        total: lock.artifacts.len(),
        missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::Origin;
    use crate::transport::MvnFallback;
    use sha2::Digest;
    use std::path::Path;
    use std::sync::Mutex;

    /// Calls of the fake `mvn`: the coordinates it was asked for.
    static MVN_CALLS: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());

    /// A fake `mvn` that "downloads" into the local repository: right bytes for `a:good`,
    /// wrong bytes for `a:bad`, nothing for anything else.
    fn fake_mvn(_: &Env, coords: &[Coord], _: Option<&Path>, repo: &Path) -> anyhow::Result<()> {
        MVN_CALLS
            .lock()
            .unwrap()
            .push(coords.iter().map(ToString::to_string).collect());
        for c in coords {
            let bytes: &[u8] = match c.artifact.as_str() {
                "good" => b"good bytes",
                "bad" => b"evil bytes",
                _ => continue,
            };
            let path = repo.join(c.repo_path());
            std::fs::create_dir_all(path.parent().unwrap())?;
            std::fs::write(path, bytes)?;
        }
        Ok(())
    }

    fn locked(coords: &str, bytes: &[u8]) -> LockedArtifact {
        LockedArtifact {
            coord: coords.parse().unwrap(),
            sha256: hex::encode(sha2::Sha256::digest(bytes)),
            size: bytes.len() as u64,
            min_java: None,
        }
    }

    #[test]
    fn mvn_is_asked_once_for_exactly_the_missing_artifacts_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let repo = dir.path().join("m2");
        let cached = locked("a:cached:1", b"cached bytes");
        let cached_path = cache.artifact_path(&cached.coord);
        cache::write_atomic(&cached_path, b"cached bytes").unwrap();
        let lock = Lockfile {
            roots: Vec::new(),
            min_java: None,
            input_hash: None,
            excludes: Vec::new(),
            artifacts: vec![
                cached,
                locked("a:good:1", b"good bytes"),
                locked("a:bad:1", b"good bytes"),
            ],
            origin: Origin::Embedded,
        };
        let options = FetchOptions {
            local_repo: Some(repo.clone()),
            mvn: Some(MvnFallback {
                settings_file: None,
                local_repo: repo,
            }),
            offline: false,
            ..FetchOptions::cache_only()
        };
        let env = Env::fake(crate::env::Os::Linux, None, dir.path().into());
        let err = ensure_jars_with(&lock, &cache, &options, &env, fake_mvn).unwrap_err();
        assert_eq!(*MVN_CALLS.lock().unwrap(), [["a:good:1", "a:bad:1"]]);
        let text = crate::error::render(&err);
        assert!(text.contains("could not obtain 1 of the 3"), "{text}");
        assert!(
            text.contains("a:bad:1") && text.contains("not used"),
            "{text}"
        );
        assert_eq!(crate::error::classify(&err).0, Exit::Fetch);
        assert!(!cache.artifact_path(&lock.artifacts[2].coord).exists());
        assert_eq!(
            std::fs::read(cache.artifact_path(&lock.artifacts[1].coord)).unwrap(),
            b"good bytes"
        );
    }
}
