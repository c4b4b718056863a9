//! The async half of the fetch: for each artifact not already verified in the cache, take its
//! lock, re-check the cache, try the local repository, then each remote in order; up to `jobs`
//! artifacts at a time on one tokio runtime, over the transport of [`crate::transport::http`].
//!
//! A download streams into a temp file next to its final path while hashing; the body is cut off
//! one byte past the locked size; the file is renamed into place only when size and sha256 match.
//! A 404 moves on to the next repository; a checksum mismatch is reported and never retried from
//! the same URL.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;

use super::local::{self, Cached};
use super::{fetched, FetchOptions, Outcome, Source};
use crate::cache::{self, Cache};
use crate::env::Env;
use crate::error::{one_line, Exit, UserError};
use crate::lockfile::LockedArtifact;
use crate::progress::Progress;
use crate::transport::http::{self, Endpoint, Got};
use crate::transport::url::{redact_url, repo_url};

/// Shared, read-only state of one fetch.
#[derive(Debug)]
struct Job {
    cache: Cache,
    options: FetchOptions,
    endpoints: Vec<Endpoint>,
    progress: Progress,
}

/// Fetches `wanted` (in that order in the result); `Missing` lists why each source failed.
pub(super) fn fetch_all(
    wanted: &[&LockedArtifact],
    cache: &Cache,
    options: &FetchOptions,
    env: &Env,
) -> anyhow::Result<Vec<Outcome>> {
    let runtime = http::runtime()?;
    let endpoints = if options.offline {
        Vec::new()
    } else {
        http::endpoints(&options.remotes, &options.http)?
    };
    let total: u64 = wanted.iter().map(|a| a.size).sum();
    let job = Arc::new(Job {
        cache: cache.clone(),
        options: options.clone(),
        endpoints,
        progress: Progress::new(options.progress, total, env),
    });
    let owned: Vec<LockedArtifact> = wanted.iter().map(|a| (*a).clone()).collect();
    let work = futures_util::stream::iter(owned.into_iter().enumerate().map(|(i, a)| {
        let job = Arc::clone(&job);
        async move { (i, one(&job, a).await) }
    }))
    .buffer_unordered(options.jobs.max(1))
    .collect::<Vec<_>>();
    // Ctrl-C: drop every download (their file lines go with them), clear the overall bar and
    // say so once. Temp files left behind are removed by the next run under each artifact's lock.
    let finished = runtime.block_on(async {
        tokio::select! {
            outcomes = work => Some(outcomes),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    job.progress.finish();
    let Some(mut outcomes) = finished else {
        runtime.shutdown_background();
        return Err(UserError::new(Exit::Interrupted, "interrupted").into());
    };
    outcomes.sort_by_key(|(i, _)| *i);
    Ok(outcomes.into_iter().map(|(_, o)| o).collect())
}

/// Everything for one artifact, under its cross-process lock.
async fn one(job: &Arc<Job>, a: LockedArtifact) -> Outcome {
    match one_inner(job, &a).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Missing(vec![one_line(&e)]),
    }
}

async fn one_inner(job: &Arc<Job>, a: &LockedArtifact) -> anyhow::Result<Outcome> {
    let path = job.cache.artifact_path(&a.coord);
    let local_file = job
        .options
        .local_repo
        .as_ref()
        .is_some_and(|repo| local::in_repo(a, repo));
    let cached_file = std::fs::symlink_metadata(&path).is_ok();
    // With no file to check or take and nowhere to download from, there is nothing to do, and
    // no lock file is made for it (a hostile lock of 100,000 artifacts leaves none behind).
    if !cached_file && !local_file && job.endpoints.is_empty() {
        let mut why: Vec<String> = job
            .options
            .local_repo
            .iter()
            .map(|r| local::not_in_repo(r))
            .collect();
        why.push(no_remote_reason(&job.options));
        return Ok(Outcome::Missing(why));
    }
    let (cache, art) = (job.cache.clone(), a.clone());
    let _lock = http::blocking(move || cache.lock_artifact(&art.coord, &art.sha256)).await?;
    let (cache, art) = (job.cache.clone(), a.clone());
    let mut why = Vec::new();
    match http::blocking(move || local::check_cache(&art, &cache)).await? {
        Cached::Ready => {
            job.progress.add(a.size);
            return Ok(Outcome::Ready(fetched(a, path, Source::Cache, None)));
        }
        Cached::Absent => {}
        Cached::Removed(reason) => {
            job.progress.warn(&format!("{}: {reason}", a.coord));
            why.push(reason);
        } // No other source may overwrite a verified file: the lock is what is suspect.
        Cached::Disagrees(reason) => return Ok(Outcome::Missing(vec![reason])),
    }
    if let Some(repo) = &job.options.local_repo {
        let (cache, art, repo) = (job.cache.clone(), a.clone(), repo.clone());
        match http::blocking(move || local::take_from_local_repo(&art, &cache, &repo)).await? {
            Ok(origin) => {
                job.progress.add(a.size);
                let f = fetched(a, path, Source::LocalRepo, Some(origin));
                return Ok(Outcome::Ready(f));
            }
            Err(reason) => why.push(reason),
        }
    }
    if job.endpoints.is_empty() {
        why.push(no_remote_reason(&job.options));
    }
    for (index, endpoint) in job.endpoints.iter().enumerate() {
        match from_remote(job, index, endpoint, a, &path).await? {
            Ok(origin) => {
                let f = fetched(a, path, Source::Remote, Some(origin));
                return Ok(Outcome::Ready(f));
            }
            Err(reason) => why.push(reason),
        }
    }
    Ok(Outcome::Missing(why))
}

/// Why no remote was tried (there is none to try).
fn no_remote_reason(options: &FetchOptions) -> String {
    if options.offline {
        "offline (--offline or <offline> in settings.xml): no remote repository tried".into()
    } else {
        "no remote repository is configured".into()
    }
}

/// Tries one remote: `Ok(Ok(origin))` when the cache now holds the artifact, `Ok(Err(reason))`
/// when this remote could not provide it.
async fn from_remote(
    job: &Arc<Job>,
    index: usize,
    endpoint: &Endpoint,
    a: &LockedArtifact,
    path: &Path,
) -> anyhow::Result<Result<String, String>> {
    let remote = &endpoint.remote;
    let url = repo_url(&remote.url, &a.coord.repo_path());
    let origin = format!("{} ({})", remote.id, redact_url(&url));
    let shown = format!("repository {origin}");
    let Some(client) = &endpoint.client else {
        let Some(folder) = &endpoint.folder else {
            return Ok(Err(format!("{shown}: not a usable file URL")));
        };
        let file = crate::paths::join_repo_path(folder, &a.coord.repo_path());
        let (cache, art) = (job.cache.clone(), a.clone());
        let taken =
            http::blocking(move || local::take_file(&art, &cache, &file, "that folder")).await?;
        if taken.is_ok() {
            job.progress.add(a.size);
        }
        return Ok(taken.map(|_| origin).map_err(|e| format!("{shown}: {e}")));
    };
    if let Some(down) = endpoint.unreachable.get() {
        return Ok(Err(down.clone()));
    }
    http::warn_plain_http_credentials(endpoint, &job.progress);
    let bar = job.progress.file(&a.coord.file_name(), a.size);
    let (part, got) = http::get_to_temp(
        &job.options.http,
        client,
        endpoint,
        &url,
        Some(a.size),
        a.size,
        path,
        &bar,
    )
    .await?;
    drop(bar);
    let answer = match got {
        Got::Done(sha) if sha == a.sha256 => {
            std::fs::rename(&part, path)
                .with_context(|| format!("cannot move {} into place", path.display()))?;
            cache::write_stamp(path, &sha)?;
            return Ok(Ok(origin));
        }
        Got::Done(sha) => {
            let answer = format!(
                "checksum mismatch from {shown}: expected sha256 {}, got {sha}",
                a.sha256
            );
            // Loud even when a later repository has the right bytes: someone serves wrong ones.
            // (Without a next repository the final error reports it.)
            if index + 1 < job.endpoints.len() {
                let msg = format!("{}: {answer}; trying the next repository", a.coord);
                job.progress.warn(&msg);
            }
            answer
        }
        Got::NotFound(status) => format!("{shown}: not found ({status})"),
        Got::Unreachable(reason) => {
            // The first to give up words it for all: the same line for every artifact.
            let base = redact_url(&remote.url);
            let id = &remote.id;
            endpoint
                .unreachable
                .get_or_init(|| format!("repository {id} ({base}) is unreachable: {reason}"))
                .clone()
        }
        Got::Failed(reason) => format!("{shown}: {reason}"),
    };
    let _ = std::fs::remove_file(&part);
    Ok(Err(answer))
}
