//! `kclrs bundle --dest DIR`: builds the self-contained daemon folder ([`crate::bundle::build`])
//! and prints what went into it; `kclrs bundle --check DIR` re-hashes one and lists what
//! differs from its `bundle.lock` (exit 6), at most a screenful.

use std::process::ExitCode;

use crate::bundle::{self, BundleOptions, Differences};
use crate::cli::BundleArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::fetch::human_bytes;

/// How many paths of each kind a failed check lists.
const SHOWN: usize = 8;

pub fn run(args: &BundleArgs, env: &Env) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.check {
        return check(dir, env);
    }
    let Some(dest) = &args.dest else {
        anyhow::bail!("internal error: clap let `bundle` through without --dest or --check");
    };
    let opts = BundleOptions {
        dest: dest.clone(),
        properties: args.properties.clone(),
        java: args.java.clone(),
        lockfile: args.lockfile.lockfile.clone(),
        cache: super::cache_from(&args.cache, env)?,
        fetch: super::fetch_options(&args.source, args.quiet, env)?,
    };
    let r = bundle::build(env, &opts)?;
    let lines = [
        format!("bundle written to {}", r.dir.display()),
        format!(
            "  runtime  {} (jlinked from {})",
            human_bytes(r.runtime_bytes),
            r.java
        ),
        format!("  modules  {}", r.modules.join(",")),
        format!(
            "  lib      {} ({} locked jars, verified)",
            human_bytes(r.lib_bytes),
            r.jars
        ),
        format!(
            "  archive  {} (CDS, {} classes: {} from the training run, {} of the record path)",
            human_bytes(r.archive_bytes),
            r.classes + r.record_path_classes,
            r.classes,
            r.record_path_classes
        ),
        format!(
            "  took     {}",
            r.steps
                .iter()
                .map(|(name, secs)| format!("{name} {secs:.1}s"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "start it with {}/bin/kcl-daemon -p app.properties",
            r.dir.display()
        ),
    ];
    crate::ui::note(args.quiet, &lines.join("\n"));
    Ok(ExitCode::SUCCESS)
}

fn check(dir: &std::path::Path, env: &Env) -> anyhow::Result<ExitCode> {
    let (manifest, diff) = bundle::check(env, dir)?;
    if diff.is_empty() {
        crate::ui::print(&format!(
            "{}: {} files match bundle.lock ({} jars, runtime of Java {}{})\n",
            dir.display(),
            diff.checked,
            manifest.jars.len(),
            manifest.java.version,
            if manifest.cds.is_some() {
                ", CDS archive"
            } else {
                ""
            }
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    Err(UserError::new(Exit::Check, report(dir, &diff))
        .hint("rebuild it with `kclrs bundle --dest DIR`; nothing in a bundle is meant to change")
        .into())
}

/// `DIR differs from its bundle.lock: …` with up to [`SHOWN`] paths per kind.
fn report(dir: &std::path::Path, diff: &Differences) -> String {
    let mut text = format!(
        "{} differs from its bundle.lock ({} changed, {} missing, {} not listed)",
        dir.display(),
        diff.changed.len(),
        diff.missing.len(),
        diff.extra.len()
    );
    for (kind, paths) in [
        ("changed", &diff.changed),
        ("missing", &diff.missing),
        ("not listed", &diff.extra),
    ] {
        for p in paths.iter().take(SHOWN) {
            text.push_str(&format!("\n  {kind}: {p}"));
        }
        if paths.len() > SHOWN {
            text.push_str(&format!("\n  … and {} more {kind}", paths.len() - SHOWN));
        }
    }
    text
}
