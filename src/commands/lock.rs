//! `kclrs lock`: resolve the roots with Maven's rules, hash every jar of the closure and write
//! `jars.lock`; with `--check`, re-resolve the roots a lock records and exit 6 if it is stale.
//!
//! POMs, metadata, checksums and jars come from the same places, in the same order, as for
//! `download-jars`: the kclrs cache, the local Maven repository (unless `--no-local-repo`), the
//! remote repositories (`--repository`, `KCLRS_REPOSITORY`, `KCL_MVN_REPO_SEARCH_URL`, the
//! settings mirror) over the download transport, else `mvn`. What a remote serves (POMs, and jars
//! once cross-checked) is kept in the kclrs cache, so re-resolving works offline.

use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use super::fetch_options;
use crate::cache::Cache;
use crate::cli::LockArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::{Lockfile, Origin};
use crate::locking::{self, Checked, PomCache, KCL_ARTIFACT, KCL_GROUP};
use crate::maven::model::Platform;
use crate::maven::resolve::Resolver;
use crate::maven::source::{Chain, RepoSource};
use crate::maven::Coord;
use crate::transport::local::{AskMvn, LocalRepo};
use crate::transport::remote::RemoteRepos;
use crate::ui;

fn usage(msg: String) -> anyhow::Error {
    UserError::new(Exit::Usage, msg).into()
}

/// The sources of one `kclrs lock`, in the order download-jars uses: the kclrs cache, the local
/// Maven repository, the remotes, and `mvn` when no remote is configured.
struct Sources {
    cache: Cache,
    local: Option<Rc<LocalRepo>>,
    /// The remotes (or `mvn`); what they serve is kept in the kclrs cache.
    remote: Rc<Chain>,
    /// What the resolver reads: cached POMs, the local repository, then the remotes.
    resolver: Chain,
    /// Jars hashed per batch, so a remote fetches them concurrently without holding them all.
    jar_batch: usize,
}

fn sources(args: &LockArgs, env: &Env) -> anyhow::Result<Sources> {
    let quiet = args.output_style.quiet || args.output_style.json;
    let options = fetch_options(&args.source, quiet, env)?;
    let cache = super::cache_from(&args.cache, env)?;
    let local = options
        .local_repo
        .clone()
        .map(|d| Rc::new(LocalRepo::new(d)));
    let mut remote = Chain::default();
    let remotes = RemoteRepos::new(&options, cache.maven_dir(), env)?;
    if !remotes.is_empty() {
        remote.sources.push(Box::new(remotes));
    } else if let Some(mvn) = &options.mvn {
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
        jar_batch: options.jobs.max(1) * 4,
    })
}

/// Fetches, cross-checks and hashes the jars of `coords`, from the kclrs cache, then the local
/// repository, then the remotes (whose jars are kept in the cache); in the order of `coords`.
fn check_jars(sources: &Sources, coords: &[Coord], env: &Env) -> anyhow::Result<Vec<Checked>> {
    let mut out = Vec::with_capacity(coords.len());
    for chunk in coords.chunks(sources.jar_batch) {
        let mut found: Vec<Option<Checked>> = chunk
            .iter()
            .map(|c| locking::from_cache(&sources.cache, c, env))
            .collect::<anyhow::Result<_>>()?;
        let local: Option<&dyn RepoSource> = sources.local.as_deref().map(|l| l as _);
        let remote: &dyn RepoSource = &*sources.remote;
        for (source, keep) in local
            .map(|l| (l, false))
            .into_iter()
            .chain([(remote, true)])
        {
            let wanted: Vec<usize> = (0..chunk.len()).filter(|&i| found[i].is_none()).collect();
            if wanted.is_empty() {
                break;
            }
            let asked: Vec<Coord> = wanted.iter().map(|&i| chunk[i].clone()).collect();
            for (i, got) in wanted.into_iter().zip(locking::check_many(source, &asked)?) {
                if let Some((checked, bytes)) = got {
                    if keep {
                        locking::keep_in_cache(&sources.cache, &checked, &bytes)?;
                    }
                    found[i] = Some(checked);
                }
            }
        }
        for (coord, checked) in chunk.iter().zip(found) {
            let checked = checked.ok_or_else(|| locking::not_found(coord))?;
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
    }
    Ok(out)
}

fn parse_coords(flag: &str, values: &[String]) -> anyhow::Result<Vec<Coord>> {
    values
        .iter()
        .map(|v| {
            v.parse::<Coord>()
                .map_err(|e| usage(format!("{flag} {v}: {e}")))
        })
        .collect()
}

fn parse_excludes(values: &[String]) -> anyhow::Result<Vec<String>> {
    for v in values {
        let parts: Vec<&str> = v.split(':').collect();
        if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(usage(format!(
                "--exclude {v}: expected group:artifact (either may be *)"
            )));
        }
    }
    Ok(values.to_vec())
}

