//! Checks `executableName` the way the MultiLangDaemon will use it, so a typo or a path with
//! spaces shows up before the JVM starts and the first lease is taken.
//!
//! The daemon splits the value on runs of spaces (`split(" +")`, tabs are not separators) and
//! hands the pieces to `ProcessBuilder` — no shell, so no quoting, no `~`, no variables. The
//! child inherits the daemon's working directory (kclrs's, since `run` execs in place) and
//! `PATH`. On Unix, Java looks a program without `/` up in `PATH` only (an empty entry means the
//! working directory; an unset `PATH` means `:/bin:/usr/bin`); a program with `/` is a path
//! relative to the working directory. On Windows, `CreateProcess` also tries the working
//! directory and appends `.exe` when the name has no extension.

use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::java::probe::is_executable;

/// The pieces the daemon makes of `executableName`: Java's `split(" +")`, which keeps a leading
/// empty piece and drops trailing ones.
pub fn split_command(value: &str) -> Vec<&str> {
    let mut pieces: Vec<&str> = Vec::new();
    let mut rest = value;
    loop {
        match rest.find(' ') {
            Some(i) => {
                pieces.push(&rest[..i]);
                rest = rest[i..].trim_start_matches(' ');
            }
            None => {
                pieces.push(rest);
                break;
            }
        }
    }
    while pieces.len() > 1 && pieces.last().is_some_and(|p| p.is_empty()) {
        pieces.pop();
    }
    pieces
}

/// Where the daemon would find `program`, or why it would not.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(PathBuf),
    NotExecutable(PathBuf),
    NotFound,
}

fn has_separator(program: &str, env: &Env) -> bool {
    program.contains('/') || (env.os.is_windows() && program.contains('\\'))
}

/// Resolves `program` as Java's `ProcessBuilder` would on `env.os`.
pub fn lookup(program: &str, env: &Env) -> Lookup {
    let names: Vec<String> = if env.os.is_windows() && Path::new(program).extension().is_none() {
        vec![format!("{program}.exe"), program.to_string()]
    } else {
        vec![program.to_string()]
    };
    let dirs: Vec<PathBuf> = if has_separator(program, env) || Path::new(program).is_absolute() {
        vec![env.cwd.clone()]
    } else {
        let path = env.var("PATH");
        let path = match (&path, env.os.is_windows()) {
            (Some(p), _) => p.as_str(),
            (None, false) => ":/bin:/usr/bin",
            (None, true) => "",
        };
        let mut dirs: Vec<PathBuf> = path
            .split(env.os.path_list_separator())
            .map(|d| {
                if d.is_empty() {
                    env.cwd.clone()
                } else {
                    env.absolute(Path::new(d))
                }
            })
            .collect();
        if env.os.is_windows() {
            dirs.insert(0, env.cwd.clone());
        }
        dirs
    };
    let mut not_executable = None;
    for dir in &dirs {
        for name in &names {
            let candidate = dir.join(name);
            // Windows decides by extension, not by permission bits.
            let runnable = if env.os.is_windows() {
                candidate.is_file()
            } else {
                is_executable(&candidate)
            };
            if runnable {
                return Lookup::Found(candidate);
            }
            if candidate.is_file() && not_executable.is_none() {
                not_executable = Some(candidate);
            }
        }
    }
    not_executable.map_or(Lookup::NotFound, Lookup::NotExecutable)
}

/// Script-like arguments (`x.py`, `bin/run`) that do not exist relative to the working
/// directory: the interpreter would fail on them for every shard.
fn looks_like_file(arg: &str) -> bool {
    const SCRIPTS: &[&str] = &[
        "py", "rb", "js", "mjs", "cjs", "ts", "pl", "php", "sh", "jar", "lua", "R", "exs",
    ];
    arg.contains('/')
        || Path::new(arg)
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| SCRIPTS.contains(&e))
}

