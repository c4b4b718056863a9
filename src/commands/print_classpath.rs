//! `kclrs print-classpath`: not built yet; its issue describes it.

use std::process::ExitCode;

use crate::cli::PrintClasspathArgs;
use crate::env::Env;

pub fn run(_args: &PrintClasspathArgs, _env: &Env) -> anyhow::Result<ExitCode> {
    crate::error::fail(
        crate::error::Exit::Failure,
        "`kclrs print-classpath` is not implemented yet",
    )
}
