//! What the locked jars need from Java, in the words the version gate uses: the minimum, which
//! jars set it (so "too old" names them instead of just a number), the `kclrs lock` command that
//! would leave them out, and whether the user asked to start anyway.
//!
//! The caller (launching) builds it from the lockfile, so this module never reads locks itself.

/// How many jars a message names before it summarises the rest; more than this many jars above
/// a Java is not something `--exclude` fixes, so no exclusion is suggested then either.
const NAMED: usize = 3;

/// One locked jar whose class files need more than some Java.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JarNeed {
    /// `group:artifact:version` as the lock lists it.
    pub coords: String,
    /// `group:artifact`, what `kclrs lock --exclude` takes.
    pub group_artifact: String,
    pub feature: u32,
}

/// A `kclrs lock` command that re-locks the lock's own inputs, to which the suggested
/// `--exclude` flags are appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relock {
    pub command: String,
    /// What to do with the result, e.g. "pass --lockfile jars.lock"; `None` when the lock is
    /// rewritten in place and already in use.
    pub then: Option<String>,
}

/// The version gate's input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// The lowest Java feature version accepted.
    pub feature: u32,
    /// Jars with their own minimum, the most demanding first (empty when the lock records none).
    pub jars: Vec<JarNeed>,
    pub relock: Option<Relock>,
    /// Start a Java that is too old anyway, with a warning; the text says who asked
    /// (`--ignore-java-version`, `KCLRS_IGNORE_JAVA_VERSION=1`).
    pub ignore: Option<String>,
}

impl Needs {
    /// A bare minimum, with nothing known about the jars.
    pub fn at_least(feature: u32) -> Needs {
        Needs {
            feature,
            ..Needs::default()
        }
    }

    /// The jars a Java `feature` cannot load.
    fn above(&self, feature: u32) -> Vec<&JarNeed> {
        self.jars.iter().filter(|j| j.feature > feature).collect()
    }

    /// Why Java `feature` is too old: `Java 11 is older than Java 17, the minimum for the locked
    /// jars, needed by com.palantir.javapoet:javapoet:0.6.0 (Java 17)`.
    pub fn too_old(&self, feature: u32) -> String {
        let mut out = format!(
            "Java {feature} is older than Java {}, the minimum for the locked jars",
            self.feature
        );
        let above = self.above(feature);
        if !above.is_empty() {
            let mut named: Vec<String> = above
                .iter()
                .take(NAMED)
                .map(|j| format!("{} (Java {})", j.coords, j.feature))
                .collect();
            if above.len() > NAMED {
                named.push(format!("{} more", above.len() - NAMED));
            }
            out.push_str(", needed by ");
            out.push_str(&join_and(&named));
        }
        out
    }

    /// The way out for someone whose best Java is `feature` (`None`: no Java with a known
    /// version): install one new enough, or — when few jars are the reason and the lock's inputs
    /// are known — leave those jars out with `kclrs lock --exclude`.
    pub fn way_out(&self, feature: Option<u32>, point_at: &str) -> String {
        let mut out = format!(
            "install Java {} or newer and {point_at}; or start anyway with --ignore-java-version \
             (KCLRS_IGNORE_JAVA_VERSION=1)",
            self.feature
        );
        let above = feature.map(|f| self.above(f)).unwrap_or_default();
        if let (Some(relock), 1..=NAMED) = (&self.relock, above.len()) {
            let mut groups: Vec<&str> = above.iter().map(|j| j.group_artifact.as_str()).collect();
            groups.dedup();
            let flags: String = groups.iter().map(|g| format!(" --exclude {g}")).collect();
            let then = relock
                .then
                .as_ref()
                .map(|t| format!(" and {t}"))
                .unwrap_or_default();
            out.push_str(&format!(
                "; or, if your application never loads {}, leave {} out: `{}{flags}`{then}",
                join_and(&groups),
                if groups.len() == 1 { "it" } else { "them" },
                relock.command
            ));
        }
        out
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[impl AsRef<str>]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jar(ga: &str, v: &str, feature: u32) -> JarNeed {
        JarNeed {
            coords: format!("{ga}:{v}"),
            group_artifact: ga.to_string(),
            feature,
        }
    }

    #[test]
    fn names_the_jars_above_the_java_and_the_exclusion_that_drops_them() {
        let needs = Needs {
            feature: 17,
            jars: vec![
                jar("p:gen", "1", 17),
                jar("q:lib", "2", 11),
                jar("r:base", "1", 8),
            ],
            relock: Some(Relock {
                command: "kclrs lock -o my.lock".into(),
                then: None,
            }),
            ignore: None,
        };
        assert_eq!(
            needs.too_old(11),
            "Java 11 is older than Java 17, the minimum for the locked jars, needed by p:gen:1 (Java 17)"
        );
        assert_eq!(
            needs.too_old(8),
            "Java 8 is older than Java 17, the minimum for the locked jars, needed by p:gen:1 (Java 17) and q:lib:2 (Java 11)"
        );
        let hint = needs.way_out(Some(8), "pass it with --java");
        assert!(
            hint.ends_with(
                "; or, if your application never loads p:gen and q:lib, leave them out: `kclrs lock -o my.lock --exclude p:gen --exclude q:lib`"
            ),
            "{hint}"
        );
        // Every jar above Java 7: installing is the only advice, and the list is cut short.
        let many = Needs {
            jars: (0..5).map(|i| jar("g:a", &i.to_string(), 8)).collect(),
            ..needs.clone()
        };
        assert!(many.too_old(7).ends_with("g:a:2 (Java 8) and 2 more"));
        assert!(!many.way_out(Some(7), "x").contains("--exclude"));
        // A lock without per-jar minimums: the number only, and no exclusion to suggest.
        let bare = Needs::at_least(17);
        assert_eq!(
            bare.too_old(11),
            "Java 11 is older than Java 17, the minimum for the locked jars"
        );
        assert_eq!(
            bare.way_out(Some(11), "point JAVA_HOME at it"),
            "install Java 17 or newer and point JAVA_HOME at it; or start anyway with --ignore-java-version (KCLRS_IGNORE_JAVA_VERSION=1)"
        );
        assert!(!needs.way_out(None, "x").contains("--exclude"));
    }
}
