//! `kclrs run`: checks the properties, chooses Java, fetches and verifies the locked jars
//! (the same code as `download-jars`) and starts the MultiLangDaemon, staying its parent (signals
//! forwarded, see `launch::parent`), so kclrs's exit code is Java's. The JVM gets a class-data
//! sharing archive of the classpath unless `--no-cds` (see `launch::cds`); without one it starts
//! all the same.
//! `--dry-run` prints the command instead.

use std::process::ExitCode;

use crate::cli::RunArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::launch::{self, JarSource, Purpose, Shell};

pub fn run(args: &RunArgs, env: &Env) -> anyhow::Result<ExitCode> {
    if !args.trailing.is_empty() {
        return Err(trailing_error(&args.trailing).into());
    }
    let mut opts = super::launch_options(&args.launch, &args.lockfile, &args.cache, env)?;
    opts.ignore_java_version = super::ignore_java_version(args.ignore_java_version, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::Run)?;
    let Some(command) = &prepared.command else {
        anyhow::bail!("internal error: run prepared no command");
    };
    let with_cds = || match args.no_cds {
        true => command.clone(),
        false => prepared
            .with_cds(env, &opts, launch::cds::aot_wanted(env))
            .unwrap_or_else(|_| command.clone()),
    };
    if args.dry_run {
        launch::warn_missing(env, &opts, &prepared);
        for line in crate::java::option_variables(env) {
            crate::ui::note(args.quiet, &line);
        }
        crate::ui::print(&format!(
            "{}\n",
            with_cds().to_shell_line(Shell::for_os(env.os))?
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    match &prepared.jars {
        // The same code as `download-jars`: its warm path only compares verified stamps, so
        // calling it on every start costs milliseconds and still catches a replaced jar.
        JarSource::Cache(cache) => {
            let options = super::fetch_options(&args.source, args.quiet, env)?;
            crate::fetch::ensure_jars(&prepared.lock, cache, &options, env)?;
        }
        // A --jars-dir is the user's own set: kclrs orders it but does not insist on the lock.
        JarSource::Dir(_) => launch::warn_missing(env, &opts, &prepared),
    }
    launch::exec(&with_cds())
}

/// `run -- -Xmx1g`: the words after `--` would have to go somewhere, and JVM options belong before
/// `-cp`, which only `-J` can say. The hint spells the fix with the user's own words.
fn trailing_error(words: &[String]) -> UserError {
    let fix: Vec<String> = words.iter().map(|w| format!("-J{w}")).collect();
    UserError::new(
        Exit::Usage,
        format!(
            "`kclrs run` takes no arguments after `--` (got {})",
            words.join(" ")
        ),
    )
    .hint(format!(
        "JVM options go in -J/--jvm-arg, one per flag: `kclrs run … {}`",
        fix.join(" ")
    ))
}
