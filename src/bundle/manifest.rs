//! `DIR/bundle.lock`: what a bundle was made from and the hash of every file in it, so
//! `kclrs bundle --check DIR` can tell, byte for byte, whether the directory is still what
//! `kclrs bundle` wrote. It records the jars lock's input hash and origin, the Java the runtime
//! was linked from, the module list (and why each module beyond `jdeps`'s answer is there), the
//! CDS archive and the absolute path it is valid for, then one entry per file or symlink.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{Exit, UserError};

/// The file name inside DIR.
pub const NAME: &str = "bundle.lock";
/// The only format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Everything `bundle.lock` holds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    pub version: u32,
    /// The kclrs version that wrote the bundle.
    pub kclrs: String,
    /// The jars lock it was made from, as kclrs names it in messages.
    pub lockfile: String,
    /// That lock's `input-hash` (empty when the lock records none).
    pub lock_input_hash: String,
    pub main_class: String,
    pub java: JavaInfo,
    /// The CDS archive, when one was made.
    pub cds: Option<CdsInfo>,
    #[serde(default, rename = "jar")]
    pub jars: Vec<JarEntry>,
    /// Every other file and symlink (runtime, launchers, archive), sorted by path.
    #[serde(default, rename = "file")]
    pub files: Vec<FileEntry>,
}

/// The Java the runtime was linked from and what went into it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct JavaInfo {
    pub home: String,
    pub version: String,
    /// The modules of the runtime, sorted.
    pub modules: Vec<String>,
    /// What `jdeps` found from the lock's roots.
    pub jdeps_modules: Vec<String>,
    /// `module: reason` for each module added beyond `jdeps`'s answer.
    pub added_modules: Vec<String>,
    /// The jlink options used (besides `--add-modules` and `--output`).
    pub jlink_options: Vec<String>,
}

/// The class-data-sharing archive.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CdsInfo {
    /// Relative to DIR.
    pub path: String,
    /// The absolute DIR the archive was made for: on Java 17 a CDS archive only maps while the
    /// classpath's jars sit at the paths they had when it was dumped.
    pub valid_at: String,
    /// How many classes the training run loaded (lines of its class list).
    pub classes: usize,
    /// How many classes of the record path were added to them (none in bundles made before).
    #[serde(default)]
    pub record_path_classes: usize,
}

/// One locked jar in `lib/`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JarEntry {
    pub coords: String,
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// One file (hash and size) or symlink (target) of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Manifest {
    pub fn to_toml(&self) -> anyhow::Result<String> {
        let body = toml::to_string(self).context("cannot write bundle.lock")?;
        Ok(format!(
            "# Written by `kclrs bundle`. `kclrs bundle --check DIR` re-hashes every file below.\n{body}"
        ))
    }

    /// Reads `DIR/bundle.lock`; errors name the file (exit 3, or 6 when it is missing: then
    /// DIR is no bundle at all, which is what `--check` reports).
    pub fn load(dir: &Path) -> anyhow::Result<Manifest> {
        let path = dir.join(NAME);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                return Err(anyhow::Error::new(e).context(
                    UserError::new(Exit::Check, format!("cannot read {}", path.display()))
                        .hint("pass a directory written by `kclrs bundle --dest DIR`"),
                ))
            }
        };
        let manifest: Manifest = toml::from_str(&text).map_err(|e| {
            UserError::new(
                Exit::Input,
                format!("{}: {}", path.display(), e.message().trim()),
            )
            .hint("rebuild the bundle with `kclrs bundle --dest DIR`")
        })?;
        if manifest.version != FORMAT_VERSION {
            return Err(UserError::new(
                Exit::Input,
                format!(
                    "{}: unknown bundle.lock version {} (this kclrs reads version {FORMAT_VERSION})",
                    path.display(),
                    manifest.version
                ),
            )
            .into());
        }
        Ok(manifest)
    }
}

