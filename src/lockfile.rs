//! `jars.lock`: the pinned closure of jars that make up the MultiLangDaemon classpath.
//!
//! A TOML file written by `kclrs lock` and read by every other subcommand. Artifacts are listed in
//! classpath order with the SHA-256 and size kclrs computed from the real bytes. It deliberately
//! holds no repository URLs: any repository or mirror serving the same bytes is as good, and the
//! hash makes that safe. Parsing is strict (unknown keys, bad hex, duplicates, path-smuggling
//! coordinates are errors with file, line and column) because nothing may be downloaded from a lock
//! that is not exactly what was meant. The project's own `jars.lock` is compiled into the binary.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{line_col, Exit, UserError};
use crate::maven::Coord;

/// The only format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Java feature version assumed when a lock records none: the original helper documented 1.7.
pub const DEFAULT_MIN_JAVA: u32 = 7;

/// The project's `jars.lock`, built into the binary as the default.
pub const EMBEDDED: &str = include_str!("../jars.lock");

/// One pinned artifact.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LockedArtifact {
    pub coord: Coord,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
    pub size: u64,
    /// Java feature version this jar's class files need; `None` for a jar without classes, a
    /// non-jar artifact, or a lock written before kclrs recorded it.
    pub min_java: Option<u32>,
}