/// Warnings about an `executableName` value (empty when the daemon will be able to start it).
pub fn check(value: &str, env: &Env) -> Vec<String> {
    let pieces = split_command(value);
    let mut warnings = Vec::new();
    let Some(program) = pieces.first().copied().filter(|p| !p.is_empty()) else {
        warnings.push(format!(
            "executableName {:?} starts with a space: the MultiLangDaemon would try to run a program named \"\"",
            super::bounded(value)
        ));
        return warnings;
    };
    let spaced = spaced_path(&pieces, env);
    let shown = super::bounded(program);
    match lookup(program, env) {
        Lookup::Found(_) => {}
        Lookup::NotExecutable(path) => warnings.push(format!(
            "executableName: {} is not executable (chmod +x it, or name its interpreter first, e.g. `python3 {shown}`)",
            path.display()
        )),
        Lookup::NotFound if has_separator(program, env) => warnings.push(format!(
            "executableName: program {shown} does not exist (relative paths start from the working directory {})",
            env.cwd.display()
        )),
        Lookup::NotFound if env.cwd.join(program).is_file() => warnings.push(format!(
            "executableName: program {shown} is not on PATH; it is in the working directory, but the MultiLangDaemon does not look there: write ./{shown} or an absolute path"
        )),
        Lookup::NotFound => warnings.push(format!(
            "executableName: program {shown} is not on PATH"
        )),
    }
    if let Some((range, joined)) = spaced {
        warnings.push(format!(
            "executableName: {} contains spaces, but the MultiLangDaemon splits executableName on spaces and would pass {} as separate words; move it to a path without spaces or point executableName at a wrapper script",
            super::bounded(&joined),
            pieces[range].iter().map(|p| format!("{:?}", super::bounded(p))).collect::<Vec<_>>().join(", ")
        ));
        return warnings;
    }
    for arg in &pieces[1..] {
        if looks_like_file(arg) && !env.absolute(Path::new(arg)).exists() {
            warnings.push(format!(
                "executableName: argument {} does not exist (relative paths start from the working directory {})",
                super::bounded(arg),
                env.cwd.display()
            ));
        }
    }
    warnings
}

/// How deep [`unstartable`] looks under the properties file's folder, and how many entries it
/// reads at most, so a properties file in `/` or `$HOME` costs milliseconds, not a disk scan.
const SEARCH_DEPTH: usize = 4;
const SEARCH_ENTRIES: usize = 5000;

/// For `run`: the program (or script argument) of `executableName` that does not exist at all,
/// so the daemon could start no record processor. Returns the message and a hint, which names a
/// file of the same name under `root` (the properties file's folder) when there is one.
pub fn unstartable(value: &str, env: &Env, root: &Path) -> Option<(String, String)> {
    let pieces = split_command(value);
    let program = pieces.first().copied().filter(|p| !p.is_empty())?;
    let missing = if lookup(program, env) == Lookup::NotFound {
        program
    } else {
        pieces[1..]
            .iter()
            .copied()
            .find(|arg| looks_like_file(arg) && !env.absolute(Path::new(arg)).exists())?
    };
    if spaced_path(&pieces, env).is_some() {
        return None;
    }
    let msg = if missing == program && !has_separator(program, env) {
        format!("executableName: program {} is not on PATH, so the MultiLangDaemon could not start a record processor", super::bounded(program))
    } else {
        format!(
            "executableName: {} does not exist (relative paths start from the working directory {}), so the MultiLangDaemon could not start a record processor",
            super::bounded(missing),
            env.cwd.display()
        )
    };
    let name = Path::new(missing).file_name()?;
    let hint = match find_named(root, name) {
        Some(found) => format!(
            "{} exists: use its path in executableName, e.g. `executableName = {}`",
            found.display(),
            pieces
                .iter()
                .map(|p| if *p == missing { found.to_string_lossy().into_owned() } else { (*p).to_string() })
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => "fix executableName (an absolute path is safest: the daemon starts it from the working directory, without a shell)".to_string(),
    };
    Some((msg, hint))
}

/// The first file called `name` under `root`, breadth first, skipping hidden folders.
fn find_named(root: &Path, name: &std::ffi::OsStr) -> Option<PathBuf> {
    let mut level = vec![root.to_path_buf()];
    let mut seen = 0;
    for _ in 0..=SEARCH_DEPTH {
        let mut next = Vec::new();
        for dir in level {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                seen += 1;
                if seen > SEARCH_ENTRIES {
                    return None;
                }
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                match entry.file_type() {
                    Ok(t) if t.is_dir() && !hidden => next.push(path),
                    Ok(t) if !t.is_dir() && entry.file_name() == name => return Some(path),
                    _ => {}
                }
            }
        }
        level = next;
    }
    None
}

