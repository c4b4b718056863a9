//! `kclrs run`: checks the properties, chooses Java, makes sure the locked jars are there and
//! hands the process over to the MultiLangDaemon (exec on Unix), so kclrs's exit code is Java's.
//! `--dry-run` prints the command instead.

use std::process::ExitCode;

use crate::cli::RunArgs;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::launch::{self, JarSource, Purpose, Shell};

pub fn run(args: &RunArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let opts =
        super::print_command::launch_options(&args.launch, &args.lockfile, &args.cache, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::Run)?;
    let Some(command) = &prepared.command else {
        anyhow::bail!("internal error: run prepared no command");
    };
    if args.dry_run {
        launch::warn_missing(env, &opts, &prepared);
        crate::ui::print(&format!(
            "{}\n",
            command.to_shell_line(Shell::for_os(env.os))?
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    match (&prepared.jars, prepared.missing_summary()) {
        // TODO(lead): fetch the missing jars through `fetch` here once download-jars exists.
        (JarSource::Cache(_), Some(summary)) => {
            let fetch = launch::fetch_command(env, &opts, Shell::for_os(env.os));
            return Err(UserError::new(Exit::Fetch, summary)
                .hint(format!("run `{fetch}` first"))
                .into());
        }
        // A --jars-dir is the user's own set: kclrs orders it but does not insist on the lock.
        (JarSource::Dir(_), Some(_)) => launch::warn_missing(env, &opts, &prepared),
        (_, None) => {}
    }
    launch::exec(command)
}
