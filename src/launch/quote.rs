//! Turns an argv into one line a shell runs as exactly that argv: POSIX sh on Unix, PowerShell
//! on Windows. `print-command` output is meant to be pasted or put in backticks, and the
//! Python helper printed it unquoted, so a path with a space broke it; here every word that needs
//! it is quoted. Both dialects are plain functions over strings so either can be tested anywhere.

use std::borrow::Cow;

use crate::env::Os;

/// A shell dialect for the printed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// POSIX sh (and bash, zsh, dash…): words quoted by `shlex`.
    Posix,
    /// Windows PowerShell and PowerShell 7: single-quoted words, run with the call operator `&`.
    PowerShell,
}

impl Shell {
    /// The shell users of `os` paste commands into.
    pub fn for_os(os: Os) -> Shell {
        if os.is_windows() {
            Shell::PowerShell
        } else {
            Shell::Posix
        }
    }
}

/// A word that cannot be quoted for any shell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot quote {word:?} for the shell: it contains a NUL character")]
pub struct NulError {
    pub word: String,
}

fn reject_nul(word: &str) -> Result<(), NulError> {
    if word.contains('\0') {
        Err(NulError {
            word: word.replace('\0', "\\0"),
        })
    } else {
        Ok(())
    }
}

/// The command line `program args…` quoted for `shell`.
pub fn command_line(shell: Shell, program: &str, args: &[&str]) -> Result<String, NulError> {
    match shell {
        Shell::Posix => posix_line(program, args),
        Shell::PowerShell => powershell_line(program, args),
    }
}

/// One argument quoted for `shell` (not for the program position, see [`powershell_line`]).
pub fn word(shell: Shell, word: &str) -> Result<Cow<'_, str>, NulError> {
    match shell {
        Shell::Posix => {
            reject_nul(word)?;
            shlex::try_quote(word).map_err(|_| NulError { word: word.into() })
        }
        Shell::PowerShell => powershell_quote(word),
    }
}

/// Words joined for POSIX sh; each word that needs it is quoted by `shlex`.
pub fn posix_line(program: &str, args: &[&str]) -> Result<String, NulError> {
    for word in std::iter::once(&program).chain(args) {
        reject_nul(word)?;
    }
    shlex::try_join(std::iter::once(program).chain(args.iter().copied())).map_err(|_| NulError {
        word: program.to_string(),
    })
}

/// Characters PowerShell treats as a single quote inside a single-quoted string: the ASCII one and
/// the typographic ones (U+2018..U+201B). Each must be doubled to stand for itself.
const POWERSHELL_SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// True for words PowerShell passes to a native program unchanged without quotes. Deliberately
/// narrow: PowerShell splits `-Dkey.name=value` at the dot, and treats `$ @ ( ) { } ; , ` ' "`
/// and more specially, so everything else is quoted.
fn powershell_bare(word: &str) -> bool {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let dashed_word = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let dotted_name = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    dashed_word || dotted_name
}

/// One word quoted for PowerShell: a single-quoted string (no variable expansion, no escapes)
/// with every single-quote character doubled, or the word itself when that is safe.
pub fn powershell_quote(word: &str) -> Result<Cow<'_, str>, NulError> {
    reject_nul(word)?;
    if powershell_bare(word) {
        return Ok(Cow::Borrowed(word));
    }
    Ok(Cow::Owned(single_quoted(word)))
}

/// `'word'` with every character PowerShell reads as a single quote doubled.
fn single_quoted(word: &str) -> String {
    let mut out = String::with_capacity(word.len() + 2);
    out.push('\'');
    for c in word.chars() {
        if POWERSHELL_SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `& 'program' args…`: the call operator makes PowerShell run a quoted program path instead of
/// printing it as a string.
pub fn powershell_line(program: &str, args: &[&str]) -> Result<String, NulError> {
    reject_nul(program)?;
    let mut line = format!("& {}", single_quoted(program));
    for arg in args {
        line.push(' ');
        line.push_str(&powershell_quote(arg)?);
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_quotes_only_what_needs_it() {
        let line = posix_line(
            "/usr/lib/jvm/j/bin/java",
            &["-Xmx1g", "-cp", "/a b/x.jar:/it's/$HOME", "Main"],
        )
        .unwrap();
        assert!(
            line.starts_with("/usr/lib/jvm/j/bin/java -Xmx1g -cp "),
            "{line}"
        );
        assert!(line.ends_with(" Main"), "{line}");
        assert_eq!(
            shlex::split(&line).unwrap(),
            vec![
                "/usr/lib/jvm/j/bin/java",
                "-Xmx1g",
                "-cp",
                "/a b/x.jar:/it's/$HOME",
                "Main"
            ]
        );
    }

    #[test]
    fn nul_is_an_error_in_both_dialects() {
        for shell in [Shell::Posix, Shell::PowerShell] {
            let err = command_line(shell, "/j", &["a\0b"]).unwrap_err();
            assert_eq!(
                err.to_string(),
                "cannot quote \"a\\\\0b\" for the shell: it contains a NUL character"
            );
            assert!(command_line(shell, "/j\0", &[]).is_err());
        }
    }

    #[test]
    fn powershell_uses_call_operator_and_doubles_single_quotes() {
        let line = powershell_line(
            r"C:\Program Files\Java\jdk-17\bin\java.exe",
            &[
                "-Dlog.level=debug",
                "-cp",
                r"C:\it's here\a.jar;C:\$x\b.jar",
                "software.amazon.kinesis.multilang.MultiLangDaemon",
                "--properties-file",
                "C:\\q\u{2019}s\\app.properties",
                "",
            ],
        )
        .unwrap();
        assert_eq!(
            line,
            "& 'C:\\Program Files\\Java\\jdk-17\\bin\\java.exe' '-Dlog.level=debug' -cp \
             'C:\\it''s here\\a.jar;C:\\$x\\b.jar' software.amazon.kinesis.multilang.MultiLangDaemon \
             --properties-file 'C:\\q\u{2019}\u{2019}s\\app.properties' ''"
        );
        assert_eq!(
            powershell_line(r"C:\o'neil\java.exe", &[]).unwrap(),
            r"& 'C:\o''neil\java.exe'"
        );
    }

    #[test]
    fn powershell_bare_words_are_narrow() {
        for bare in ["-cp", "--properties-file", "-Xmx1g", "a.b.C", "x_y"] {
            assert_eq!(powershell_quote(bare).unwrap(), bare);
        }
        for quoted in [
            "-Da.b=c", "a b", "$x", "@a", "(x)", "a;b", "1.2", ".x", "a,b", "`x",
        ] {
            assert!(
                powershell_quote(quoted).unwrap().starts_with('\''),
                "{quoted}"
            );
        }
    }

    #[test]
    fn shell_follows_os() {
        assert_eq!(Shell::for_os(Os::Windows), Shell::PowerShell);
        assert_eq!(Shell::for_os(Os::Linux), Shell::Posix);
        assert_eq!(Shell::for_os(Os::MacOs), Shell::Posix);
    }
}