/// The roots asked for on the command line; the default root needs the repository metadata.
fn requested_roots(args: &LockArgs, resolver: &mut Resolver<'_>) -> anyhow::Result<Vec<Coord>> {
    let mut roots = if args.roots.is_empty() {
        let version = match args.kcl_version.as_deref() {
            Some(v) if v != "latest" => v.to_string(),
            _ => resolver
                .metadata(KCL_GROUP, KCL_ARTIFACT)?
                .newest_release(|v| v.starts_with("3."))
                .ok_or_else(|| {
                    UserError::new(
                        Exit::Fetch,
                        format!("no 3.x release of {KCL_GROUP}:{KCL_ARTIFACT} is listed in the repository metadata"),
                    )
                    .hint("pass --kcl-version V, or a repository that has maven-metadata for it")
                })?,
        };
        vec![Coord::jar(KCL_GROUP, KCL_ARTIFACT, &version)]
    } else {
        parse_coords("--root", &args.roots)?
    };
    roots.extend(parse_coords("--add", &args.add)?);
    Ok(roots)
}

/// What to lock. The command line decides what it names; the rest comes from the lock being
/// replaced, so a plain `kclrs lock` re-locks the inputs the lock records (as `uv lock` keeps
/// its pins) and reproduces it exactly. `--root`/`--kcl-version` replace its roots (`--add`
/// appends to either), `--exclude` replaces its exclusions. Without a lock: the newest 3.x KCL,
/// no exclusions.
fn inputs(
    args: &LockArgs,
    output: &Path,
    excludes: Vec<String>,
    resolver: &mut Resolver<'_>,
) -> anyhow::Result<(Vec<Coord>, Vec<String>)> {
    let names_roots = !args.roots.is_empty() || args.kcl_version.is_some();
    let previous = if (names_roots && !excludes.is_empty()) || !output.exists() {
        None
    } else {
        Some(Lockfile::load(Some(output)).map_err(|e| {
            e.context(
                UserError::new(
                    Exit::Input,
                    format!(
                        "cannot re-lock {}: it records the roots and exclusions to lock again",
                        output.display()
                    ),
                )
                .hint("delete it, or name the inputs with --root/--kcl-version and --exclude"),
            )
        })?)
    };
    let roots = match previous
        .as_ref()
        .filter(|p| !names_roots && !p.roots.is_empty())
    {
        Some(p) => {
            let mut roots = p.roots.clone();
            for add in parse_coords("--add", &args.add)? {
                if !roots.contains(&add) {
                    roots.push(add);
                }
            }
            roots
        }
        None => requested_roots(args, resolver)?,
    };
    let excludes = match previous {
        Some(p) if excludes.is_empty() => p.excludes,
        _ => excludes,
    };
    Ok((roots, excludes))
}

#[derive(serde::Serialize)]
struct Summary<'a> {
    output: String,
    roots: Vec<String>,
    artifacts: usize,
    min_java: Option<u32>,
    levels: usize,
    fetch_rounds: usize,
    poms: usize,
    stale: Option<bool>,
    differences: &'a [String],
}

