//! `kclrs download-jars`: make sure every jar of the lockfile is in the cache, verified, and
//! optionally mirror them into a `--dest` folder. The source flags become fetch options through
//! [`super::fetch_options`], shared with `run` and `lock`.

use std::process::ExitCode;

use crate::cli::DownloadJarsArgs;
use crate::env::Env;
use crate::fetch::{self, Source};
use crate::ui;

/// The `--json` summary.
#[derive(Debug, serde::Serialize)]
struct Summary<'a> {
    lockfile: String,
    cache: &'a std::path::Path,
    artifacts: Vec<SummaryEntry<'a>>,
    downloaded: usize,
    downloaded_bytes: u64,
    from_cache: usize,
    dest: Option<&'a fetch::DestReport>,
}

#[derive(Debug, serde::Serialize)]
struct SummaryEntry<'a> {
    #[serde(flatten)]
    fetched: &'a fetch::Fetched,
    dest_path: Option<&'a std::path::Path>,
}

pub fn run(args: &DownloadJarsArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let lock = super::lock_from(&args.lockfile, env)?;
    let cache = super::cache_from(&args.cache, env)?;
    let options = super::fetch_options(&args.source, args.output.quiet, env)?;
    if args.dest.is_some() {
        // Before anything is fetched or written: a lock whose names clash cannot fill --dest.
        let coords: Vec<_> = lock.artifacts.iter().map(|a| a.coord.clone()).collect();
        fetch::dest_names(&coords)?;
    }
    let report = match fetch::ensure_jars(&lock, &cache, &options, env) {
        Ok(report) => report,
        Err(err) => {
            // The error line lists a handful; the JSON keeps every artifact and reason.
            if let (true, Some(missing)) = (
                args.output.json,
                err.downcast_ref::<fetch::MissingArtifacts>(),
            ) {
                ui::print_json(missing)?;
            }
            return Err(err);
        }
    };
    let dest = match &args.dest {
        Some(dir) => Some(fetch::materialize(
            &report,
            &env.absolute(dir),
            args.no_prune,
        )?),
        None => None,
    };
    if args.output.json {
        let artifacts = report
            .artifacts
            .iter()
            .enumerate()
            .map(|(i, fetched)| SummaryEntry {
                fetched,
                dest_path: dest.as_ref().map(|d| d.files[i].as_path()),
            })
            .collect();
        ui::print_json(&Summary {
            lockfile: lock.origin.to_string(),
            cache: &cache.root,
            artifacts,
            downloaded: report.downloaded_count(),
            downloaded_bytes: report.downloaded_bytes(),
            from_cache: report.count(Source::Cache),
            dest: dest.as_ref(),
        })?;
    }
    let quiet = args.output.quiet || args.output.json;
    ui::note(quiet, &summary_line(&report, &cache.root));
    if let Some(d) = &dest {
        ui::note(
            quiet,
            &format!(
                "{} jars in {} ({} updated, {} stale removed)",
                d.files.len(),
                d.dir.display(),
                d.placed,
                d.pruned.len()
            ),
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn summary_line(report: &fetch::Report, root: &std::path::Path) -> String {
    let mut parts = Vec::new();
    let remote = report.downloaded_count();
    if remote > 0 {
        parts.push(format!(
            "{remote} downloaded ({})",
            human_bytes(report.downloaded_bytes())
        ));
    }
    let local = report.count(Source::LocalRepo);
    if local > 0 {
        parts.push(format!("{local} from the local Maven repository"));
    }
    let cached = report.count(Source::Cache);
    if cached > 0 {
        parts.push(format!("{cached} already cached"));
    }
    format!(
        "{} artifacts verified in {}{}",
        report.artifacts.len(),
        root.display(),
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join(", "))
        }
    )
}

fn human_bytes(n: u64) -> String {
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
