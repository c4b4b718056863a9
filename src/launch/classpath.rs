//! Assembles the MultiLangDaemon classpath: the user's `-c` entries, the locked jars in lockfile
//! order, then the folder of the properties file (the daemon looks the properties up as a classpath
//! resource first). The order is the lock's, never a directory listing's: the Python helper used
//! `glob` order, so which of two conflicting jars won depended on the filesystem.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::env::{Env, Os};
use crate::error::{Exit, UserError};
use crate::lockfile::Lockfile;
use crate::maven::Coord;

/// Where the locked jars are looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JarSource {
    /// The kclrs cache (Maven layout), filled by `kclrs download-jars`.
    Cache(Cache),
    /// A folder of jars (`--jars-dir`): every `*.jar` in it goes on the classpath.
    Dir(PathBuf),
}

/// The assembled classpath and what the lock wanted but the jar source lacks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classpath {
    /// Absolute entries in classpath order. Missing cached jars keep their (future) cache path.
    pub entries: Vec<PathBuf>,
    /// Locked artifacts not found, in lock order.
    pub missing: Vec<Coord>,
    /// How many artifacts the lock lists.
    pub locked: usize,
}

/// File names a locked jar may have in a `--jars-dir`, best first, per artifact in lock order.
///
/// `artifactId-version[-classifier].ext` as `mvn dependency:copy-dependencies` (and
/// `download-jars --dest`) names it; where two locked artifacts share that name, only the
/// `groupId.`-prefixed form identifies either of them.
pub fn locked_file_names(lock: &Lockfile) -> Vec<Vec<String>> {
    let mut uses: HashMap<String, usize> = HashMap::new();
    for a in &lock.artifacts {
        *uses.entry(a.coord.file_name()).or_default() += 1;
    }
    lock.artifacts
        .iter()
        .map(|a| {
            let plain = a.coord.file_name();
            let prefixed = format!("{}.{plain}", a.coord.group);
            if uses.get(&plain).copied().unwrap_or(0) > 1 {
                vec![prefixed]
            } else {
                vec![plain, prefixed]
            }
        })
        .collect()
}

/// True when `name` ends in `.jar` (any case on Windows, whose file names ignore case).
pub fn is_jar_name(name: &OsStr, os: Os) -> bool {
    let Some(name) = name.to_str() else {
        // Non-UTF-8 names still count when their last four bytes are ".jar".
        return name.as_encoded_bytes().ends_with(b".jar");
    };
    if os.is_windows() {
        name.len() > 4 && name.to_ascii_lowercase().ends_with(".jar")
    } else {
        name.len() > 4 && name.ends_with(".jar")
    }
}

/// Orders the jars of a `--jars-dir` listing: the locked ones in lock order, then the others by
/// name. Returns the ordered names and the indexes (into the lock) of locked jars not present.
pub fn order_dir_jars(
    lock: &Lockfile,
    mut names: Vec<OsString>,
    os: Os,
) -> (Vec<OsString>, Vec<usize>) {
    names.retain(|n| is_jar_name(n, os));
    names.sort();
    let mut taken = vec![false; names.len()];
    let mut ordered = Vec::with_capacity(names.len());
    let mut missing = Vec::new();
    for (index, wanted) in locked_file_names(lock).iter().enumerate() {
        let found = wanted.iter().find_map(|w| {
            names
                .binary_search_by(|n| n.as_os_str().cmp(OsStr::new(w)))
                .ok()
                .filter(|&i| !taken[i])
        });
        match found {
            Some(i) => {
                taken[i] = true;
                ordered.push(names[i].clone());
            }
            None => missing.push(index),
        }
    }
    for (name, taken) in names.into_iter().zip(taken) {
        if !taken {
            ordered.push(name);
        }
    }
    (ordered, missing)
}

/// Lists the entries of `dir` that are files or symlinks to files.
fn list_files(dir: &Path) -> anyhow::Result<Vec<OsString>> {
    let unreadable = |e: std::io::Error| -> anyhow::Error {
        anyhow::Error::new(e).context(UserError::new(
            Exit::Input,
            format!("cannot read the --jars-dir folder {}", dir.display()),
        ))
    };
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let entry = entry.map_err(unreadable)?;
        let is_file = match entry.file_type() {
            Ok(t) if t.is_symlink() => entry.path().is_file(),
            Ok(t) => t.is_file(),
            Err(_) => false,
        };
        if is_file {
            names.push(entry.file_name());
        }
    }
    Ok(names)
}

/// Builds the classpath: `user` entries (made absolute), the locked jars from `source`, and
/// `properties_dir` last when given.
pub fn assemble(
    env: &Env,
    lock: &Lockfile,
    source: &JarSource,
    user: &[PathBuf],
    properties_dir: Option<&Path>,
) -> anyhow::Result<Classpath> {
    let mut entries: Vec<PathBuf> = user.iter().map(|p| env.absolute(p)).collect();
    let mut missing = Vec::new();
    match source {
        JarSource::Cache(cache) => {
            for a in &lock.artifacts {
                let path = cache.artifact_path(&a.coord);
                // The cache only ever holds verified files, so presence and size are enough here;
                // `kclrs verify` re-hashes them.
                let present =
                    std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == a.size);
                if !present {
                    missing.push(a.coord.clone());
                }
                entries.push(path);
            }
        }
        JarSource::Dir(dir) => {
            let dir = env.absolute(dir);
            let (ordered, absent) = order_dir_jars(lock, list_files(&dir)?, env.os);
            entries.extend(ordered.into_iter().map(|name| dir.join(name)));
            missing.extend(absent.into_iter().map(|i| lock.artifacts[i].coord.clone()));
        }
    }
    if let Some(dir) = properties_dir {
        entries.push(env.absolute(dir));
    }
    Ok(Classpath {
        entries,
        missing,
        locked: lock.artifacts.len(),
    })
}

