//! Maven coordinates as kclrs writes them: `group:artifact[:extension[:classifier]]:version`.
//!
//! The same type names a jar in `jars.lock`, a path in a Maven repository layout (local or remote)
//! and a file name in a `--dest` folder. One rule ([`Coord::check`]) validates every coordinate,
//! whether it comes from the lockfile or from a POM, because a coordinate becomes a path and an
//! argument to `mvn`: `..`, `.`, `/`, `\`, control characters, `%` (escapes such as `%2e%2e`) and
//! `$`, `{`, `}` (which Maven would interpolate, e.g. `${env.SECRET}`) are rejected.
//!
//! Beyond that, a part may hold only what Maven's model validator accepts in an id
//! (`[A-Za-z0-9_.-]`; a version may also hold `+`), with no leading, trailing or doubled dot. So
//! two spellings never name one file (`org.slf4j.` and `org.slf4j` are both `org/slf4j/`), an
//! invisible or bidi character (U+200B, U+202E) cannot make a look-alike coordinate pass a
//! review, and no extension ends in a suffix of kclrs's own ([`RESERVED_SUFFIXES`]), which
//! would make an artifact's file another one's verified-stamp.

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
        self.check_all_but_version(&text)?;
        check_part("version", &self.version, &text)
    }

    /// [`Coord::check`] for a dependency as a POM declares it, before a version range in it
    /// (`[1.0,2.0)`, `[1.2,)`) is resolved: every bound of the range must pass the version rule.
    /// The version picked from the metadata later is checked with [`Coord::check`].
    pub fn check_declared(&self) -> Result<(), CoordError> {
        if !super::version::VersionRange::is_range(&self.version) {
            return self.check();
        }
        let text = self.to_string();
        self.check_all_but_version(&text)?;
        self.version
            .split(['[', ']', '(', ')', ','])
            .map(str::trim)
            .filter(|bound| !bound.is_empty())
            .try_for_each(|bound| check_part("version", bound, &text))
    }

    fn check_all_but_version(&self, text: &str) -> Result<(), CoordError> {
        check_part("group", &self.group, text)?;
        check_part("artifact", &self.artifact, text)?;
        check_part("extension", &self.extension, text)?;
        if !self.classifier.is_empty() {
            check_part("classifier", &self.classifier, text)?;
        }
        Ok(())
    }

    /// The path of the file in a Maven repository layout, `/`-separated.
    pub fn repo_path(&self) -> String {
        format!("{}/{}", self.repo_dir(), self.file_name())
    }
}

/// File-name suffixes kclrs gives its own files next to cached artifacts (the verified-stamp,
/// see `cache::stamp_path`): no artifact's file name may end in one.
pub const RESERVED_SUFFIXES: &[&str] = &[".kclrs-verified"];

/// The characters Maven accepts in a part (`+` in versions only, as in `1.0+build.5`).
fn allowed_char(part: &str, c: char) -> bool {
    c.is_ascii_alphanumeric() || "_.-".contains(c) || (part == "version" && c == '+')
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
    } else if value.chars().any(|c| !allowed_char(part, c)) {
        Some(if part == "version" {
            "a character other than A-Z, a-z, 0-9, `_`, `-`, `.` and `+`"
        } else {
            "a character other than A-Z, a-z, 0-9, `_`, `-` and `.`"
        })
    } else if value.starts_with('.') || value.ends_with('.') {
        Some("a leading or trailing `.`")
    } else if part == "extension" && reserved_suffix(value) {
        Some("a suffix kclrs reserves for its own files (`.kclrs-verified`)")
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

/// True when a file named `….{extension}` would end in one of [`RESERVED_SUFFIXES`] (compared
/// without case, for case-insensitive file systems).
fn reserved_suffix(extension: &str) -> bool {
    let name = format!(".{}", extension.to_ascii_lowercase());
    RESERVED_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
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

    /// Issue 21, finding 8: aliases of one file, invisible and bidi characters, and kclrs's own
    /// stamp suffix are refused; what real POMs use is still accepted.
    #[test]
    fn only_what_maven_accepts_and_no_alias_or_reserved_suffix() {
        for bad in [
            "org.slf4j.:slf4j-api:2.0.13",
            ".org.slf4j:slf4j-api:2.0.13",
            "org..slf4j:slf4j-api:2.0.13",
            "org.slf4j:slf4j-api.:2.0.13",
            "org.slf4j:slf4j-api:2.0.13.",
            "org.slf4j:slf4j-api:jar.:2.0.13",
            "org.slf4j:slf4j\u{200b}-api:2.0.13",
            "org.slf4j:slf4j-api:2.0.13\u{202e}",
            "org.slf4j:api:jar:x\u{2066}:1",
            "org.slf4j:slf4j-api:jar.kclrs-verified:2.0.13",
            "org.slf4j:slf4j-api:kclrs-verified:2.0.13",
            "org.slf4j:slf4j-api:JAR.KCLRS-VERIFIED:2.0.13",
            "org.slf4j:sl\u{e9}f4j:1",
            "org.slf4j:slf4j-api:1+2:2.0.13",
            "org.slf4j:a:jar:x+y:1",
            "org.slf4j:a'b:1",
            "org.slf4j:a:1;x",
        ] {
            let err = bad.parse::<Coord>().expect_err(bad);
            assert!(
                matches!(err, CoordError::Unsafe { .. } | CoordError::Shape(_)),
                "{bad}: {err}"
            );
        }
        for good in [
            "org.slf4j:slf4j-api:2.0.13",
            "io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.108.Final",
            "software.amazon.awssdk:aws_sdk:2.41.21",
            "g:a:1.0+build.5",
            "g:a:kclrs-verified-docs:1",
            "g:a:1.0-SNAPSHOT",
        ] {
            good.parse::<Coord>()
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        let err = "org.slf4j.:slf4j-api:2.0.13".parse::<Coord>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "the group of \"org.slf4j.:slf4j-api:2.0.13\" contains a leading or trailing `.`, \
             which cannot appear in a Maven coordinate"
        );
        for range in [
            "[1.0,2.0)",
            "[1.2,)",
            "(,1.0],[1.2,)",
            "[ 1.0 , 2.0 )",
            "[1.0]",
        ] {
            Coord::jar("g", "a", range)
                .check_declared()
                .unwrap_or_else(|e| panic!("{range}: {e}"));
            assert!(Coord::jar("g", "a", range).check().is_err(), "{range}");
        }
        for range in ["[1.0,2.0\u{202e})", "[1.0,../x)", "[1.0,.)", "[1.0,$x)"] {
            assert!(
                Coord::jar("g", "a", range).check_declared().is_err(),
                "{range}"
            );
        }
        let mut built = Coord::jar("g", "a\u{200b}", "1");
        assert!(built.check().is_err());
        built.artifact = "a".into();
        built.extension = "jar.kclrs-verified".into();
        assert!(built.check().unwrap_err().to_string().contains("reserves"));
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
