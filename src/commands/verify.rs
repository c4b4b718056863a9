//! `kclrs verify`: re-hash every jar of the lockfile in the cache and report missing or corrupt
//! ones (exit 6 if any), as text on stderr/stdout or as JSON for CI.

use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::fetch::{self, VerifyStatus};
use crate::ui;

#[derive(Debug, serde::Serialize)]
struct Json<'a> {
    ok: bool,
    lockfile: String,
    cache: &'a std::path::Path,
    artifacts: &'a [fetch::VerifyEntry],
}

pub fn run(args: &VerifyArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let lock = super::lock_from(&args.lockfile, env)?;
    let cache = super::cache_from(&args.cache, env)?;
    let entries = fetch::verify_cache(&lock, &cache);
    let bad: Vec<&fetch::VerifyEntry> = entries
        .iter()
        .filter(|e| e.status != VerifyStatus::Ok)
        .collect();
    if args.json {
        ui::print_json(&Json {
            ok: bad.is_empty(),
            lockfile: lock.origin.to_string(),
            cache: &cache.root,
            artifacts: &entries,
        })?;
        return Ok(if bad.is_empty() {
            ExitCode::SUCCESS
        } else {
            Exit::Check.into()
        });
    }
    if bad.is_empty() {
        ui::note(
            false,
            &format!(
                "{} artifacts verified in {}",
                entries.len(),
                cache.root.display()
            ),
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut msg = format!(
        "{} of the {} artifacts in {} are missing or corrupt in {}:",
        bad.len(),
        entries.len(),
        lock.origin,
        cache.root.display()
    );
    for e in bad {
        match (e.status, &e.actual_sha256, e.actual_size) {
            (VerifyStatus::Corrupt, Some(sha), Some(size)) => msg.push_str(&format!(
                "\n  corrupt {}: {} has {size} bytes with sha256 {sha}, the lock says {} bytes with sha256 {}",
                e.coords,
                e.path.display(),
                e.expected_size,
                e.expected_sha256
            )),
            _ => msg.push_str(&format!("\n  missing {}: {}", e.coords, e.path.display())),
        }
    }
    Err(UserError::new(Exit::Check, msg)
        .hint("run `kclrs download-jars` to fetch them again")
        .into())
}
