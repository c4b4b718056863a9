//! The remote repositories as a [`RepoSource`] for the resolver: POMs, `maven-metadata.xml`,
//! checksum files and jars whose hash is not known yet, fetched over the very transport that
//! downloads locked jars ([`super::http`]: one keep-alive client, retries with backoff and
//! `Retry-After`, the redirect rules, credential redaction), a whole batch at a time with up to
//! `jobs` requests in flight, so resolving costs one round trip per level of the graph.
//!
//! Each file is tried on the remotes in order and a 404 moves on to the next one. A file no remote
//! has is left out of the answer ("not found"), but when a remote failed in another way (5xx after
//! the retries, 403, a connection that kept breaking) the batch fails with exit code 5 naming the
//! URL: taking such a file as absent could silently change the resolution. Metadata documents are
//! gathered from every remote, as Maven merges version lists. Bodies land in a temp file in a
//! scratch folder the caller names (the kclrs cache's Maven folder) and are read back; what is
//! kept is the caller's choice (POMs by the lock's POM cache, jars once their checksums were
//! compared).
//!
//! Lock pipelining: [`RepoSource::prefetch`] starts files in the background (a jar whose version
//! is final, with its checksum files) on the same runtime, and a later `fetch_many` for them
//! takes over their answers instead of asking again; [`RepoSource::fetch_groups`] does the same
//! for jars with their checksum files, handing each group over as soon as it is complete, so the
//! caller hashes one jar while the next are still on the wire. Every request, background or not,
//! takes a slot of one [`Pool`] of `jobs` slots, where POMs and metadata (the resolution's
//! critical path) and jars (the bytes) each keep a share, and go over connections of their own
//! ([`Endpoint::bulk_client`]): over HTTP/2, where one connection carries every request, a POM
//! would otherwise wait behind the jar bytes queued before it. A POM and its `.sha1` are asked at
//! the same time, so a level costs one round trip, not two.
//!
//! Checksum kinds: `.sha1` is always asked. Whether a remote publishes `.sha256` and `.sha512`
//! beside its jars is learned from the first jar that settles it (the kind answered, or a 404
//! for it beside a `.sha1` the remote does serve); after that a remote that does not publish a
//! kind is no longer asked for it, so a run costs one request per file plus one per checksum.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use futures_util::StreamExt;

use super::http::{self, Endpoint, Got};
use super::local::LocalRepo;
use super::pool::{Class, Pool};
use super::url::{redact_url, repo_url};
use super::{FetchOptions, HttpOptions};
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::maven::source::{
    fetch_groups_at_once, stated_checksum, FetchedFile, GroupSink, RepoFile, RepoSource,
};
use crate::progress::Progress;

/// The configured remotes (http, https and file URLs), in order.
#[derive(Debug)]
pub struct RemoteRepos {
    /// Started only when there is a remote to talk to.
    runtime: Option<tokio::runtime::Runtime>,
    shared: Arc<Shared>,
    progress: bool,
    env: Env,
    /// Files started by [`RepoSource::prefetch`], until a `fetch_many` takes their answer.
    ahead: Mutex<HashMap<RepoFile, tokio::task::JoinHandle<Answer>>>,
    /// The (hidden) progress of background fetches: they outlive any one `fetch_many`'s bar.
    ahead_progress: Arc<Progress>,
}

/// What one file came to: its documents, or why the remotes that failed did (see [`one_file`]).
type Answer = anyhow::Result<Result<Vec<FetchedFile>, Vec<String>>>;

/// The optional checksum kinds, learned per remote; `.sha1` is always asked.
const OPTIONAL_SUMS: [&str; 2] = ["sha256", "sha512"];

#[derive(Debug)]
struct Shared {
    endpoints: Vec<Endpoint>,
    http: HttpOptions,
    /// Where bodies are received: the kclrs cache's Maven folder, next to where they may be kept.
    scratch: PathBuf,
    /// The bound on requests in flight, shared by resolving and background jar fetches.
    pool: Pool,
    /// Per endpoint and [`OPTIONAL_SUMS`] kind: whether the remote publishes it beside its jars.
    sums: Vec<[tokio::sync::OnceCell<bool>; 2]>,
}

