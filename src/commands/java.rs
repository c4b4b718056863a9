//! `kclrs java`: shows every Java installation discovery sees, in priority order, which one
//! `run` would use, and why the others are skipped — the first thing to look at when the JVM
//! kclrs starts is not the expected one. Exit 0 when one is usable, 4 otherwise.

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::cli::JavaArgs;
use crate::env::Env;
use crate::java::{self, Discovery};

pub fn run(args: &JavaArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let lock = super::lock_from(&args.lockfile, env)?;
    let needs = crate::launch::java_needs(env, &lock, args.lockfile.lockfile.as_deref());
    let min = needs.feature;
    let found = java::discover(env, args.java.as_deref(), &needs);
    if args.json {
        crate::ui::print_json(&found)?;
    } else {
        let mut text = table(&found, min, &lock.origin.to_string());
        for line in java::option_variables(env) {
            let _ = writeln!(text, "{line}");
        }
        // Java homes are folder names anyone may have chosen: the terminal rule applies.
        crate::ui::print(&crate::terminal::escape(&text))?;
    }
    match found.chosen {
        Some(_) => Ok(ExitCode::SUCCESS),
        None => Err(java::no_java_error(env, &found, args.java.is_some(), &needs).into()),
    }
}

/// The human listing: one line per candidate, `*` on the chosen one, reasons under the others.
fn table(found: &Discovery, min: u32, lock: &str) -> String {
    let mut out = format!("Minimum Java: {min} — from {lock}\n");
    if found.candidates.is_empty() {
        out.push_str("No Java installation found.\n");
        return out;
    }
    let width =
        |f: &dyn Fn(&java::Candidate) -> usize| found.candidates.iter().map(f).max().unwrap_or(0);
    let vw = width(&|c| c.version.len().max(1));
    let sw = width(&|c| c.source.to_string().len());
    for c in &found.candidates {
        let mark = if found.chosen.as_ref() == Some(c) {
            '*'
        } else {
            ' '
        };
        let version = if c.version.is_empty() {
            "?"
        } else {
            &c.version
        };
        let _ = writeln!(
            out,
            "{mark} {version:<vw$}  {:<sw$}  {}",
            c.source.to_string(),
            c.java.display()
        );
        if let Some(reason) = &c.rejected {
            let _ = writeln!(out, "  {:vw$}  rejected: {reason}", "");
        }
    }
    if let Some(c) = &found.chosen {
        let _ = writeln!(out, "Using {}.", java::describe(c));
    }
    out
}
