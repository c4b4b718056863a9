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

/// Creates a new, empty temp file for `path` in its own folder (same filesystem, so the final
/// rename is atomic) and returns it, open for writing. The name is hidden and random
/// (`.<name>.<pid>-<random>.part`, which [`is_temp_of`] recognises), and the file is created
/// exclusively (`O_EXCL`): never an existing file and never through a symlink planted at that
/// name, so no one can steer the write elsewhere or read along. Mode 644 before the umask.
pub fn create_temp(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut last = None;
    // A clash of 64 random bits means someone plants names: a few tries, then give up.
    for _ in 0..8 {
        let tmp = path.with_file_name(format!(
            ".{name}.{}-{:016x}.part",
            std::process::id(),
            fastrand::u64(..)
        ));
        let mut options = std::fs::File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o644);
        }
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temp file name")))
}

/// True when the file name `candidate` is a temp file [`create_temp`] made for the file `name`.
pub fn is_temp_of(candidate: &str, name: &str) -> bool {
    candidate
        .strip_prefix('.')
        .and_then(|rest| rest.strip_prefix(name))
        .is_some_and(|rest| rest.starts_with('.') && rest.ends_with(".part"))
}

/// Opens an existing file for writing (appending or truncating) without following a symlink in
/// its last component: for re-opening a temp file [`create_temp`] made.
pub fn reopen_temp(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::File::options();
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    no_follow(&mut options);
    options.open(path)
}

/// Makes `options` refuse a symlink as the last path component (`O_NOFOLLOW`; Unix only).
pub fn no_follow(options: &mut std::fs::OpenOptions) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        #[allow(clippy::cast_possible_wrap)]
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(not(unix))]
    let _ = options;
}

/// Creates `dir` and its missing parents, none of them writable by group or others (mode 755
/// before the umask), so a folder kclrs makes passes its own ownership check (`cache.rs`) even
/// under a umask of 002.
pub fn create_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o755);
    }
    builder.create(dir)
}

/// The effective user id kclrs runs as (Unix).
#[cfg(unix)]
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Why a file or folder with `meta` cannot be trusted by the user `uid`, if it cannot: another
/// user owns it (root excepted: root can change anything anyway), or group or others may write
/// it. The rule ssh applies to `~/.ssh`.
#[cfg(unix)]
pub fn owner_problem(meta: &std::fs::Metadata, uid: u32) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    if meta.uid() != uid && meta.uid() != 0 {
        return Some(format!("is owned by user {} (you are {uid})", meta.uid()));
    }
    let mode = meta.mode() & 0o7777;
    (mode & 0o022 != 0).then(|| format!("is writable by group or others (mode {mode:o})"))
}

/// Why another user could change what is in the folder `dir`, if they could: `dir` fails
/// [`owner_problem`], or a folder above it does (where a shared folder with the sticky bit, like
/// `/tmp`, passes: others cannot rename or replace what they do not own there). `None` on
/// platforms without Unix ownership, and for folders that cannot be read (nothing to trust).
pub fn shared_folder_problem(dir: &Path) -> Option<(PathBuf, String)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = current_uid();
        let dir = std::fs::canonicalize(dir).ok()?;
        let meta = std::fs::metadata(&dir).ok()?;
        if let Some(problem) = owner_problem(&meta, uid) {
            return Some((dir, problem));
        }
        for above in dir.ancestors().skip(1) {
            let Ok(meta) = std::fs::metadata(above) else {
                continue;
            };
            let trusted_owner = meta.uid() == uid || meta.uid() == 0;
            if trusted_owner && meta.mode() & 0o1000 != 0 {
                continue;
            }
            if let Some(problem) = owner_problem(&meta, uid) {
                return Some((above.to_path_buf(), problem));
            }
        }
        None
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        None
    }
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

    /// Issue 21, finding 4: a temp file is never an existing file nor a planted symlink.
    #[cfg(unix)]
    #[test]
    fn temp_files_are_new_random_and_never_written_through_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.jar");
        let (one, mut file) = create_temp(&target).unwrap();
        let (two, _) = create_temp(&target).unwrap();
        assert_ne!(one, two);
        let name = one.file_name().unwrap().to_str().unwrap();
        assert!(is_temp_of(name, "a.jar"), "{name}");
        assert!(!is_temp_of(name, "a.ja"), "{name}");
        let mode = std::fs::metadata(&one).unwrap().permissions().mode();
        assert_eq!(mode & 0o022, 0, "{mode:o}");
        std::io::Write::write_all(&mut file, b"x").unwrap();
        // A symlink at a temp name is never opened through.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let link = dir.path().join(".a.jar.1-1.part");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(reopen_temp(&link, true).is_err());
        assert!(reopen_temp(&link, false).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