pub fn run(args: &LockArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let excludes = parse_excludes(&args.exclude)?;
    let sources = sources(args, env)?;
    let platform = Platform::reference();
    let mut resolver = Resolver::new(&sources.resolver, platform.clone());
    let output = env.absolute(&args.output);
    let quiet = args.output_style.quiet || args.output_style.json;
    if args.check {
        return check(args, &output, &excludes, &mut resolver, &platform);
    }
    let (roots, excludes) = inputs(args, &output, excludes, &mut resolver)?;
    let request = locking::request(&roots, &excludes);
    let resolution = resolver.resolve(&request)?;
    let coords = locking::classpath(&resolution);
    let mut artifacts = Vec::with_capacity(coords.len());
    let mut min_java: Option<u32> = None;
    for checked in check_jars(&sources, &coords, env)? {
        min_java = min_java.max(checked.locked.min_java);
        artifacts.push(checked.locked);
    }
    let lock = Lockfile {
        roots: roots.clone(),
        min_java,
        input_hash: Some(locking::input_hash(&roots, &excludes, &platform)),
        excludes,
        artifacts,
        origin: Origin::File(output.clone()),
    };
    lock.write_atomic(&output)?;
    let summary = Summary {
        output: output.display().to_string(),
        roots: roots.iter().map(ToString::to_string).collect(),
        artifacts: lock.artifacts.len(),
        min_java,
        levels: resolution.levels,
        fetch_rounds: resolution.fetch_rounds,
        poms: resolution.poms,
        stale: None,
        differences: &[],
    };
    if args.output_style.json {
        ui::print_json(&summary)?;
    }
    ui::note(
        quiet,
        &format!(
            "locked {} artifacts of {} (min Java {}) into {} in {} ms ({} levels, {} POMs)",
            summary.artifacts,
            summary.roots.join(", "),
            min_java.map_or_else(|| "unknown".into(), |m| m.to_string()),
            args.output.display(),
            started.elapsed().as_millis(),
            resolution.levels,
            resolution.poms
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// `--check`: the lock is current when its recorded inputs hash to its input hash, match any
/// roots given on the command line, and re-resolve to the same artifacts in the same order.
fn check(
    args: &LockArgs,
    output: &Path,
    excludes: &[String],
    resolver: &mut Resolver<'_>,
    platform: &Platform,
) -> anyhow::Result<ExitCode> {
    if !output.exists() {
        return Err(UserError::new(
            Exit::Check,
            format!(
                "{} does not exist, so it cannot be current",
                output.display()
            ),
        )
        .hint("run `kclrs lock` to create it")
        .into());
    }
    let lock = Lockfile::load(Some(output))?;
    let mut differences = Vec::new();
    let recorded = locking::input_hash(&lock.roots, &lock.excludes, platform);
    if lock.input_hash.as_deref() != Some(recorded.as_str()) {
        differences.push(
            "the input hash does not match the recorded roots and excludes (edited by hand, or made by another kclrs)"
                .to_string(),
        );
    }
    let asked = !args.roots.is_empty()
        || !args.add.is_empty()
        || args.kcl_version.is_some()
        || !args.exclude.is_empty();
    if asked {
        let roots = requested_roots(args, resolver)?;
        if roots != lock.roots || excludes != lock.excludes.as_slice() {
            differences.push(format!(
                "roots {} / excludes [{}] asked for, the lock has {} / [{}]",
                roots
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                excludes.join(", "),
                lock.roots
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                lock.excludes.join(", ")
            ));
        }
    }
    let request = locking::request(&lock.roots, &lock.excludes);
    let resolution = resolver.resolve(&request)?;
    let now = locking::classpath(&resolution);
    let locked: Vec<Coord> = lock.artifacts.iter().map(|a| a.coord.clone()).collect();
    for c in &now {
        if !locked.contains(c) {
            differences.push(format!("+ {c} (resolved now, not in the lock)"));
        }
    }
    for c in &locked {
        if !now.contains(c) {
            differences.push(format!("- {c} (in the lock, not resolved now)"));
        }
    }
    if differences.is_empty() && now != locked {
        differences.push("the classpath order differs".into());
    }
    let stale = !differences.is_empty();
    if args.output_style.json {
        ui::print_json(&Summary {
            output: output.display().to_string(),
            roots: lock.roots.iter().map(ToString::to_string).collect(),
            artifacts: now.len(),
            min_java: lock.min_java,
            levels: resolution.levels,
            fetch_rounds: resolution.fetch_rounds,
            poms: resolution.poms,
            stale: Some(stale),
            differences: &differences,
        })?;
    }
    if stale {
        return Err(UserError::new(
            Exit::Check,
            format!(
                "{} is stale:\n  {}",
                args.output.display(),
                differences.join("\n  ")
            ),
        )
        .hint("run `kclrs lock` again to update it")
        .into());
    }
    ui::note(
        args.output_style.quiet || args.output_style.json,
        &format!(
            "{} is up to date ({} artifacts)",
            args.output.display(),
            now.len()
        ),
    );
    Ok(ExitCode::SUCCESS)
}
