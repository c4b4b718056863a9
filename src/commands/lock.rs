//! `kclrs lock`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::LockArgs;
use crate::env::Env;

pub fn run(_args: &LockArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs lock` is not implemented yet",
    )
}