impl RemoteRepos {
    /// The remotes of `options` (none when offline), receiving bodies into `scratch`.
    pub fn new(options: &FetchOptions, scratch: PathBuf, env: &Env) -> anyhow::Result<RemoteRepos> {
        let endpoints = if options.offline {
            Vec::new()
        } else {
            http::endpoints(&options.remotes, &options.http)?
        };
        Ok(RemoteRepos {
            runtime: if endpoints.is_empty() {
                None
            } else {
                Some(http::runtime()?)
            },
            shared: Arc::new(Shared {
                sums: endpoints.iter().map(|_| Default::default()).collect(),
                endpoints,
                http: options.http.clone(),
                scratch,
                pool: Pool::new(options.jobs),
            }),
            progress: options.progress,
            env: env.clone(),
            ahead: Mutex::default(),
            ahead_progress: Arc::new(Progress::labelled(false, 0, "lock", env)),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.shared.endpoints.is_empty()
    }
}

/// Why one remote did not provide a file: `None` for "not there" (404, 410, no such file).
type Miss = Option<String>;

impl RepoSource for RemoteRepos {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        let Some(runtime) = &self.runtime else {
            return Ok(Vec::new());
        };
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let progress = Arc::new(Progress::labelled(self.progress, 0, "lock", &self.env));
        let tasks: Vec<_> = {
            let mut ahead = self.ahead.lock().unwrap_or_else(|e| e.into_inner());
            files
                .iter()
                .map(|file| (file.clone(), ahead.remove(file)))
                .collect()
        };
        let mut results = runtime.block_on(async {
            futures_util::stream::iter(tasks.into_iter().enumerate().map(|(i, (file, ahead))| {
                let (shared, progress) = (Arc::clone(&self.shared), Arc::clone(&progress));
                async move {
                    let answer = match ahead {
                        Some(started) => taken_over(&file, started.await),
                        None => one_file(&shared, &progress, file).await,
                    };
                    (i, answer)
                }
            }))
            // The pool bounds the requests in flight; every file of the batch waits there.
            .buffer_unordered(files.len())
            .collect::<Vec<_>>()
            .await
        });
        progress.finish();
        results.sort_by_key(|(i, _)| *i);
        let mut out = Vec::new();
        let mut failed = Vec::new();
        for (i, result) in results {
            match result? {
                Ok(got) => out.extend(got),
                Err(why) => failed.push(failure_line(&files[i], &why)),
            }
        }
        failures(&failed)?;
        Ok(out)
    }

    /// Every file becomes a background task (most already are, started while resolving), so
    /// answers keep arriving while `each` works on the groups that are complete.
    fn fetch_groups(
        &self,
        groups: &[Vec<RepoFile>],
        each: &mut GroupSink<'_>,
    ) -> anyhow::Result<()> {
        let Some(runtime) = &self.runtime else {
            return fetch_groups_at_once(self, groups, each);
        };
        if groups.is_empty() {
            return Ok(());
        }
        self.prefetch(&groups.iter().flatten().cloned().collect::<Vec<_>>());
        let tasks: Vec<Vec<_>> = {
            let mut ahead = self.ahead.lock().unwrap_or_else(|e| e.into_inner());
            groups
                .iter()
                .map(|group| {
                    group
                        .iter()
                        .filter_map(|file| Some((file.clone(), ahead.remove(file)?)))
                        .collect()
                })
                .collect()
        };
        let mut failed = Vec::new();
        runtime.block_on(async {
            let mut done = futures_util::stream::iter(tasks.into_iter().enumerate().map(
                |(i, group)| async move {
                    let answers = futures_util::future::join_all(group.into_iter().map(
                        |(file, started)| async move {
                            let answer = taken_over(&file, started.await);
                            (file, answer)
                        },
                    ))
                    .await;
                    (i, answers)
                },
            ))
            .buffer_unordered(groups.len());
            while let Some((i, answers)) = done.next().await {
                let mut got = Vec::new();
                let before = failed.len();
                for (file, answer) in answers {
                    match answer? {
                        Ok(found) => got.extend(found),
                        Err(why) => failed.push(failure_line(&file, &why)),
                    }
                }
                // A group with a failed file is never handed over: a jar without the answer
                // for its checksum file must not pass as one the remote has no checksum for.
                if failed.len() == before {
                    each(i, got)?;
                }
            }
            anyhow::Ok(())
        })?;
        failures(&failed)
    }

    fn prefetch(&self, files: &[RepoFile]) {
        let Some(runtime) = &self.runtime else {
            return;
        };
        let mut ahead = self.ahead.lock().unwrap_or_else(|e| e.into_inner());
        for file in files {
            if ahead.contains_key(file) {
                continue;
            }
            let (shared, progress) = (Arc::clone(&self.shared), Arc::clone(&self.ahead_progress));
            let task = runtime.spawn({
                let file = file.clone();
                async move { one_file(&shared, &progress, file).await }
            });
            ahead.insert(file.clone(), task);
        }
    }
}

/// The answer of a background fetch taken over by a later call.
fn taken_over(file: &RepoFile, joined: Result<Answer, tokio::task::JoinError>) -> Answer {
    joined.unwrap_or_else(|e| {
        Err(anyhow::anyhow!(
            "the background fetch of {} failed: {e}",
            file.repo_path()
        ))
    })
}

/// One line of [`failures`]: the file and why each remote that failed did.
fn failure_line(file: &RepoFile, why: &[String]) -> String {
    format!("{}\n    - {}", file.repo_path(), why.join("\n    - "))
}

/// The error for files the remotes failed to serve (exit code 5), if there are any.
fn failures(failed: &[String]) -> anyhow::Result<()> {
    if failed.is_empty() {
        return Ok(());
    }
    Err(UserError::new(
        Exit::Fetch,
        format!(
            "could not fetch {} file(s) from the configured repositories:\n  {}",
            failed.len(),
            failed.join("\n  ")
        ),
    )
    .hint(format!("{}, then run again", super::CHECK_REMOTES_HINT))
    .into())
}

/// Which share of the pool a request counts against: what the resolution waits for, or bulk.
fn class_of(file: &RepoFile) -> Class {
    match file {
        RepoFile::Pom(_) | RepoFile::Metadata { .. } => Class::Resolve,
        RepoFile::Checksum { coord, .. } if coord.extension == "pom" => Class::Resolve,
        RepoFile::Artifact(_) | RepoFile::Checksum { .. } => Class::Bulk,
    }
}

/// One file from the remotes in order; `Ok(Err(reasons))` when a remote failed and none had it
/// (or, for metadata, when any remote failed: a partial version list is not an answer).
async fn one_file(shared: &Shared, progress: &Progress, file: RepoFile) -> Answer {
    let repo_path = file.repo_path();
    let every = matches!(file, RepoFile::Metadata { .. });
    let mut got = Vec::new();
    let mut why = Vec::new();
    for (e, endpoint) in shared.endpoints.iter().enumerate() {
        let url = repo_url(&endpoint.remote.url, &repo_path);
        let shown = redact_url(&url);
        let found = match &file {
            RepoFile::Pom(coord) => {
                let sha1 = RepoFile::Checksum {
                    coord: coord.with_extension("pom"),
                    algorithm: "sha1",
                };
                let sum_url = format!("{url}.sha1");
                // Both at once: one round trip per POM; a 404 costs the `.sha1` ask in vain.
                let (found, sums) = tokio::join!(
                    from_endpoint(shared, progress, endpoint, &url, &file),
                    from_endpoint(shared, progress, endpoint, &sum_url, &sha1)
                );
                let (mut found, sums) = (found?, sums?);
                if let Ok(poms) = &found {
                    if let Err(reason) = check_pom(poms, sums) {
                        found = Err(Some(reason));
                    }
                }
                found
            }
            RepoFile::Checksum { coord, algorithm } if coord.extension != "pom" => {
                match OPTIONAL_SUMS.iter().position(|k| k == algorithm) {
                    Some(k) => optional_sum(shared, progress, e, &url, &file, k).await?,
                    None => from_endpoint(shared, progress, endpoint, &url, &file).await?,
                }
            }
            _ => from_endpoint(shared, progress, endpoint, &url, &file).await?,
        };
        match found {
            Ok(found) => got.extend(found),
            Err(miss) => why.extend(miss.map(|m| format!("{shown}: {m}"))),
        }
        if !got.is_empty() && !every {
            break;
        }
    }
    if !why.is_empty() && (got.is_empty() || every) {
        return Ok(Err(why));
    }
    Ok(Ok(got))
}

/// An optional checksum file (`OPTIONAL_SUMS[k]`) beside a jar on endpoint `e`: asked only while
/// the remote is not known to lack that kind. The first ask settles it for the remote: the file
/// itself answers "served", and a 404 answers "not published" when the remote does have the
/// jar's `.sha1` (else the jar may simply live on another remote, and the next jar asks again).
/// Others wait for that answer instead of all asking at once.
async fn optional_sum(
    shared: &Shared,
    progress: &Progress,
    e: usize,
    url: &str,
    file: &RepoFile,
    k: usize,
) -> anyhow::Result<Result<Vec<FetchedFile>, Miss>> {
    let endpoint = &shared.endpoints[e];
    let mut mine = None;
    let slot = &mut mine;
    let settled = shared.sums[e][k]
        .get_or_try_init(move || async move {
            let found = from_endpoint(shared, progress, endpoint, url, file)
                .await
                .map_err(Some)?;
            let verdict = match &found {
                Ok(_) => Some(true),
                Err(None) => {
                    let RepoFile::Checksum { coord, .. } = file else {
                        return Err(None);
                    };
                    let sha1 = RepoFile::Checksum {
                        coord: coord.clone(),
                        algorithm: "sha1",
                    };
                    let sha1_url = repo_url(&endpoint.remote.url, &sha1.repo_path());
                    let has_sha1 = from_endpoint(shared, progress, endpoint, &sha1_url, &sha1)
                        .await
                        .map_err(Some)?;
                    has_sha1.is_ok().then_some(false)
                }
                Err(Some(_)) => None,
            };
            *slot = Some(found);
            verdict.ok_or(None)
        })
        .await;
    match (settled, mine) {
        (Err(Some(error)), _) => Err(error),
        (_, Some(found)) => Ok(found),
        (Ok(true), None) => from_endpoint(shared, progress, endpoint, url, file).await,
        (Ok(false) | Err(None), None) => Ok(Err(None)),
    }
}

/// One file from one remote (a folder or a server).
async fn from_endpoint(
    shared: &Shared,
    progress: &Progress,
    endpoint: &Endpoint,
    url: &str,
    file: &RepoFile,
) -> anyhow::Result<Result<Vec<FetchedFile>, Miss>> {
    let Some(client) = &endpoint.client else {
        return from_folder(endpoint, file).await;
    };
    let client = match class_of(file) {
        Class::Resolve => client,
        Class::Bulk => endpoint.bulk_client(&shared.http).await?.unwrap_or(client),
    };
    Ok(get(shared, progress, endpoint, client, url, file)
        .await?
        .map(|bytes| {
            vec![FetchedFile {
                file: file.clone(),
                location: redact_url(url),
                bytes,
            }]
        }))
}

/// A POM is checked against the `.sha1` its remote serves beside it, as jars are; without one
/// (404) it is taken as is. Any other answer for the `.sha1` refuses the POM: resolving from
/// bytes the server itself disowns could silently change the closure.
fn check_pom(poms: &[FetchedFile], sums: Result<Vec<FetchedFile>, Miss>) -> Result<(), String> {
    let sum = match sums {
        Ok(sums) => match sums.into_iter().next() {
            Some(sum) => sum,
            None => return Ok(()),
        },
        Err(None) => return Ok(()),
        Err(Some(why)) => return Err(format!("cannot fetch the POM's .sha1: {why}")),
    };
    let Some(pom) = poms.first() else {
        return Ok(());
    };
    let actual = hex::encode(<sha1::Sha1 as sha1::Digest>::digest(&pom.bytes));
    match stated_checksum(&sum.bytes, "sha1") {
        Ok(expected) if expected == actual => Ok(()),
        Ok(expected) => Err(format!(
            "checksum mismatch: {} says sha1 {expected}, the POM hashes to {actual}; not used",
            sum.location
        )),
        Err(what) => Err(format!("{} is {what}; the POM is not used", sum.location)),
    }
}

/// A `file:` remote is a folder in Maven layout, read like the local repository (so a copy of a
/// local repository works too, with its `maven-metadata-<id>.xml` files).
async fn from_folder(
    endpoint: &Endpoint,
    file: &RepoFile,
) -> anyhow::Result<Result<Vec<FetchedFile>, Miss>> {
    let Some(base) = endpoint.folder.clone() else {
        return Ok(Err(Some("not a usable file URL".into())));
    };
    let file = file.clone();
    let found = http::blocking(move || LocalRepo::new(base).fetch_many(&[file])).await?;
    Ok(if found.is_empty() {
        Err(None)
    } else {
        Ok(found)
    })
}

/// GETs one URL into a temp file (with the transport's retries, at most the file's size cap) and
/// reads it back.
async fn get(
    shared: &Shared,
    progress: &Progress,
    endpoint: &Endpoint,
    client: &reqwest::Client,
    url: &str,
    file: &RepoFile,
) -> anyhow::Result<Result<Vec<u8>, Miss>> {
    let repo_path = file.repo_path();
    let repo_path = repo_path.as_str();
    let dest = crate::paths::join_repo_path(&shared.scratch, repo_path);
    crate::paths::ensure_under(&shared.scratch, &dest)?;
    let name = repo_path.rsplit('/').next().unwrap_or(repo_path);
    http::warn_plain_http_credentials(endpoint, progress);
    let _slot = shared
        .pool
        .slot(class_of(file), endpoint.multiplexed())
        .await;
    let bar = progress.file(name, 0);
    let (part, got) = http::get_to_temp(
        &shared.http,
        client,
        endpoint,
        url,
        None,
        file.max_size(),
        &dest,
        &bar,
    )
    .await?;
    drop(bar);
    let answer = match got {
        Got::Done(_) => std::fs::read(&part)
            .map(Ok)
            .with_context(|| format!("cannot read {}", part.display())),
        Got::NotFound(_) => Ok(Err(None)),
        Got::Failed(reason) | Got::Unreachable(reason) => Ok(Err(Some(reason))),
    };
    let _ = std::fs::remove_file(&part);
    answer
}
