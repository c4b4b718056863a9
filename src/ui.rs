//! Terminal output shared by all subcommands: `warning:` lines on stderr (coloured only when
//! stderr is a terminal and `NO_COLOR` is unset) and stdout writes that surface a closed pipe as an
//! error instead of panicking like `println!`, so `kclrs print-classpath | head` exits quietly.

use std::io::{IsTerminal, Write};

use crate::env::Env;

/// Whether stderr may carry ANSI colours and progress bars.
pub fn stderr_is_tty(env: &Env) -> bool {
    std::io::stderr().is_terminal() && env.var_os("NO_COLOR").is_none()
}

/// Prints `warning: msg` to stderr.
pub fn warn(env: &Env, msg: &str) {
    let line = if stderr_is_tty(env) {
        format!("\x1b[1;33mwarning\x1b[0m: {msg}\n")
    } else {
        format!("warning: {msg}\n")
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Prints `note: msg` to stderr (progress-free informational line), unless `quiet`.
pub fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(std::io::stderr(), "{msg}");
    }
}

/// Writes `text` to stdout and flushes; errors (including a closed pipe) are returned.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `value` as pretty JSON plus a newline to stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)?;
    Ok(())
}
