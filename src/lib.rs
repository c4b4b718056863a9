//! kclrs: a single binary that replaces `amazon_kclpy_helper.py` and the `download_jars` step of the
//! KCL language wrappers. The library half exists so that every domain module (Maven resolution,
//! the lockfile, downloads, the cache, Java discovery, properties, launching) can be unit-tested and
//! benchmarked without going through the command line; only `cli` and `commands` know about clap.
//! The modules form layers whose imports point down only; ARCHITECTURE.md has the map.

pub mod bundle;
pub mod cache;
pub mod classfile;
pub mod cli;
pub mod commands;
pub mod digest;
pub mod env;
pub mod error;
pub mod fetch;
pub mod java;
pub mod launch;
pub mod lockfile;
pub mod locking;
pub mod maven;
pub mod paths;
pub mod progress;
pub mod properties;
pub mod sample;
pub mod terminal;
pub mod transport;
pub mod ui;
pub mod xml;

use std::process::ExitCode;

/// Parses the command line, captures the process environment once, and runs the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = cli::parse();
    let env = env::Env::from_process()?;
    commands::dispatch(cli, &env)
}