/// The first run of pieces that only exists as a file when joined with spaces again: a path
/// with spaces that the daemon's split tears apart.
fn spaced_path(pieces: &[&str], env: &Env) -> Option<(std::ops::Range<usize>, String)> {
    for start in 0..pieces.len() {
        if env.absolute(Path::new(pieces[start])).exists() {
            continue;
        }
        for end in start + 2..=pieces.len() {
            let joined = pieces[start..end].join(" ");
            if !joined.is_empty() && env.absolute(Path::new(&joined)).exists() {
                return Some((start..end, joined));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Os;

    #[test]
    fn split_like_java() {
        assert_eq!(split_command("a  b c"), ["a", "b", "c"]);
        assert_eq!(split_command(" a"), ["", "a"]);
        assert_eq!(split_command("a   "), ["a"]);
        assert_eq!(split_command("a\tb"), ["a\tb"]);
        assert_eq!(split_command(""), [""]);
    }

    #[cfg(unix)]
    fn exe(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn lookup_follows_java_rules_on_unix() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        exe(&root.join("bin/tool"), 0o755);
        exe(&root.join("cwd/local"), 0o755);
        exe(&root.join("cwd/plain.py"), 0o644);
        let env = Env::fake(Os::Linux, None, root.join("cwd"))
            .with_var("PATH", root.join("bin").display().to_string());
        assert_eq!(lookup("tool", &env), Lookup::Found(root.join("bin/tool")));
        // Not searched in the working directory unless PATH says so.
        assert_eq!(lookup("local", &env), Lookup::NotFound);
        assert_eq!(
            lookup("./local", &env),
            Lookup::Found(root.join("cwd/./local"))
        );
        assert_eq!(
            lookup("plain.py", &env.clone().with_var("PATH", ":")),
            Lookup::NotExecutable(root.join("cwd/plain.py"))
        );
        let with_empty = env.with_var("PATH", format!("{}:", root.join("bin").display()));
        assert_eq!(
            lookup("local", &with_empty),
            Lookup::Found(root.join("cwd/local"))
        );
        assert!(matches!(
            lookup("sh", &Env::fake(Os::Linux, None, root.to_path_buf())),
            Lookup::Found(_)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn warnings_for_missing_unexecutable_and_spaced_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        exe(&root.join("bin/python3"), 0o755);
        exe(&root.join("cwd/app.py"), 0o644);
        exe(&root.join("cwd/my apps/run.py"), 0o755);
        let env = Env::fake(Os::Linux, None, root.join("cwd"))
            .with_var("PATH", root.join("bin").display().to_string());
        assert!(check("python3 app.py", &env).is_empty());
        assert!(check("python3   app.py  --flag", &env).is_empty());
        let w = check("python4 app.py", &env);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("program python4 is not on PATH"), "{w:?}");
        let w = check("app.py", &env);
        assert!(
            w[0].contains("program app.py is not on PATH; it is in the working directory"),
            "{w:?}"
        );
        assert_eq!(
            check("nothing-here.py", &env),
            ["executableName: program nothing-here.py is not on PATH"]
        );
        let w = check("./app.py", &env);
        assert!(w[0].contains("app.py is not executable"), "{w:?}");
        let w = check("./nope.sh", &env);
        assert!(w[0].contains("program ./nope.sh does not exist"), "{w:?}");
        let w = check("python3 missing.py", &env);
        assert!(w[0].contains("argument missing.py does not exist"), "{w:?}");
        let spaced = root.join("cwd/my apps/run.py");
        let w = check(&format!("python3 {}", spaced.display()), &env);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("contains spaces"), "{w:?}");
        let w = check("my apps/run.py", &env);
        assert!(w.iter().any(|m| m.contains("contains spaces")), "{w:?}");
        assert!(check(" python3", &env)[0].contains("starts with a space"));
    }

    #[test]
    fn windows_lookup_tries_cwd_and_exe() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("node.exe"), "").unwrap();
        let env = Env::fake(Os::Windows, None, dir.path().to_path_buf());
        assert_eq!(
            lookup("node", &env),
            Lookup::Found(dir.path().join("node.exe"))
        );
        assert_eq!(lookup("deno", &env), Lookup::NotFound);
    }
}
