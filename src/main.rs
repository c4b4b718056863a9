//! Entry point of the `kclrs` binary. Kept thin on purpose: everything that can fail lives behind
//! [`kclrs::run`], and this file owns the single place where a failure becomes `error: …` on stderr
//! and an exit code, so every subcommand reports problems the same way.

use std::process::ExitCode;

fn main() -> ExitCode {
    match kclrs::run() {
        Ok(code) => code,
        Err(err) => kclrs::error::report(&err, kclrs::ui::stderr_color_of_process()),
    }
}
