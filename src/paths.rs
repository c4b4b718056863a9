//! Repository-relative paths on disk, and the check that a path kclrs writes stays under its root.
//!
//! Coordinates are validated where they enter (lockfile, POMs), but a path that escapes the cache or
//! `--dest` would let a hostile repository overwrite any file the user can write, so every writer
//! also checks the final path here before it opens anything: defence in depth, one rule.

use std::path::{Component, Path, PathBuf};

use crate::error::{Exit, UserError};

/// `root` joined with the `/`-separated Maven repository path `repo_path` (e.g. `Coord::repo_path`).
/// The one place that turns repository paths into file paths; [`ensure_under`] checks the result.
pub fn join_repo_path(root: &Path, repo_path: &str) -> PathBuf {
    let mut path = root.to_path_buf();
    path.extend(repo_path.split('/'));
    path
}

/// True when `name` is one plain path component kclrs may create: not empty, not `.` or `..`, no
/// separator, NUL, control character or `%`-escape.
fn plain_component(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '%'])
        && !name.chars().any(char::is_control)
}

/// Fails (exit 3) unless `path` is `root` followed by plain components only, so opening it cannot
/// leave `root`. Purely lexical: it runs before the path exists.
pub fn ensure_under(root: &Path, path: &Path) -> anyhow::Result<()> {
    let escapes = || {
        UserError::new(
            Exit::Input,
            format!(
                "refusing to write {}: it is not inside {}",
                path.display(),
                root.display()
            ),
        )
        .hint("a coordinate in the lockfile or a POM is not a plain Maven name")
        .into()
    };
    let Ok(rest) = path.strip_prefix(root) else {
        return Err(escapes());
    };
    let mut any = false;
    for c in rest.components() {
        match c {
            Component::Normal(n) if n.to_str().is_some_and(plain_component) => any = true,
            _ => return Err(escapes()),
        }
    }
    if any {
        Ok(())
    } else {
        Err(escapes())
    }
}

/// The file name of a temp file for `path` in its own folder (same filesystem, so the final
/// rename is atomic). Hidden and unique per process and call, so concurrent writers never share one.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(
        ".{name}.{}-{:08x}.part",
        std::process::id(),
        fastrand::u32(..)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_stay_and_traversals_are_refused() {
        let root = Path::new("/c/maven");
        let ok = join_repo_path(root, "a/b/c/1/c-1-x.jar");
        assert_eq!(ok, Path::new("/c/maven/a/b/c/1/c-1-x.jar"));
        ensure_under(root, &ok).unwrap();
        for bad in [
            "a/../../etc/x.jar",
            "..",
            "a/%2e%2e/b",
            "a/b\\..\\c",
            "a/b\u{0}c",
            "",
        ] {
            let p = join_repo_path(root, bad);
            assert!(ensure_under(root, &p).is_err(), "{bad:?} should be refused");
        }
        assert!(ensure_under(root, Path::new("/elsewhere/x")).is_err());
        assert!(ensure_under(root, Path::new("/x")).is_err());
    }
}
