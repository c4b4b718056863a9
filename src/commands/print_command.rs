//! `kclrs print-command`: prints the java command that starts the MultiLangDaemon, quoted for
//! the shell (so it can be pasted or put in backticks) or as JSON for programs. It also holds
//! the one translation of the shared launch flags into [`LaunchOptions`], used by
//! `print-classpath` and `run` as well.

use std::process::ExitCode;

use crate::cli::{CacheArgs, CommandFormat, LaunchArgs, LockfileArgs, PrintCommandArgs};
use crate::env::Env;
use crate::launch::{self, LaunchOptions, Purpose, Shell};

/// The launch flags as plain options for the `launch` module.
pub(crate) fn launch_options(
    launch: &LaunchArgs,
    lockfile: &LockfileArgs,
    cache: &CacheArgs,
    env: &Env,
) -> anyhow::Result<LaunchOptions> {
    Ok(LaunchOptions {
        properties: launch.properties.clone(),
        sample: launch.sample,
        classpath: launch.classpath.clone(),
        log_configuration: launch.log_configuration.clone(),
        java: launch.java.clone(),
        jvm_args: launch.jvm_args.clone(),
        lockfile: lockfile.lockfile.clone(),
        cache_dir_flag: cache.cache_dir.clone(),
        cache: super::cache_from(cache, env)?,
        jars_dir: launch.jars_dir.clone(),
        strict: launch.strict,
    })
}

pub fn run(args: &PrintCommandArgs, env: &Env) -> anyhow::Result<ExitCode> {
    let opts = launch_options(&args.launch, &args.lockfile, &args.cache, env)?;
    let prepared = launch::prepare(env, &opts, Purpose::PrintCommand)?;
    launch::warn_missing(env, &opts, &prepared);
    let Some(command) = &prepared.command else {
        anyhow::bail!("internal error: print-command prepared no command");
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
