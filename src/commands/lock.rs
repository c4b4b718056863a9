//! `kclrs lock`: resolve the roots with Maven's rules, hash every jar of the closure and write
//! `jars.lock`; with `--check`, re-resolve the roots a lock records and exit 6 if it is stale.
//!
//! Sources for now: the local Maven repository (`--maven-repo-local`, else settings, else
//! `~/.m2/repository`) and `file://` repositories from `--repository`, whose POMs are kept in the
//! kclrs cache. HTTP repositories come with the download transport.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use crate::cli::LockArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::{Lockfile, Origin};
use crate::maven::locking::{self, KCL_ARTIFACT, KCL_GROUP};
use crate::maven::model::Platform;
use crate::maven::resolve::Resolver;
use crate::maven::source::{Chain, LocalRepo, PomCache};
use crate::maven::{settings, Coord};
use crate::ui;

fn usage(msg: String) -> anyhow::Error {
    UserError::new(Exit::Usage, msg).into()
}

/// The repositories `lock` reads from, in order.
fn sources(args: &LockArgs, env: &Env) -> anyhow::Result<Chain> {
    let mut chain = Chain::default();
    if !args.source.no_local_repo {
        let settings = settings::load(env, args.source.settings.as_deref())?;
        if let Some(dir) =
            settings::local_repository(env, &settings, args.source.maven_repo_local.as_deref())
        {
            chain.sources.push(Box::new(LocalRepo::new(dir)));
        }
    }
    // Remote repositories go behind the kclrs cache, which keeps every POM they serve.
    let mut remotes = Chain::default();
    for url in &args.source.repositories {
        if let Some(path) = url.strip_prefix("file://") {
            remotes
                .sources
                .push(Box::new(LocalRepo::new(env.absolute(Path::new(path)))));
        } else if !args.source.offline {
            return Err(usage(format!(
                "--repository {url}: `kclrs lock` reads only file:// repositories and the local Maven repository in this build"
            )));
        }
    }
    if !remotes.sources.is_empty() {
        let cache = super::cache_from(&args.cache, env)?;
        chain.sources.push(Box::new(PomCache {
            dir: LocalRepo::new(cache.maven_dir()),
            inner: remotes,
        }));
    }
    if chain.sources.is_empty() {
        return Err(usage(
            "no repository to resolve from: pass --maven-repo-local DIR or --repository file://DIR"
                .into(),
        ));
    }
    Ok(chain)
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
    let chain = sources(args, env)?;
    let platform = Platform::reference();
    let mut resolver = Resolver::new(&chain, platform.clone());
    let output = env.absolute(&args.output);
    let quiet = args.output_style.quiet || args.output_style.json;
    if args.check {
        return check(args, &output, &excludes, &mut resolver, &platform);
    }
    let roots = requested_roots(args, &mut resolver)?;
    let request = locking::request(&roots, &excludes, platform.clone());
    let resolution = resolver.resolve(&request)?;
    let coords = locking::classpath(&resolution);
    let mut artifacts = Vec::with_capacity(coords.len());
    let mut min_java: Option<u32> = None;
    for coord in &coords {
        let checked = locking::fetch_and_check(&chain, coord)?;
        if checked.verified_with.is_empty() {
            ui::warn(
                env,
                &format!("{coord}: the repository has no .sha1/.sha256/.sha512 to cross-check"),
            );
        }
        min_java = min_java.max(checked.min_java);
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
    let request = locking::request(&lock.roots, &lock.excludes, platform.clone());
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
