//! `kclrs print-command`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::PrintCommandArgs;
use crate::env::Env;

pub fn run(_args: &PrintCommandArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs print-command` is not implemented yet",
    )
}
