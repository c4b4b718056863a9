//! `kclrs run`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::RunArgs;
use crate::env::Env;

pub fn run(_args: &RunArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs run` is not implemented yet",
    )
}
