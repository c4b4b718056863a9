//! `kclrs java`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::JavaArgs;
use crate::env::Env;

pub fn run(_args: &JavaArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs java` is not implemented yet",
    )
}
