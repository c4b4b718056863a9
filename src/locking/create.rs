//! The `lock` operation: decide what to lock (the command line's roots and exclusions, else the
//! ones the lock being replaced records), resolve it with Maven's rules, fetch and hash every jar
//! of the closure, and write `jars.lock`; or, for `--check`, re-resolve a lock's recorded inputs
//! and list how it differs. It returns values; `commands/lock.rs` prints them.

use std::path::Path;

use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::{Lockfile, Origin};
use crate::maven::model::Platform;
use crate::maven::resolve::{Resolution, Resolver};
use crate::maven::Coord;

use super::sources::{check_jars, Sources};
use super::{KCL_ARTIFACT, KCL_GROUP};

/// What the command line asks to lock, already parsed.
#[derive(Debug)]
pub struct Asked {
    /// `--kcl-version` (`latest` or absent: the newest 3.x release).
    pub kcl_version: Option<String>,
    /// `--root`: replaces the default KCL root.
    pub roots: Vec<Coord>,
    /// `--add`: appended to the roots.
    pub add: Vec<Coord>,
    /// `--exclude` as `G:A`.
    pub excludes: Vec<String>,
}

impl Asked {
    fn names_roots(&self) -> bool {
        !self.roots.is_empty() || self.kcl_version.is_some()
    }

    fn names_anything(&self) -> bool {
        self.names_roots() || !self.add.is_empty() || !self.excludes.is_empty()
    }
}

/// How much work a resolution took, for the summary line.
#[derive(Debug)]
pub struct Stats {
    pub levels: usize,
    pub fetch_rounds: usize,
    pub poms: usize,
}

impl From<&Resolution> for Stats {
    fn from(r: &Resolution) -> Self {
        Stats {
            levels: r.levels,
            fetch_rounds: r.fetch_rounds,
            poms: r.poms,
        }
    }
}

/// A lock written by [`create`].
#[derive(Debug)]
pub struct Created {
    pub lock: Lockfile,
    pub stats: Stats,
}

/// What [`check`] found.
#[derive(Debug)]
pub struct Report {
    /// The lock as loaded.
    pub lock: Lockfile,
    /// Artifacts on the classpath resolved now.
    pub artifacts: usize,
    pub stats: Stats,
    /// Why the lock is stale, one line each; empty when it is current.
    pub differences: Vec<String>,
}

/// The roots asked for on the command line; the default root needs the repository metadata.
fn requested_roots(asked: &Asked, resolver: &mut Resolver<'_>) -> anyhow::Result<Vec<Coord>> {
    let mut roots = if asked.roots.is_empty() {
        let version = match asked.kcl_version.as_deref() {
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
        asked.roots.clone()
    };
    roots.extend(asked.add.iter().cloned());
    Ok(roots)
}

/// What to lock. The command line decides what it names; the rest comes from the lock being
/// replaced, so a plain `kclrs lock` re-locks the inputs the lock records (as `uv lock` keeps
/// its pins) and reproduces it exactly. `--root`/`--kcl-version` replace its roots (`--add`
/// appends to either), `--exclude` replaces its exclusions. Without a lock: the newest 3.x KCL,
/// no exclusions.
fn inputs(
    asked: &Asked,
    output: &Path,
    resolver: &mut Resolver<'_>,
) -> anyhow::Result<(Vec<Coord>, Vec<String>)> {
    let names_roots = asked.names_roots();
    let excludes = asked.excludes.clone();
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
            for add in &asked.add {
                if !roots.contains(add) {
                    roots.push(add.clone());
                }
            }
            roots
        }
        None => requested_roots(asked, resolver)?,
    };
    let excludes = match previous {
        Some(p) if excludes.is_empty() => p.excludes,
        _ => excludes,
    };
    Ok((roots, excludes))
}

