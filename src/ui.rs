//! Terminal output shared by all subcommands: `warning:` lines on stderr and stdout writes that
//! surface a closed pipe as an error instead of panicking like `println!`, so
//! `kclrs print-classpath | head` exits quietly.
//!
//! Two separate questions about stderr: may progress be drawn (it is a terminal), and may text be
//! coloured (clap's rules, so kclrs's own `error:`/`warning:` look like clap's: `CLICOLOR_FORCE`
//! forces colour, a non-empty `NO_COLOR` or `CLICOLOR=0` turns it off, `TERM=dumb` too, else
//! colour on a terminal). `NO_COLOR` is about colour only (no-color.org): progress stays.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use crate::env::Env;

/// Whether stderr is a terminal, so progress bars may be drawn (`-q` aside).
pub fn stderr_is_tty(_env: &Env) -> bool {
    std::io::stderr().is_terminal()
}

/// Whether kclrs's messages on stderr may carry ANSI colours.
pub fn stderr_color(env: &Env) -> bool {
    color_choice(std::io::stderr().is_terminal(), |k| {
        env.var_os(k).map(ToOwned::to_owned)
    })
}

/// [`stderr_color`] from the process environment, for errors reported before (or without) an
/// [`Env`].
pub fn stderr_color_of_process() -> bool {
    color_choice(std::io::stderr().is_terminal(), |k| std::env::var_os(k))
}

/// The colour decision of clap's terminal layer, from whether the stream is a terminal and the
/// environment.
fn color_choice(tty: bool, var: impl Fn(&str) -> Option<OsString>) -> bool {
    if var("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
        return true;
    }
    if var("NO_COLOR").is_some_and(|v| !v.is_empty()) || var("CLICOLOR").is_some_and(|v| v == "0") {
        return false;
    }
    let term_ok = var("TERM").map_or(cfg!(windows), |t| t != "dumb");
    tty && term_ok
}

/// Prints `warning: msg` to stderr, through [`crate::terminal::escape`].
pub fn warn(env: &Env, msg: &str) {
    let line = format!(
        "{} {}\n",
        crate::error::label(stderr_color(env), "warning"),
        crate::terminal::escape(msg)
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Prints `msg` to stderr (progress-free informational line) through
/// [`crate::terminal::escape`], unless `quiet`.
pub fn note(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(std::io::stderr(), "{}", crate::terminal::escape(msg));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(tty: bool, vars: &[(&str, &str)]) -> bool {
        color_choice(tty, |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| OsString::from(v))
        })
    }

    #[test]
    fn colour_follows_clap_rules() {
        let term = ("TERM", "xterm");
        assert!(choice(true, &[term]));
        assert!(!choice(false, &[term]));
        assert!(!choice(true, &[term, ("NO_COLOR", "1")]));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(choice(true, &[term, ("NO_COLOR", "")]));
        assert!(!choice(true, &[term, ("CLICOLOR", "0")]));
        assert!(!choice(true, &[("TERM", "dumb")]));
        assert!(choice(false, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
        assert!(!choice(false, &[("CLICOLOR_FORCE", "0")]));
    }
}
