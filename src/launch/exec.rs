//! Starts the JVM for `kclrs run`. On Unix kclrs replaces itself with java (`exec`), so the
//! daemon's pid is the one a supervisor knows and SIGTERM/SIGINT reach the JVM's shutdown hooks
//! directly (the Node launcher's child process swallowed them). Windows has no exec: kclrs
//! spawns java, lets Ctrl-C reach it (the console delivers it to both), waits and exits with
//! Java's code.

use std::process::{Command, ExitCode};

use crate::error::{Exit, UserError};

use super::JavaCommand;

fn command(cmd: &JavaCommand) -> Command {
    let mut command = Command::new(&cmd.program);
    command.args(&cmd.args).current_dir(&cmd.cwd);
    command
}

fn cannot_start(cmd: &JavaCommand, err: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(err).context(
        UserError::new(
            Exit::Java,
            format!("cannot start Java at {}", cmd.program.display()),
        )
        .hint("check the installation, or pick another with --java (see `kclrs java`)"),
    )
}

/// Replaces this process with the JVM. Returns only when that fails.
#[cfg(unix)]
pub fn exec(cmd: &JavaCommand) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    // exec discards buffers that were not written yet.
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let err = command(cmd).exec();
    Err(cannot_start(cmd, err))
}

/// Runs the JVM as a child, ignores Ctrl-C in kclrs (the JVM gets it too and shuts down), and
/// exits with the JVM's exit code, which may not fit the 0..=255 of `ExitCode`.
#[cfg(windows)]
pub fn exec(cmd: &JavaCommand) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    ctrlc::set_handler(|| {}).context("cannot install the Ctrl-C handler")?;
    let status = command(cmd)
        .status()
        .map_err(|err| cannot_start(cmd, err))?;
    std::process::exit(status.code().unwrap_or(1))
}
