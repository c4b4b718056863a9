//! `kclrs download-jars`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::DownloadJarsArgs;
use crate::env::Env;

pub fn run(_args: &DownloadJarsArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs download-jars` is not implemented yet",
    )
}