/// Resolves what `asked` names (or what the lock at `output` records), hashes every jar of the
/// closure and writes the lock to `output` atomically.
pub fn create(
    sources: &Sources,
    asked: &Asked,
    output: &Path,
    env: &Env,
) -> anyhow::Result<Created> {
    let platform = Platform::reference();
    let mut resolver = Resolver::new(&sources.resolver, platform.clone());
    let (roots, excludes) = inputs(asked, output, &mut resolver)?;
    let request = super::request(&roots, &excludes);
    // Pipelined: a jar starts as soon as its version is final, while deeper levels are read.
    resolver.on_final(|won| sources.start_jars(won));
    let resolution = resolver.resolve(&request)?;
    let coords = super::classpath(&resolution);
    let mut artifacts = Vec::with_capacity(coords.len());
    let mut min_java: Option<u32> = None;
    for checked in check_jars(sources, &coords, env)? {
        min_java = min_java.max(checked.locked.min_java);
        artifacts.push(checked.locked);
    }
    let lock = Lockfile {
        roots: roots.clone(),
        min_java,
        input_hash: Some(super::input_hash(&roots, &excludes, &platform)),
        excludes,
        artifacts,
        origin: Origin::File(output.to_path_buf()),
    };
    lock.write_atomic(output)?;
    Ok(Created {
        lock,
        stats: Stats::from(&resolution),
    })
}

/// `--check`: the lock is current when its recorded inputs hash to its input hash, match any
/// roots given on the command line, and re-resolve to the same artifacts in the same order.
pub fn check(sources: &Sources, asked: &Asked, output: &Path) -> anyhow::Result<Report> {
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
    let platform = Platform::reference();
    let mut resolver = Resolver::new(&sources.resolver, platform.clone());
    let lock = Lockfile::load(Some(output))?;
    let mut differences = Vec::new();
    let recorded = super::input_hash(&lock.roots, &lock.excludes, &platform);
    if lock.input_hash.as_deref() != Some(recorded.as_str()) {
        differences.push(
            "the input hash does not match the recorded roots and excludes (edited by hand, or made by another kclrs)"
                .to_string(),
        );
    }
    if asked.names_anything() {
        let roots = requested_roots(asked, &mut resolver)?;
        if roots != lock.roots || asked.excludes != lock.excludes {
            differences.push(format!(
                "roots {} / excludes [{}] asked for, the lock has {} / [{}]",
                roots
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                asked.excludes.join(", "),
                lock.roots
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                lock.excludes.join(", ")
            ));
        }
    }
    let request = super::request(&lock.roots, &lock.excludes);
    let resolution = resolver.resolve(&request)?;
    let now = super::classpath(&resolution);
    let locked: Vec<Coord> = lock.artifacts.iter().map(|a| a.coord.clone()).collect();
    differences.extend(added_and_gone(&now, &locked));
    if differences.is_empty() && now != locked {
        differences.push("the classpath order differs".into());
    }
    Ok(Report {
        lock,
        artifacts: now.len(),
        stats: Stats::from(&resolution),
        differences,
    })
}

/// The artifacts resolved `now` that the `locked` classpath lacks, and those it has that are gone.
fn added_and_gone(now: &[Coord], locked: &[Coord]) -> Vec<String> {
    let mut differences = Vec::new();
    for c in now {
        if !locked.contains(c) {
            differences.push(format!("+ {c} (resolved now, not in the lock)"));
        }
    }
    for c in locked {
        if !now.contains(c) {
            differences.push(format!("- {c} (in the lock, not resolved now)"));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coords(list: &[&str]) -> Vec<Coord> {
        list.iter().map(|c| c.parse().unwrap()).collect()
    }

    #[test]
    fn added_and_gone_lists_both_sides_and_ignores_order() {
        let locked = coords(&["g:a:1", "g:b:1"]);
        let now = coords(&["g:b:1", "g:c:1"]);
        assert_eq!(
            added_and_gone(&now, &locked),
            vec![
                "+ g:c:1 (resolved now, not in the lock)".to_string(),
                "- g:a:1 (in the lock, not resolved now)".to_string(),
            ]
        );
        let reordered = coords(&["g:b:1", "g:a:1"]);
        assert!(added_and_gone(&reordered, &locked).is_empty());
    }
}