/// Joins entries with the platform's separator. An entry containing the separator itself cannot
/// be expressed on a Java classpath (java would split it), so that is an error naming it.
pub fn join(entries: &[PathBuf], os: Os) -> anyhow::Result<OsString> {
    let sep = os.classpath_separator();
    let mut joined = OsString::new();
    for (i, entry) in entries.iter().enumerate() {
        if entry.as_os_str().as_encoded_bytes().contains(&(sep as u8)) {
            return Err(UserError::new(
                Exit::Input,
                format!(
                    "cannot put {} on the Java classpath: it contains {sep:?}, the classpath separator",
                    entry.display()
                ),
            )
            .hint("move or link it to a path without that character")
            .into());
        }
        if i > 0 {
            joined.push(sep.to_string());
        }
        joined.push(entry);
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::Origin;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn lock(coords: &[&str]) -> Lockfile {
        let mut text = String::from("version = 1\n");
        for c in coords {
            text.push_str(&format!(
                "[[artifact]]\ncoords = \"{c}\"\nsha256 = \"{SHA}\"\nsize = 1\n"
            ));
        }
        Lockfile::parse(&text, Origin::File("t.lock".into())).unwrap()
    }

    fn names(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn dir_jars_follow_lock_order_then_name() {
        let l = lock(&["z:zeta:1", "a:alpha:2", "m:mid:jar:linux:3", "q:gone:1"]);
        let (ordered, missing) = order_dir_jars(
            &l,
            names(&[
                "b-extra.jar",
                "alpha-2.jar",
                "notes.txt",
                "m.mid-3-linux.jar",
                "a-extra.jar",
                "zeta-1.jar",
                ".jar",
            ]),
            Os::Linux,
        );
        assert_eq!(
            ordered,
            names(&[
                "zeta-1.jar",
                "alpha-2.jar",
                "m.mid-3-linux.jar",
                "a-extra.jar",
                "b-extra.jar"
            ])
        );
        assert_eq!(missing, vec![3]);
    }

    #[test]
    fn colliding_names_need_the_group_prefix() {
        let l = lock(&["g1:same:1", "g2:same:1", "g3:other:1"]);
        assert_eq!(
            locked_file_names(&l),
            vec![
                vec!["g1.same-1.jar".to_string()],
                vec!["g2.same-1.jar".to_string()],
                vec!["other-1.jar".to_string(), "g3.other-1.jar".to_string()],
            ]
        );
        // A bare `same-1.jar` cannot tell which group it is: it is an unlocked extra.
        let (ordered, missing) = order_dir_jars(
            &l,
            names(&["same-1.jar", "g2.same-1.jar", "g3.other-1.jar"]),
            Os::Linux,
        );
        assert_eq!(
            ordered,
            names(&["g2.same-1.jar", "g3.other-1.jar", "same-1.jar"])
        );
        assert_eq!(missing, vec![0]);
    }

    #[test]
    fn jar_names_ignore_case_only_on_windows() {
        assert!(is_jar_name(OsStr::new("A.JAR"), Os::Windows));
        assert!(!is_jar_name(OsStr::new("A.JAR"), Os::Linux));
        assert!(is_jar_name(OsStr::new("a.jar"), Os::MacOs));
        assert!(!is_jar_name(OsStr::new("a.jar.part"), Os::Linux));
    }

    #[test]
    fn join_uses_platform_separator_and_rejects_it_inside_entries() {
        let entries = vec![PathBuf::from(r"C:\a b\x.jar"), PathBuf::from(r"C:\props")];
        assert_eq!(
            join(&entries, Os::Windows).unwrap(),
            OsString::from(r"C:\a b\x.jar;C:\props")
        );
        let unix = vec![PathBuf::from("/a/x.jar"), PathBuf::from("/p")];
        assert_eq!(
            join(&unix, Os::Linux).unwrap(),
            OsString::from("/a/x.jar:/p")
        );
        let err = join(&[PathBuf::from("/a:b")], Os::MacOs).unwrap_err();
        assert_eq!(crate::error::classify(&err).0, Exit::Input);
        assert!(err.to_string().contains("/a:b"), "{err}");
        assert!(join(&[PathBuf::from("/a;b")], Os::Windows).is_err());
    }

    #[test]
    fn cache_entries_keep_lock_order_and_report_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::new(tmp.path().join("c"));
        let l = lock(&["g:one:1", "g:two:1", "g:three:1"]);
        let two = cache.artifact_path(&l.artifacts[1].coord);
        std::fs::create_dir_all(two.parent().unwrap()).unwrap();
        std::fs::write(&two, b"x").unwrap();
        let three = cache.artifact_path(&l.artifacts[2].coord);
        std::fs::create_dir_all(three.parent().unwrap()).unwrap();
        std::fs::write(&three, b"wrong size").unwrap();
        let env = Env::fake(Os::Linux, None, tmp.path().to_path_buf());
        let cp = assemble(
            &env,
            &l,
            &JarSource::Cache(cache.clone()),
            &[PathBuf::from("extra")],
            Some(Path::new("props")),
        )
        .unwrap();
        assert_eq!(
            cp.entries,
            vec![
                tmp.path().join("extra"),
                cache.artifact_path(&l.artifacts[0].coord),
                two,
                three,
                tmp.path().join("props"),
            ]
        );
        assert_eq!(
            cp.missing,
            vec![l.artifacts[0].coord.clone(), l.artifacts[2].coord.clone()]
        );
        assert_eq!(cp.locked, 3);
    }
}
