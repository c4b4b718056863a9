//! Turns an argv into one line a shell runs as exactly that argv: POSIX sh on Unix, PowerShell
//! on Windows. `print-command` output is meant to be pasted, given to `eval`, or put in backticks
//! as the Python helper's README says. The helper printed it unquoted, so a path with a space broke
//! it; quoting every word would break the backticks instead (they split words but never remove
//! quotes, so the JVM would get `'-Dx=y'` with its quotes). So a word is quoted only when a shell
//! would otherwise change it, the rule of Python's `shlex.quote`. Both dialects are plain
//! functions over strings so either can be tested anywhere.

use std::borrow::Cow;

use crate::env::Os;

/// A shell dialect for the printed command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// POSIX sh (and bash, zsh, dash…): words quoted only when they need it.
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
        Shell::Posix => posix_quote(word, false),
        Shell::PowerShell => powershell_quote(word),
    }
}

/// Words joined for POSIX sh; each word that needs it is quoted.
pub fn posix_line(program: &str, args: &[&str]) -> Result<String, NulError> {
    let mut line = posix_quote(program, true)?.into_owned();
    for arg in args {
        line.push(' ');
        line.push_str(&posix_quote(arg, false)?);
    }
    Ok(line)
}

/// Characters no POSIX shell (sh, bash, dash, ksh, zsh) treats specially inside a word: Python's
/// `shlex.quote` leaves a word made only of these bare. (The `shlex` crate also quotes `=`, `%`
/// and `,`, which is what turned `-Dx=y` into `'-Dx=y'`.)
fn posix_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c)
}

/// Words a shell reads as syntax in the command position (bash, ksh and zsh reserved words
/// spelled with plain characters); a program of that name must be quoted to run.
const RESERVED: [&str; 18] = [
    "if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do",
    "done", "in", "function", "time", "coproc", "foreach",
];

/// True when a word of plain characters still changes meaning in a shell: zsh expands a leading
/// `=` to a program's path (`=java` → `/usr/bin/java`); in the command position `NAME=value` is
/// an assignment, `%1` resumes a job, and a reserved word is syntax.
fn posix_special(word: &str, program: bool) -> bool {
    if word.starts_with('=') {
        return true;
    }
    let assignment = word.split_once('=').is_some_and(|(name, _)| {
        name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
    program && (assignment || word.starts_with('%') || RESERVED.contains(&word))
}

/// One word for POSIX sh: bare when the shell reads it as itself, else quoted by `shlex`, whose
/// quoting also holds up in interactive bash and zsh (`!`, `^`) and in fish (`\`).
fn posix_quote(word: &str, program: bool) -> Result<Cow<'_, str>, NulError> {
    reject_nul(word)?;
    let plain = !word.is_empty() && word.chars().all(posix_plain);
    if plain && !posix_special(word, program) {
        return Ok(Cow::Borrowed(word));
    }
    if plain {
        // Only plain characters: single quotes need no escaping (and `shlex` leaves `if` bare).
        return Ok(Cow::Owned(format!("'{word}'")));
    }
    shlex::try_quote(word).map_err(|_| NulError { word: word.into() })
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
    fn posix_leaves_bare_what_python_shlex_quote_leaves_bare() {
        // Python: `shlex.quote(w) == w` exactly for non-empty words of [A-Za-z0-9@%+=:,./_-].
        for bare in [
            "-Daws.cborEnabled=false",
            "-Xmx1g",
            "--properties-file",
            "/opt/kcl/a-1.0.jar:/opt/kcl/b_2.jar",
            "user@host:8080",
            "50%",
            "a,b",
            "+x",
            "key=value",
        ] {
            assert_eq!(word(Shell::Posix, bare).unwrap(), bare);
        }
        for (hostile, quoted) in [
            ("", "''"),
            ("a b", "'a b'"),
            ("$HOME", "'$HOME'"),
            ("*.jar", "'*.jar'"),
            ("~/x", "'~/x'"),
            ("a;b", "'a;b'"),
            ("#x", "'#x'"),
            ("{a,b}", "'{a,b}'"),
            // zsh expands a leading `=` to a program's path.
            ("=java", "'=java'"),
        ] {
            assert_eq!(word(Shell::Posix, hostile).unwrap(), quoted, "{hostile}");
        }
        // Quotes, backslashes, `!` and non-ASCII are quoted; `shlex` decides how.
        for hostile in ["it's", "a\\b", "!x", "caf\u{e9}", "a\nb", "`x`"] {
            assert_ne!(word(Shell::Posix, hostile).unwrap(), hostile);
        }
    }

    #[test]
    fn posix_program_position_quotes_what_would_be_syntax() {
        for (program, quoted) in [
            ("FOO=bar", "'FOO=bar'"),
            ("%1", "'%1'"),
            ("if", "'if'"),
            ("time", "'time'"),
        ] {
            let line = posix_line(program, &["x=1"]).unwrap();
            assert_eq!(line, format!("{quoted} x=1"));
        }
        // Not an assignment: the part before `=` is not a name.
        assert_eq!(posix_line("/opt/x=y/java", &[]).unwrap(), "/opt/x=y/java");
    }

    #[test]
    fn posix_words_survive_a_real_sh_quoted_or_bare() {
        let words = [
            "-Daws.cborEnabled=false",
            "",
            "a b",
            "it's",
            "\"q\" $HOME `x`",
            "a\\b",
            "!x",
            "^x",
            "caf\u{e9}",
            "a\nb",
            "=java",
            "~",
            "*",
            "x=~/y",
            "50%",
            "{a,b}",
        ];
        let line = posix_line("printf", &[&["%s\\0"][..], &words[..]].concat()).unwrap();
        for shell in ["sh", "bash"] {
            let out = std::process::Command::new(shell)
                .args(["-c", &line])
                .env("HOME", "/not-expanded")
                .output()
                .unwrap();
            assert!(out.status.success(), "{shell}: {line}");
            let got = String::from_utf8(out.stdout).unwrap();
            let got: Vec<&str> = got.split_terminator('\0').collect();
            assert_eq!(got, words, "{shell}: {line}");
        }
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
