//! `kclrs download-jars`: make sure every jar of the lockfile is in the cache, verified, and
//! optionally mirror them into a `--dest` folder. Also home of [`fetch_options`], which turns the
//! source flags shared with `run` into the fetch module's options.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::{DownloadJarsArgs, SourceArgs};
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::fetch::{self, FetchOptions, HttpOptions, MvnFallback, Source};
use crate::lockfile::Lockfile;
use crate::maven::settings;
use crate::ui;

/// Turns the source flags (and Maven's settings) into [`FetchOptions`]. `quiet` hides progress.
/// `KCLRS_CONNECT_TIMEOUT`, `KCLRS_READ_TIMEOUT` (seconds) and `KCLRS_RETRIES` tune the network.
pub fn fetch_options(source: &SourceArgs, quiet: bool, env: &Env) -> anyhow::Result<FetchOptions> {
    let user_settings = source.settings.as_deref().map(|p| env.absolute(p));
    let loaded = settings::load(env, user_settings.as_deref())?;
    // `<offline>true</offline>` in settings.xml means the same to kclrs as it does to Maven.
    let offline = source.offline || loaded.offline;
    let remotes = if offline {
        Vec::new()
    } else {
        settings::remotes(env, &source.repositories, &loaded)?
    };
    let maven_local = settings::local_repository(env, &loaded, source.maven_repo_local.as_deref());
    let mvn = match &maven_local {
        Some(local_repo) if !offline && !source.no_mvn => Some(MvnFallback {
            settings_file: user_settings,
            local_repo: local_repo.clone(),
        }),
        _ => None,
    };
    let defaults = HttpOptions::default();
    let http = HttpOptions {
        connect_timeout: seconds_var(env, "KCLRS_CONNECT_TIMEOUT")?
            .unwrap_or(defaults.connect_timeout),
        read_timeout: seconds_var(env, "KCLRS_READ_TIMEOUT")?.unwrap_or(defaults.read_timeout),
        retries: match env.var("KCLRS_RETRIES") {
            Some(v) => v.trim().parse().map_err(|_| bad_var("KCLRS_RETRIES", &v))?,
            None => defaults.retries,
        },
        ..defaults
    };
    Ok(FetchOptions {
        remotes,
        local_repo: if source.no_local_repo {
            None
        } else {
            maven_local
        },
        mvn,
        offline,
        jobs: usize::from(source.jobs),
        progress: !quiet && ui::stderr_is_tty(env),
        http,
    })
}

fn bad_var(name: &str, value: &str) -> anyhow::Error {
    UserError::new(
        Exit::Usage,
        format!("{name}={value:?} is not a non-negative number"),
    )
    .into()
}

fn seconds_var(env: &Env, name: &str) -> anyhow::Result<Option<Duration>> {
    let Some(value) = env.var(name) else {
        return Ok(None);
    };
    let secs: f64 = value.trim().parse().map_err(|_| bad_var(name, &value))?;
    Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| bad_var(name, &value))
}

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
    let lockfile = args.lockfile.lockfile.as_deref().map(|p| env.absolute(p));
    let lock = Lockfile::load(lockfile.as_deref())?;
    let cache = super::cache_from(&args.cache, env)?;
    let options = fetch_options(&args.source, args.output.quiet, env)?;
    let report = fetch::ensure_jars(&lock, &cache, &options, env)?;
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
            downloaded: report.artifacts.iter().filter(|a| a.downloaded).count(),
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
    let remote = report.count(Source::Remote) + report.count(Source::Mvn);
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
