//! Starts the JVM for `kclrs run`. On Unix kclrs stays as its thin parent ([`super::parent`]):
//! the JVM in a process group of its own so that a terminal's Ctrl-C reaches the daemon's shutdown
//! hook and not its record processors, every stop signal forwarded to the JVM, Java's exit code
//! returned (the Node launcher's child process swallowed the signals). Windows has no exec: kclrs
//! spawns java in kclrs's console process group, survives Ctrl-C and Ctrl-Break (the console
//! delivers them to every process of that group, so the JVM gets them and runs its shutdown
//! hooks), waits and exits with Java's code (release/check.sh runs that under wine).

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

/// Runs the JVM as a child in its own process group, forwards stop signals to it and returns
/// its exit code.
#[cfg(unix)]
pub fn exec(cmd: &JavaCommand) -> anyhow::Result<ExitCode> {
    super::parent::run(command(cmd), |err| cannot_start(cmd, err))
}

/// Runs the JVM as a child, ignores Ctrl-C and Ctrl-Break in kclrs (ctrlc's handler answers
/// every console event as handled; the JVM gets the event too and shuts down), and exits with
/// the JVM's exit code, which may not fit the 0..=255 of `ExitCode`.
#[cfg(windows)]
pub fn exec(cmd: &JavaCommand) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    ctrlc::set_handler(|| {}).context("cannot install the Ctrl-C handler")?;
    let status = command(cmd)
        .status()
        .map_err(|err| cannot_start(cmd, err))?;
    std::process::exit(status.code().unwrap_or(1))
}
