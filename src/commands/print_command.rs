//! `kclrs print-command`: prints the java command that starts the MultiLangDaemon, quoted for
//! the shell (so it can be pasted or put in backticks) or as JSON for programs. `--cds` adds the
//! class-data sharing options `kclrs run` would use here.

use std::process::ExitCode;

use crate::cli::{CommandFormat, PrintCommandArgs};
use crate::env::Env;
use crate::launch::{self, Purpose, Shell};

pub fn run(args: &PrintCommandArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let mut opts = super::launch_options(&args.launch, &args.lockfile, &args.cache, env)?;
    opts.ignore_java_version = super::ignore_java_version(args.ignore_java_version, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::PrintCommand)?;
    launch::warn_missing(env, &opts, &prepared);
    let Some(plain) = &prepared.command else {
        anyhow::bail!("internal error: print-command prepared no command");
    };
    // Only on request: an archive is valid for this machine's Java and jars alone.
    let with_cds;
    let command = if args.cds {
        with_cds = prepared
            .with_cds(env, &opts, launch::cds::aot_wanted(env))
            .unwrap_or_else(|why| {
                crate::ui::warn(env, &format!("--cds: no class-data sharing: {why}"));
                plain.clone()
            });
        &with_cds
    } else {
        plain
    };
    let shell = match args.format {
        CommandFormat::Json => {
            return crate::ui::print_json(&command.to_json()?).map(|()| ExitCode::SUCCESS)
        }
        CommandFormat::Shell => Shell::for_os(env.os),
        CommandFormat::Sh => Shell::Posix,
        CommandFormat::Powershell => Shell::PowerShell,
    };
    crate::ui::print(&format!("{}\n", command.to_shell_line(shell)?))?;
    Ok(ExitCode::SUCCESS)
}
