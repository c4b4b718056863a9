//! Errors that the user sees, and the exit codes they map to.
//!
//! Most code returns `anyhow::Error` with context naming the file, flag or artifact involved. Where
//! a caller (or the final exit code) must branch on the kind of failure, the code returns a
//! [`UserError`] somewhere in the chain: it carries the documented exit code and an optional
//! `hint:` line. [`report`] is the one place that prints `error: …` for the whole program.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

/// Documented exit codes (see README, "Exit codes"). `run` returns Java's own code once the JVM runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Unexpected failure: I/O error, bug, anything not classified below.
    Failure = 1,
    /// Bad command line (clap uses 2 as well).
    Usage = 2,
    /// An input file is invalid: properties, lockfile, settings.xml, POM.
    Input = 3,
    /// No suitable Java was found, or the one asked for is unusable.
    Java = 4,
    /// Artifacts could not be obtained: network, missing artifact, checksum mismatch.
    Fetch = 5,
    /// A check found a problem: `verify` saw missing/corrupt jars, `lock --check` saw a stale lock.
    Check = 6,
    /// Ctrl-C (SIGINT) stopped a download: 128 + 2, as shells report it.
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// An error with a documented exit code and an optional hint telling the user what to do next.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UserError {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        UserError {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`, for `file:line:col:`
/// messages. An offset past the end means the end; one inside a character counts that character.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Every character starts with a byte that is not a UTF-8 continuation byte (0b10xx_xxxx).
    let column = before[line_start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count()
        + 1;
    (line, column)
}

/// Shorthand for `Err(UserError::new(..).into())` in functions returning `anyhow::Result`.
pub fn fail<T>(exit: Exit, message: impl Into<String>) -> anyhow::Result<T> {
    Err(UserError::new(exit, message).into())
}

/// Finds the exit code and hint for an error by looking for a [`UserError`] anywhere in its chain.
pub fn classify(err: &anyhow::Error) -> (Exit, Option<&str>) {
    // A UserError attached with `.context(UserError…)` is not reachable through `chain()`
    // (that yields anyhow's wrapper), but anyhow's own downcast looks through every layer.
    if let Some(user) = err.downcast_ref::<UserError>() {
        return (user.exit, user.hint.as_deref());
    }
    for cause in err.chain() {
        if let Some(user) = cause.downcast_ref::<UserError>() {
            return (user.exit, user.hint.as_deref());
        }
    }
    (Exit::Failure, None)
}

/// True when the error is only a closed stdout pipe (`kclrs print-classpath | head -c1`), which
/// well-behaved CLIs treat as success.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Renders `error: top` followed by each distinct cause and the hint, as printed by [`report`].
pub fn render(err: &anyhow::Error) -> String {
    render_styled(err, false)
}

/// [`render`], with `error` and `hint` coloured as clap colours its own when `color`.
pub fn render_styled(err: &anyhow::Error, color: bool) -> String {
    let mut out = String::new();
    let mut previous = String::new();
    for (i, cause) in err.chain().enumerate() {
        // Causes quote files and servers: the one terminal rule applies (see `terminal`).
        let text = crate::terminal::escape(&cause.to_string()).into_owned();
        // anyhow chains often repeat the inner message verbatim (e.g. io::Error wrapped twice).
        if text == previous || (i > 0 && previous.ends_with(&text)) {
            continue;
        }
        if i == 0 {
            out.push_str(&format!("{} {text}\n", label(color, "error")));
        } else {
            out.push_str(&format!("  caused by: {text}\n"));
        }
        previous = text;
    }
    if let (_, Some(hint)) = classify(err) {
        let hint = crate::terminal::escape(hint);
        out.push_str(&format!("{} {hint}\n", label(color, "hint")));
    }
    out
}

/// `label:` (`error`, `warning`, `hint`) in clap's style (colon included) when `color`.
pub fn label(color: bool, label: &str) -> String {
    let code = match label {
        "error" => "1;31",
        "warning" => "1;33",
        _ => "1;32",
    };
    if color {
        format!("\x1b[{code}m{label}:\x1b[0m")
    } else {
        format!("{label}:")
    }
}

/// Prints the error to stderr (labels coloured when `color`, see `ui::stderr_color`) and returns
/// the process exit code. A closed stdout pipe exits 0.
pub fn report(err: &anyhow::Error, color: bool) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    let text = render_styled(err, color);
    let _ = std::io::stderr().write_all(text.as_bytes());
    classify(err).0.into()
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", *self as u8)
    }
}

/// An error's chain on one line (`a: b: c`), for per-artifact reasons inside a longer report.
pub fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.last().is_some_and(|p| p.ends_with(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn line_col_counts_characters_and_clamps() {
        let text = "ab\nçd\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2));
        assert_eq!(line_col(text, 4), (2, 2));
        assert_eq!(line_col(text, 99), (3, 1));
    }

    #[test]
    fn classify_finds_user_error_below_context() {
        let err = Err::<(), _>(UserError::new(Exit::Java, "no java").hint("install one"))
            .context("while choosing java")
            .unwrap_err();
        assert_eq!(classify(&err), (Exit::Java, Some("install one")));
        let text = render(&err);
        assert_eq!(
            text,
            "error: while choosing java\n  caused by: no java\nhint: install one\n"
        );
    }

    #[test]
    fn classify_finds_user_error_used_as_context() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = anyhow::Error::new(io)
            .context(UserError::new(Exit::Input, "cannot read x").hint("h"))
            .context("outer");
        assert_eq!(classify(&err), (Exit::Input, Some("h")));
    }

    #[test]
    fn rendered_errors_escape_terminal_controls() {
        let err =
            Err::<(), _>(UserError::new(Exit::Input, "key a\u{1b}]0;x\u{7}").hint("h\u{202e}"))
                .context("in f\u{0}")
                .unwrap_err();
        assert_eq!(
            render(&err),
            "error: in f\\u{0}\n  caused by: key a\\u{1b}]0;x\\u{7}\nhint: h\\u{202e}\n"
        );
    }

    #[test]
    fn plain_errors_are_failures_and_broken_pipe_is_detected() {
        let err = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&err));
        assert_eq!(classify(&err).0, Exit::Failure);
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
