//! `--dest DIR`: the locked jars as plain files in one folder, for tools that want a lib/ folder.
//! Names follow Maven's `dependency:copy-dependencies` (`artifactId-version[-classifier].ext`,
//! with a `groupId.` prefix on every artifact whose plain name would clash), files are copies of
//! the verified cache entries — never hard links, since DIR is the user's and a jar edited there
//! must not change the shared cache — and jars the lock does not list are
//! removed unless asked not to, so the folder is exactly the classpath and never a stale mix.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Report;
use crate::error::{Exit, UserError};
use crate::maven::Coord;

/// What `--dest` changed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DestReport {
    pub dir: PathBuf,
    /// Path in DIR of each artifact, in lockfile order.
    pub files: Vec<PathBuf>,
    /// Files written or replaced in this run.
    pub placed: usize,
    /// Jars removed because the lock does not list them.
    pub pruned: Vec<PathBuf>,
}

/// File names in DIR for `coords`, in the same order. Fails (exit 3), naming both coordinates,
/// when two artifacts still get the same name after the `groupId.` prefix (`a.b:c:1` and `x:c:1`
/// become `a.b.c-1.jar` and `x.c-1.jar`, and `q:a.b.c:1` is `a.b.c-1.jar` too): one file would
/// silently replace the other. Callers check before fetching, so nothing is written.
pub fn dest_names(coords: &[Coord]) -> anyhow::Result<Vec<String>> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for c in coords {
        *counts.entry(c.file_name()).or_default() += 1;
    }
    let names: Vec<String> = coords
        .iter()
        .map(|c| {
            let name = c.file_name();
            if counts[&name] > 1 {
                format!("{}.{name}", c.group)
            } else {
                name
            }
        })
        .collect();
    let mut owner: HashMap<&str, &Coord> = HashMap::new();
    for (name, coord) in names.iter().zip(coords) {
        if let Some(first) = owner.insert(name, coord) {
            return Err(UserError::new(
                Exit::Input,
                format!("--dest cannot hold both {first} and {coord}: both would be the file {name}"),
            )
            .hint("use the cache layout instead of --dest (`kclrs print-classpath`, or `kclrs run` without --jars-dir), or lock without one of them (--exclude G:A)")
            .into());
        }
    }
    Ok(names)
}

/// Links or copies every artifact of `report` into `dir` and prunes other jars unless `keep_others`.
pub fn materialize(report: &Report, dir: &Path, keep_others: bool) -> anyhow::Result<DestReport> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create --dest {}", dir.display()))?;
    let coords: Vec<Coord> = report.artifacts.iter().map(|a| a.coords.clone()).collect();
    let names = dest_names(&coords)?;
    let mut out = DestReport {
        dir: dir.to_path_buf(),
        ..DestReport::default()
    };
    for (a, name) in report.artifacts.iter().zip(&names) {
        let target = dir.join(name);
        crate::paths::ensure_under(dir, &target)?;
        if place(&a.path, &target)? {
            out.placed += 1;
        }
        out.files.push(target);
    }
    if !keep_others {
        let wanted: BTreeSet<&str> = names.iter().map(String::as_str).collect();
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_file = entry
                .file_type()
                .is_ok_and(|t| t.is_file() || t.is_symlink());
            if is_file && name.ends_with(".jar") && !wanted.contains(name.as_str()) {
                let path = entry.path();
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove {}", path.display()))?;
                out.pruned.push(path);
            }
        }
        out.pruned.sort();
    }
    Ok(out)
}

/// Makes `target` hold the bytes of `src`; false when it already did.
fn place(src: &Path, target: &Path) -> anyhow::Result<bool> {
    let src_meta =
        std::fs::metadata(src).with_context(|| format!("cannot read {}", src.display()))?;
    if let Ok(meta) = std::fs::symlink_metadata(target) {
        if same_bytes(&src_meta, &meta) {
            return Ok(false);
        }
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    let (tmp, mut file) = crate::paths::create_temp(target)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let copied = std::fs::File::open(src).and_then(|mut from| std::io::copy(&mut from, &mut file));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(e)
            .with_context(|| format!("cannot copy {} to {}", src.display(), tmp.display()));
    }
    // The copy gets the cache file's mtime so the next run can tell it is unchanged.
    if let Ok(modified) = src_meta.modified() {
        let _ = file.set_modified(modified);
    }
    drop(file);
    std::fs::rename(&tmp, target).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot move {} into place", target.display())
    })?;
    Ok(true)
}

/// A regular file with the same size and mtime (an earlier copy). A hard link to the cache entry
/// (left by an older kclrs) does not count: it is replaced by a copy, so DIR stops sharing it.
fn same_bytes(src: &std::fs::Metadata, target: &std::fs::Metadata) -> bool {
    if !target.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if src.dev() == target.dev() && src.ino() == target.ino() {
            return false;
        }
    }
    src.len() == target.len()
        && src.modified().ok().is_some()
        && src.modified().ok() == target.modified().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_get_a_group_prefix() {
        let coords: Vec<Coord> = ["a.x:core:1", "b.y:core:1", "a.x:util:1", "c:core:2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            dest_names(&coords).unwrap(),
            [
                "a.x.core-1.jar",
                "b.y.core-1.jar",
                "util-1.jar",
                "core-2.jar"
            ]
        );
    }

    #[test]
    fn names_that_clash_after_the_prefix_are_refused() {
        let coords: Vec<Coord> = ["a.b:c:1", "x:c:1", "q:a.b.c:1"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let e = dest_names(&coords).unwrap_err();
        assert_eq!(crate::error::classify(&e).0, Exit::Input);
        assert!(
            e.to_string()
                .contains("both a.b:c:1 and q:a.b.c:1: both would be the file a.b.c-1.jar"),
            "{e}"
        );
    }
}
