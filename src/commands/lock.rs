//! `kclrs lock`: turn the flags into a [`locking::Asked`] and the fetch options, call
//! [`locking::create`] (or [`locking::check`] for `--check`, exit 6 when stale) and print the
//! result. The algorithm — sources, resolution, jar checks, the staleness diff — is in
//! `src/locking/`.

use std::process::ExitCode;
use std::time::Instant;

use super::fetch_options;
use crate::cli::LockArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::locking::{self, Asked, Sources};
use crate::maven::Coord;
use crate::ui;

fn usage(msg: String) -> anyhow::Error {
    UserError::new(Exit::Usage, msg).into()
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
    let asked = Asked {
        kcl_version: args.kcl_version.clone(),
        roots: parse_coords("--root", &args.roots)?,
        add: parse_coords("--add", &args.add)?,
        excludes: parse_excludes(&args.exclude)?,
    };
    let quiet = args.output_style.quiet || args.output_style.json;
    let options = fetch_options(&args.source, quiet, env)?;
    let sources = locking::sources(&options, super::cache_from(&args.cache, env)?, env)?;
    let output = env.absolute(&args.output);
    if args.check {
        return check(args, &output, &asked, &sources);
    }
    let created = locking::create(&sources, &asked, &output, env)?;
    let (lock, stats) = (&created.lock, &created.stats);
    let summary = Summary {
        output: output.display().to_string(),
        roots: lock.roots.iter().map(ToString::to_string).collect(),
        artifacts: lock.artifacts.len(),
        min_java: lock.min_java,
        levels: stats.levels,
        fetch_rounds: stats.fetch_rounds,
        poms: stats.poms,
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
            lock.min_java
                .map_or_else(|| "unknown".into(), |m| m.to_string()),
            args.output.display(),
            started.elapsed().as_millis(),
            stats.levels,
            stats.poms
        ),
    );
    Ok(ExitCode::SUCCESS)
}

/// `--check`: prints what [`locking::check`] found; a stale lock is exit 6 with the differences.
fn check(
    args: &LockArgs,
    output: &std::path::Path,
    asked: &Asked,
    sources: &Sources,
) -> anyhow::Result<ExitCode> {
    let report = locking::check(sources, asked, output)?;
    let stale = !report.differences.is_empty();
    if args.output_style.json {
        ui::print_json(&Summary {
            output: output.display().to_string(),
            roots: report.lock.roots.iter().map(ToString::to_string).collect(),
            artifacts: report.artifacts,
            min_java: report.lock.min_java,
            levels: report.stats.levels,
            fetch_rounds: report.stats.fetch_rounds,
            poms: report.stats.poms,
            stale: Some(stale),
            differences: &report.differences,
        })?;
    }
    if stale {
        return Err(UserError::new(
            Exit::Check,
            format!(
                "{} is stale:\n  {}",
                args.output.display(),
                report.differences.join("\n  ")
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
            report.artifacts
        ),
    );
    Ok(ExitCode::SUCCESS)
}