/// Where a lockfile came from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Embedded,
    File(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Embedded => f.write_str("jars.lock (built into kclrs)"),
            Origin::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A parsed and validated lockfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockfile {
    pub roots: Vec<Coord>,
    /// Highest Java feature version any locked class needs (from the class files); `None` if unknown.
    pub min_java: Option<u32>,
    /// Hash of the resolution inputs (roots, exclusions, resolver version), for `lock --check`.
    pub input_hash: Option<String>,
    /// `group:artifact` exclusions the lock was resolved with.
    pub excludes: Vec<String>,
    pub artifacts: Vec<LockedArtifact>,
    pub origin: Origin,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLock {
    version: Spanned<i64>,
    #[serde(default)]
    roots: Vec<Spanned<String>>,
    #[serde(default)]
    excludes: Vec<Spanned<String>>,
    min_java: Option<Spanned<i64>>,
    input_hash: Option<String>,
    #[serde(default, rename = "artifact")]
    artifacts: Vec<RawArtifact>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArtifact {
    coords: Spanned<String>,
    sha256: Spanned<String>,
    size: Spanned<i64>,
    #[serde(rename = "min-java")]
    min_java: Option<Spanned<i64>>,
}

impl Lockfile {
    /// Parses lockfile text; `origin` names it in errors.
    pub fn parse(text: &str, origin: Origin) -> anyhow::Result<Lockfile> {
        let bad = |offset: usize, msg: String| -> anyhow::Error {
            let (line, col) = line_col(text, offset);
            UserError::new(Exit::Input, format!("{origin}:{line}:{col}: {msg}"))
                .hint("regenerate the lockfile with `kclrs lock`, or pass another with --lockfile")
                .into()
        };
        let raw: RawLock = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            bad(offset, e.message().trim().to_string())
        })?;
        if *raw.version.get_ref() != i64::from(FORMAT_VERSION) {
            return Err(bad(
                raw.version.span().start,
                format!(
                    "unknown lockfile format version {} (this kclrs reads version {FORMAT_VERSION})",
                    raw.version.get_ref()
                ),
            ));
        }
        let parse_coord = |s: &Spanned<String>| {
            s.get_ref()
                .parse::<Coord>()
                .map_err(|e| bad(s.span().start, format!("bad coordinates: {e}")))
        };
        let roots = raw
            .roots
            .iter()
            .map(parse_coord)
            .collect::<Result<_, _>>()?;
        for ex in &raw.excludes {
            let parts: Vec<&str> = ex.get_ref().split(':').collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                return Err(bad(
                    ex.span().start,
                    format!("bad exclusion {:?}: expected group:artifact", ex.get_ref()),
                ));
            }
        }
        let feature = |m: &Option<Spanned<i64>>| match m {
            Some(m) if !(1..=1000).contains(m.get_ref()) => Err(bad(
                m.span().start,
                format!(
                    "min-java must be a Java feature version such as 8, got {}",
                    m.get_ref()
                ),
            )),
            Some(m) => Ok(Some(
                u32::try_from(*m.get_ref()).unwrap_or(DEFAULT_MIN_JAVA),
            )),
            None => Ok(None),
        };
        let min_java = feature(&raw.min_java)?;
        let mut seen: HashMap<(String, String, String, String), usize> = HashMap::new();
        let mut artifacts = Vec::with_capacity(raw.artifacts.len());
        for a in &raw.artifacts {
            let coord = parse_coord(&a.coords)?;
            let sha = a.sha256.get_ref();
            if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(
                    a.sha256.span().start,
                    format!("sha256 of {coord} must be 64 hex digits, got {sha:?}"),
                ));
            }
            let size = u64::try_from(*a.size.get_ref()).map_err(|_| {
                bad(
                    a.size.span().start,
                    format!("size of {coord} must not be negative"),
                )
            })?;
            if let Some(first) = seen.insert(coord.versionless_key(), artifacts.len()) {
                let first: &LockedArtifact = &artifacts[first];
                return Err(bad(
                    a.coords.span().start,
                    format!(
                        "duplicate artifact {coord} (already listed as {})",
                        first.coord
                    ),
                ));
            }
            artifacts.push(LockedArtifact {
                coord,
                sha256: sha.to_ascii_lowercase(),
                size,
                min_java: feature(&a.min_java)?,
            });
        }
        Ok(Lockfile {
            roots,
            min_java,
            input_hash: raw.input_hash,
            excludes: raw.excludes.into_iter().map(Spanned::into_inner).collect(),
            artifacts,
            origin,
        })
    }

    /// The lockfile built into kclrs.
    pub fn embedded() -> anyhow::Result<Lockfile> {
        Lockfile::parse(EMBEDDED, Origin::Embedded)
    }

    /// Reads `path`, or the embedded lockfile when `path` is `None`.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Lockfile> {
        let Some(path) = path else {
            return Lockfile::embedded();
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            anyhow::Error::new(e).context(UserError::new(
                Exit::Input,
                format!("cannot read lockfile {}", path.display()),
            ))
        })?;
        Lockfile::parse(&text, Origin::File(path.to_path_buf()))
    }

    /// The Java feature version the jars need, or the documented floor when unknown. A jar's
    /// own `min-java` counts even if the header says less, so a hand-lowered header cannot let
    /// a jar that fails to load through.
    pub fn min_java_feature(&self) -> u32 {
        let jars = self.artifacts.iter().filter_map(|a| a.min_java).max();
        self.min_java.max(jars).unwrap_or(DEFAULT_MIN_JAVA)
    }

    /// The artifacts whose recorded `min-java` is above `feature`, the most demanding first (ties
    /// in classpath order): the jars a Java `feature` cannot load.
    pub fn needing_more_than(&self, feature: u32) -> Vec<&LockedArtifact> {
        let mut out: Vec<&LockedArtifact> = self
            .artifacts
            .iter()
            .filter(|a| a.min_java.is_some_and(|m| m > feature))
            .collect();
        out.sort_by_key(|a| std::cmp::Reverse(a.min_java));
        out
    }

    /// Renders the lock in its canonical form (stable: same lock, same bytes).
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from(
            "# Generated by `kclrs lock`. Classpath order. Do not edit by hand: change the roots\n\
             # with `kclrs lock --root/--add/--exclude` and let kclrs recompute the hashes.\n",
        );
        let _ = writeln!(out, "version = {FORMAT_VERSION}");
        let roots: Vec<String> = self.roots.iter().map(|r| q(&r.to_string())).collect();
        let _ = writeln!(out, "roots = [{}]", roots.join(", "));
        if !self.excludes.is_empty() {
            let ex: Vec<String> = self.excludes.iter().map(|e| q(e)).collect();
            let _ = writeln!(out, "excludes = [{}]", ex.join(", "));
        }
        if let Some(m) = self.min_java {
            let _ = writeln!(out, "min-java = {m}");
        }
        if let Some(h) = &self.input_hash {
            let _ = writeln!(out, "input-hash = {}", q(h));
        }
        for a in &self.artifacts {
            let _ = write!(
                out,
                "\n[[artifact]]\ncoords = {}\nsha256 = {}\nsize = {}\n",
                q(&a.coord.to_string()),
                q(&a.sha256),
                a.size
            );
            if let Some(m) = a.min_java {
                let _ = writeln!(out, "min-java = {m}");
            }
        }
        out
    }

    /// Writes the canonical form to `path` atomically (temp file in the same folder, then rename).
    pub fn write_atomic(&self, path: &Path) -> anyhow::Result<()> {
        crate::cache::write_atomic(path, self.to_toml().as_bytes())
            .with_context(|| format!("cannot write lockfile {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn lock(body: &str) -> anyhow::Result<Lockfile> {
        Lockfile::parse(body, Origin::File("t/jars.lock".into()))
    }

    fn err(body: &str) -> String {
        crate::error::render(&lock(body).unwrap_err())
    }

    #[test]
    fn embedded_lock_parses() {
        Lockfile::embedded().unwrap();
    }

    #[test]
    fn round_trips_canonical_form() {
        let text = format!(
            "version = 1\nroots = [\"a:b:1\"]\nmin-java = 8\ninput-hash = \"h\"\n\n[[artifact]]\ncoords = \"a:b:1\"\nsha256 = \"{SHA}\"\nsize = 3\n\n[[artifact]]\ncoords = \"a:c:jar:linux:1\"\nsha256 = \"{SHA}\"\nsize = 4\n"
        );
        let l = lock(&text).unwrap();
        assert_eq!(l.artifacts.len(), 2);
        assert_eq!(l.min_java_feature(), 8);
        let again = lock(&l.to_toml()).unwrap();
        assert_eq!(again, l);
        assert_eq!(again.to_toml(), l.to_toml());
    }

    #[test]
    fn jar_minimums_are_kept_and_count_even_above_the_header() {
        let art = |c: &str, m: &str| {
            format!("\n[[artifact]]\ncoords = \"{c}\"\nsha256 = \"{SHA}\"\nsize = 1\n{m}")
        };
        // A lock written before jars recorded their minimum still parses, with none known.
        let old = lock(&format!("version = 1\nmin-java = 8\n{}", art("a:b:1", ""))).unwrap();
        assert_eq!(old.artifacts[0].min_java, None);
        assert!(old.needing_more_than(7).is_empty());
        let text = format!(
            "version = 1\nroots = [\"a:b:1\"]\nexcludes = [\"x:y\"]\nmin-java = 8\n{}{}{}",
            art("a:b:1", "min-java = 11\n"),
            art("a:c:1", "min-java = 17\n"),
            art("a:d:1", "min-java = 11\n")
        );
        let l = lock(&text).unwrap();
        assert_eq!(
            l.to_toml().split_once("version").unwrap().1,
            text.split_once("version").unwrap().1
        );
        assert_eq!(l.excludes, ["x:y"]);
        // The header says 8 but a jar needs 17: the gate uses 17.
        assert_eq!(l.min_java_feature(), 17);
        let names = |f| -> Vec<String> {
            l.needing_more_than(f)
                .iter()
                .map(|a| a.coord.to_string())
                .collect()
        };
        assert_eq!(names(8), ["a:c:1", "a:b:1", "a:d:1"]);
        assert_eq!(names(11), ["a:c:1"]);
        assert!(names(17).is_empty());
        let e = err(&format!("version = 1\n{}", art("a:b:1", "min-java = -3\n")));
        assert!(e.contains("t/jars.lock:7:12: min-java must be"), "{e}");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        assert!(err("version = 1\nroots = [").starts_with("error: t/jars.lock:2:"));
        assert!(
            err("version = 2\n").contains("t/jars.lock:1:11: unknown lockfile format version 2")
        );
        let e = err(&format!(
            "version = 1\n[[artifact]]\ncoords = \"a:../x:1\"\nsha256 = \"{SHA}\"\nsize = 1\n"
        ));
        assert!(e.contains("t/jars.lock:3:10: bad coordinates"), "{e}");
        let e = err("version = 1\n[[artifact]]\ncoords = \"a:b:1\"\nsha256 = \"xyz\"\nsize = 1\n");
        assert!(
            e.contains("t/jars.lock:4:10: sha256 of a:b:1 must be 64 hex digits"),
            "{e}"
        );
        let e = err(&format!(
            "version = 1\n[[artifact]]\ncoords = \"a:b:1\"\nsha256 = \"{SHA}\"\nsize = 1\n[[artifact]]\ncoords = \"a:b:2\"\nsha256 = \"{SHA}\"\nsize = 1\n"
        ));
        assert!(
            e.contains("t/jars.lock:7:10: duplicate artifact a:b:2"),
            "{e}"
        );
        let e = err("version = 1\nrepository = \"http://x\"\n");
        assert!(
            e.contains("t/jars.lock:2:1: unknown field `repository`"),
            "{e}"
        );
        let e = err("version = 1\nmin-java = 0\n");
        assert!(e.contains("min-java must be"), "{e}");
        assert!(
            err("version = 1\n[[artifact]]\ncoords = \"a:b:1\"\nsha256 = \"x\"\n")
                .contains("missing field `size`")
        );
    }
}
