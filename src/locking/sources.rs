//! Where one `kclrs lock` reads POMs, metadata, checksums and jars: the same places, in the same
//! order, as `download-jars` — the kclrs cache, the local Maven repository (unless
//! `--no-local-repo`), the remote repositories over the download transport, else `mvn`. What a
//! remote serves (POMs, and jars once cross-checked) is kept in the kclrs cache, so re-resolving
//! works offline.

use std::rc::Rc;

use crate::cache::{self, Cache};
use crate::env::Env;
use crate::maven::model::type_on_classpath;
use crate::maven::resolve::ResolvedArtifact;
use crate::maven::source::{Chain, RepoFile, RepoSource};
use crate::maven::Coord;
use crate::transport::local::{AskMvn, LocalRepo};
use crate::transport::remote::RemoteRepos;
use crate::transport::FetchOptions;
use crate::ui;

use super::{Checked, PomCache};

/// The sources of one `kclrs lock`, in the order download-jars uses: the kclrs cache, the local
/// Maven repository, the remotes, and `mvn` when no remote is configured.
#[derive(Debug)]
pub struct Sources {
    cache: Cache,
    local: Option<Rc<LocalRepo>>,
    /// The remotes (or `mvn`); what they serve is kept in the kclrs cache.
    remote: Rc<Chain>,
    /// What the resolver reads: cached POMs, the local repository, then the remotes.
    pub(super) resolver: Chain,
    /// The local repository's jars are hashed in batches of this many, across the cores.
    jar_batch: usize,
}

/// Builds the sources from the fetch options and the kclrs cache.
/// `lock` keeps what it reads in the cache, so an unwritable cache fails here, before any POM
/// is asked for.
pub fn sources(options: &FetchOptions, cache: Cache, env: &Env) -> anyhow::Result<Sources> {
    cache.ensure_writable()?;
    let local = options
        .local_repo
        .clone()
        .map(|d| Rc::new(LocalRepo::new(d)));
    let mut remote = Chain::default();
    let remotes = RemoteRepos::new(options, cache.maven_dir(), env)?;
    // `mvn` is the last resort when nothing is configured, also behind the `central` read from
    // Maven's super POM.
    let mvn_behind = options.remotes.iter().all(|r| r.from_super_pom);
    if !remotes.is_empty() {
        remote.sources.push(Box::new(remotes));
    }
    if let (true, Some(mvn)) = (mvn_behind, &options.mvn) {
        remote.sources.push(Box::new(AskMvn {
            env: env.clone(),
            settings_file: mvn.settings_file.clone(),
            local: LocalRepo::new(mvn.local_repo.clone()),
            fetch: crate::transport::mvn::fetch_missing,
        }));
    }
    let remote = Rc::new(remote);
    let cached_poms = || LocalRepo::new(cache.maven_dir());
    let mut resolver = Chain::default();
    resolver.sources.push(Box::new(PomCache {
        dir: cached_poms(),
        inner: Chain::default(),
    }));
    if let Some(local) = &local {
        resolver.sources.push(Box::new(Rc::clone(local)));
    }
    resolver.sources.push(Box::new(PomCache {
        dir: cached_poms(),
        inner: Rc::clone(&remote),
    }));
    Ok(Sources {
        cache,
        local,
        remote,
        resolver,
        jar_batch: options.jobs.max(1),
    })
}

impl Sources {
    /// Starts fetching, in the background, the jars (and checksum files) of artifacts whose
    /// version just became final, unless the kclrs cache or the local repository has them:
    /// [`check_jars`] then takes the remotes' answers instead of asking again.
    pub fn start_jars(&self, won: &[ResolvedArtifact]) {
        let remote_only = |c: &&Coord| {
            cache::verified_sha256(&self.cache.artifact_path(c)).is_none()
                && !self
                    .local
                    .as_ref()
                    .is_some_and(|l| l.path_of(&c.repo_path()).is_file())
        };
        let files: Vec<RepoFile> = won
            .iter()
            .filter(|a| type_on_classpath(&a.kind))
            .map(|a| &a.coord)
            .filter(remote_only)
            .flat_map(super::jar_files)
            .collect();
        if !files.is_empty() {
            self.remote.prefetch(&files);
        }
    }
}

/// Fetches, cross-checks and hashes the jars of `coords`, from the kclrs cache, then the local
/// repository, then the remotes (whose jars are kept in the cache); in the order of `coords`.
pub fn check_jars(sources: &Sources, coords: &[Coord], env: &Env) -> anyhow::Result<Vec<Checked>> {
    let mut found: Vec<Option<Checked>> = coords
        .iter()
        .map(|c| super::from_cache(&sources.cache, c, env))
        .collect::<anyhow::Result<_>>()?;
    let missing = |found: &[Option<Checked>]| -> Vec<usize> {
        (0..found.len()).filter(|&i| found[i].is_none()).collect()
    };
    if let Some(local) = &sources.local {
        for part in missing(&found).chunks(sources.jar_batch) {
            let asked: Vec<Coord> = part.iter().map(|&i| coords[i].clone()).collect();
            for (&i, got) in part.iter().zip(super::check_many(&**local, &asked)?) {
                found[i] = got.map(|(checked, _)| checked);
            }
        }
    }
    // The remotes: every jar still missing at once (most were started while resolving), each
    // checked and kept as soon as it is complete, in the order they arrive, so the lock ends
    // right after its last jar's bytes instead of after a batch's slowest one.
    let wanted = missing(&found);
    if !wanted.is_empty() {
        let groups: Vec<Vec<RepoFile>> = wanted
            .iter()
            .map(|&i| super::jar_files(&coords[i]).collect())
            .collect();
        sources.remote.fetch_groups(&groups, &mut |g, files| {
            let i = wanted[g];
            if let Some((checked, bytes)) = super::check_fetched(&coords[i], files)? {
                super::keep_in_cache(&sources.cache, &checked, &bytes)?;
                found[i] = Some(checked);
            }
            Ok(())
        })?;
    }
    let mut out = Vec::with_capacity(coords.len());
    for (coord, checked) in coords.iter().zip(found) {
        let checked = checked.ok_or_else(|| super::not_found(coord))?;
        if checked.verified_with.is_empty() {
            ui::warn(
                env,
                &format!(
                    "{coord}: {} has no .sha1/.sha256/.sha512 to cross-check",
                    checked.location
                ),
            );
        }
        out.push(checked);
    }
    Ok(out)
}
