//! Maven coordinates as kclrs writes them: `group:artifact[:extension[:classifier]]:version`.
//!
//! The same type names a jar in `jars.lock`, a path in a Maven repository layout (local or remote)
//! and a file name in a `--dest` folder. One rule ([`Coord::check`]) validates every coordinate,
//! whether it comes from the lockfile or from a POM, because a coordinate becomes a path and an
//! argument to `mvn`: `..`, `.`, `/`, `\`, control characters, `%` (escapes such as `%2e%2e`) and
//! `$`, `{`, `}` (which Maven would interpolate, e.g. `${env.SECRET}`) are rejected.

use std::fmt;
use std::str::FromStr;

/// One Maven artifact, keyed like Maven keys it: group, artifact, extension, classifier, version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Coord {
    pub group: String,
    pub artifact: String,
    /// File extension (`jar`, `pom`, …), not the POM `type`.
    pub extension: String,
    /// Empty when the artifact has no classifier.
    pub classifier: String,
    pub version: String,
}

/// Why a coordinate string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoordError {
    #[error("expected group:artifact[:extension[:classifier]]:version, got {0:?}")]
    Shape(String),
    #[error("the {part} of {coord:?} is empty")]
    Empty { part: &'static str, coord: String },
    #[error("the {part} of {coord:?} contains {what}, which cannot appear in a Maven coordinate")]
    Unsafe {
        part: &'static str,
        coord: String,
        what: &'static str,
    },
}

impl Coord {
    /// A `jar` artifact with no classifier.
    pub fn jar(group: &str, artifact: &str, version: &str) -> Coord {
        Coord {
            group: group.into(),
            artifact: artifact.into(),
            extension: "jar".into(),
            classifier: String::new(),
            version: version.into(),
        }
    }

    /// The same artifact with another extension and no classifier (e.g. its `.pom`).
    pub fn with_extension(&self, extension: &str) -> Coord {
        Coord {
            extension: extension.into(),
            classifier: String::new(),
            ..self.clone()
        }
    }

    /// `group:artifact`, the key of exclusions and `--exclude`.
    pub fn group_artifact(&self) -> String {
        format!("{}:{}", self.group, self.artifact)
    }

    /// Identity without version: what Maven's mediation compares (group, artifact, extension, classifier).
    pub fn versionless_key(&self) -> (String, String, String, String) {
        (
            self.group.clone(),
            self.artifact.clone(),
            self.extension.clone(),
            self.classifier.clone(),
        )
    }

    /// `artifact-version[-classifier].extension`, the name in a repository and in
    /// `dependency:copy-dependencies` output.
    pub fn file_name(&self) -> String {
        let mut name = format!("{}-{}", self.artifact, self.version);
        if !self.classifier.is_empty() {
            name.push('-');
            name.push_str(&self.classifier);
        }
        name.push('.');
        name.push_str(&self.extension);
        name
    }

    /// The directory of this version in a Maven repository, `/`-separated: `g/r/o/u/p/artifact/version`.
    pub fn repo_dir(&self) -> String {
        format!(
            "{}/{}/{}",
            self.group.replace('.', "/"),
            self.artifact,
            self.version
        )
    }

    /// The one rule for every coordinate, wherever it came from (the lockfile's parser uses it
    /// too): each part non-empty (the classifier may be absent) and free of anything that could
    /// change a path, a URL or an `mvn` argument.
    pub fn check(&self) -> Result<(), CoordError> {
        let text = self.to_string();
        check_part("group", &self.group, &text)?;
        check_part("artifact", &self.artifact, &text)?;
        check_part("extension", &self.extension, &text)?;
        if !self.classifier.is_empty() {
            check_part("classifier", &self.classifier, &text)?;
        }
        check_part("version", &self.version, &text)
    }

    /// The path of the file in a Maven repository layout, `/`-separated.
    pub fn repo_path(&self) -> String {
        format!("{}/{}", self.repo_dir(), self.file_name())
    }
}

