//! One module per subcommand. Each turns its parsed arguments into calls on the domain modules
//! and decides what goes to stdout; none of them holds logic another subcommand also needs (that
//! lives in the domain modules so `run`, `print-command` and `download-jars` share it).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::cache::Cache;
use crate::cli::{CacheArgs, Cli, Command};
use crate::env::Env;

pub mod completions;
pub mod download_jars;
pub mod java;
pub mod lock;
pub mod print_classpath;
pub mod print_command;
pub mod run;
pub mod verify;

/// Runs the parsed subcommand.
pub fn dispatch(cli: Cli, env: &Env) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::PrintCommand(args) => print_command::run(&args, env),
        Command::PrintClasspath(args) => print_classpath::run(&args, env),
        Command::Run(args) => run::run(&args, env),
        Command::DownloadJars(args) => download_jars::run(&args, env),
        Command::Verify(args) => verify::run(&args, env),
        Command::Lock(args) => lock::run(&args, env),
        Command::Java(args) => java::run(&args, env),
        Command::Completions(args) => completions::run(&args),
    }
}

/// The cache selected by `--cache-dir`, `KCLRS_CACHE_DIR` or the platform default.
pub fn cache_from(args: &CacheArgs, env: &Env) -> anyhow::Result<Cache> {
    let root: PathBuf = match &args.cache_dir {
        Some(dir) => env.absolute(dir),
        None => env.default_cache_dir()?,
    };
    Ok(Cache::new(root))
}