/// `path` relative to `root`, `/`-separated (the form bundle.lock stores).
fn relative(root: &Path, path: &Path) -> String {
    let rest = path.strip_prefix(root).unwrap_or(path);
    rest.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every file and symlink under `root/sub` (recursively, symlinks not followed), sorted by path.
pub fn walk(root: &Path, sub: &str) -> anyhow::Result<Vec<PathBuf>> {
    fn go(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        let entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                go(&entry.path(), out)?;
            } else {
                out.push(entry.path());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    let start = root.join(sub);
    if start.exists() {
        go(&start, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// The entry describing `path` as it is now.
pub fn describe(root: &Path, path: &Path) -> anyhow::Result<FileEntry> {
    let meta = std::fs::symlink_metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let rel = relative(root, path);
    if meta.file_type().is_symlink() {
        let target =
            std::fs::read_link(path).with_context(|| format!("cannot read {}", path.display()))?;
        return Ok(FileEntry {
            path: rel,
            sha256: None,
            size: None,
            link: Some(target.to_string_lossy().into_owned()),
        });
    }
    let (sha, size) = crate::digest::hash_file(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(FileEntry {
        path: rel,
        sha256: Some(sha),
        size: Some(size),
        link: None,
    })
}

/// Entries for every file under the given subfolders of `root`, sorted by path.
pub fn describe_all(root: &Path, subs: &[&str]) -> anyhow::Result<Vec<FileEntry>> {
    let mut out = Vec::new();
    for sub in subs {
        for path in walk(root, sub)? {
            out.push(describe(root, &path)?);
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// What `--check` found different, per kind, paths relative to DIR.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Differences {
    pub changed: Vec<String>,
    pub missing: Vec<String>,
    /// Files in the bundle's folders that bundle.lock does not list.
    pub extra: Vec<String>,
    /// Files hashed.
    pub checked: usize,
}

impl Differences {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// The folders of a bundle whose every file bundle.lock lists.
pub const TRACKED: &[&str] = &["bin", "cds", "lib", "runtime"];

/// Re-hashes every jar and file `manifest` lists under `dir`, and lists files it does not.
pub fn compare(dir: &Path, manifest: &Manifest) -> anyhow::Result<Differences> {
    let mut diff = Differences::default();
    let mut listed = BTreeSet::new();
    let expected = manifest
        .jars
        .iter()
        .map(|j| FileEntry {
            path: j.path.clone(),
            sha256: Some(j.sha256.clone()),
            size: Some(j.size),
            link: None,
        })
        .chain(manifest.files.iter().cloned());
    for want in expected {
        listed.insert(want.path.clone());
        let path = crate::paths::join_repo_path(dir, &want.path);
        crate::paths::ensure_under(dir, &path)?;
        if std::fs::symlink_metadata(&path).is_err() {
            diff.missing.push(want.path);
            continue;
        }
        diff.checked += 1;
        if describe(dir, &path)? != want {
            diff.changed.push(want.path);
        }
    }
    for sub in TRACKED {
        for path in walk(dir, sub)? {
            let rel = relative(dir, &path);
            if !listed.contains(&rel) {
                diff.extra.push(rel);
            }
        }
    }
    Ok(diff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(dir: &Path) -> Manifest {
        Manifest {
            version: FORMAT_VERSION,
            kclrs: "0".into(),
            lockfile: "l".into(),
            lock_input_hash: String::new(),
            main_class: "M".into(),
            java: JavaInfo {
                home: "/j".into(),
                version: "17".into(),
                modules: vec!["java.base".into()],
                jdeps_modules: vec!["java.base".into()],
                added_modules: vec![],
                jlink_options: vec![],
            },
            cds: None,
            jars: vec![],
            files: describe_all(dir, TRACKED).unwrap(),
        }
    }

    #[test]
    fn compare_sees_changed_missing_and_extra_files() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        std::fs::create_dir_all(d.join("runtime/lib")).unwrap();
        std::fs::write(d.join("runtime/lib/a"), b"a").unwrap();
        std::fs::write(d.join("runtime/lib/b"), b"b").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("a", d.join("runtime/lib/l")).unwrap();
        let m = manifest(d);
        let text = m.to_toml().unwrap();
        std::fs::write(d.join(NAME), &text).unwrap();
        assert_eq!(Manifest::load(d).unwrap(), m);
        assert!(compare(d, &m).unwrap().is_empty());

        std::fs::write(d.join("runtime/lib/a"), b"A").unwrap();
        std::fs::remove_file(d.join("runtime/lib/b")).unwrap();
        std::fs::write(d.join("runtime/lib/new"), b"n").unwrap();
        let diff = compare(d, &m).unwrap();
        assert_eq!(diff.changed, vec!["runtime/lib/a"]);
        assert_eq!(diff.missing, vec!["runtime/lib/b"]);
        assert_eq!(diff.extra, vec!["runtime/lib/new"]);
    }

    #[test]
    fn a_missing_bundle_lock_is_a_check_failure_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        let err = Manifest::load(tmp.path()).unwrap_err();
        assert_eq!(crate::error::classify(&err).0, Exit::Check);
        assert!(err.to_string().contains("bundle.lock"), "{err}");
    }
}
