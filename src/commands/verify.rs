//! `kclrs verify`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::VerifyArgs;
use crate::env::Env;

pub fn run(_args: &VerifyArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs verify` is not implemented yet",
    )
}