fn check_part(part: &'static str, value: &str, coord: &str) -> Result<(), CoordError> {
    if value.is_empty() {
        return Err(CoordError::Empty {
            part,
            coord: coord.into(),
        });
    }
    let what = if value == "." || value.contains("..") {
        Some("`..` or `.`")
    } else if value.contains('/') || value.contains('\\') {
        Some("a path separator")
    } else if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
        Some("whitespace or a control character")
    } else if value.contains('%') {
        Some("`%` (a URL escape)")
    } else if value.contains(['$', '{', '}']) {
        Some("`$`, `{` or `}` (Maven would interpolate it)")
    } else if value.contains(['<', '>', '"', '|', '?', '*']) {
        Some("a character that is not allowed in file names")
    } else {
        None
    };
    match what {
        Some(what) => Err(CoordError::Unsafe {
            part,
            coord: coord.into(),
            what,
        }),
        None => Ok(()),
    }
}

impl FromStr for Coord {
    type Err = CoordError;

    fn from_str(s: &str) -> Result<Coord, CoordError> {
        let parts: Vec<&str> = s.split(':').collect();
        let (group, artifact, extension, classifier, version) = match parts.as_slice() {
            [g, a, v] => (*g, *a, "jar", "", *v),
            [g, a, e, v] => (*g, *a, *e, "", *v),
            [g, a, e, c, v] => (*g, *a, *e, *c, *v),
            _ => return Err(CoordError::Shape(s.into())),
        };
        check_part("group", group, s)?;
        check_part("artifact", artifact, s)?;
        check_part("extension", extension, s)?;
        if parts.len() == 5 {
            check_part("classifier", classifier, s)?;
        }
        check_part("version", version, s)?;
        Ok(Coord {
            group: group.into(),
            artifact: artifact.into(),
            extension: extension.into(),
            classifier: classifier.into(),
            version: version.into(),
        })
    }
}

impl fmt::Display for Coord {
    /// The shortest form that parses back to the same coordinate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.group, self.artifact)?;
        if !self.classifier.is_empty() {
            write!(f, ":{}:{}", self.extension, self.classifier)?;
        } else if self.extension != "jar" {
            write!(f, ":{}", self.extension)?;
        }
        write!(f, ":{}", self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_shapes_and_round_trips() {
        for s in [
            "a.b:c:1.0",
            "a.b:c:pom:1.0",
            "io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.1.Final",
        ] {
            let c: Coord = s.parse().unwrap();
            assert_eq!(c.to_string(), s);
        }
        let c: Coord = "a.b:c:jar:1.0".parse().unwrap();
        assert_eq!(c.to_string(), "a.b:c:1.0");
        let c: Coord = "io.netty:n:jar:linux-x86_64:4.1".parse().unwrap();
        assert_eq!(c.repo_path(), "io/netty/n/4.1/n-4.1-linux-x86_64.jar");
    }

    #[test]
    fn rejects_smuggled_paths_and_bad_shapes() {
        for bad in [
            "a:b",
            "a:b:c:d:e:f",
            "a::1",
            "a:..:1",
            "a:b:../../x",
            "a/b:c:1",
            "a:b\\c:1",
            "a:b c:1",
            "a:b:jar::1",
            "a:b:${env.SECRET}",
            "g.q:nothere:${env.SECRET}",
            "a:b:jar:{x}:1",
            "a:%2e%2e:1",
            "a:b:%2e%2e%2fx",
            "a:b:.",
            "a:b:1\u{0}",
            "a:b:jar:x\u{7}:1",
        ] {
            assert!(bad.parse::<Coord>().is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn check_applies_the_same_rule_to_built_coordinates() {
        let ok = Coord::jar("g.h", "a", "1.0-SNAPSHOT");
        ok.check().unwrap();
        let mut c = ok.clone();
        c.classifier = "linux-x86_64".into();
        c.check().unwrap();
        for (part, value) in [
            ("classifier", "x/../../../target"),
            ("artifact", ".."),
            ("version", "../locks/x"),
            ("classifier", "${env.SECRET}"),
            ("version", "%2e%2e"),
            ("group", "."),
            ("artifact", "a\\b"),
            ("version", ""),
        ] {
            let mut c = ok.clone();
            match part {
                "classifier" => c.classifier = value.into(),
                "artifact" => c.artifact = value.into(),
                "version" => c.version = value.into(),
                _ => c.group = value.into(),
            }
            let err = c.check().expect_err(value).to_string();
            assert!(err.contains(part), "{value:?}: {err}");
        }
    }
}
