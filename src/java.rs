//! Java discovery: finds installed JDKs/JREs, reads their versions, and picks one new enough.
//! (Skeleton: signatures fixed for the launcher; implementation comes with the launcher issue.)

use std::path::{Path, PathBuf};

use crate::env::Env;

/// Where a candidate was found. Serialized as the strings `kclrs java --json` documents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    #[serde(rename = "--java")]
    Flag,
    #[serde(rename = "KCLRS_JAVA")]
    KclrsJava,
    #[serde(rename = "JAVA_HOME")]
    JavaHome,
    #[serde(rename = "PATH")]
    Path,
    /// A well-known install location; the string names it (e.g. "/usr/lib/jvm", "SDKMAN").
    #[serde(untagged)]
    WellKnown(String),
}

/// One Java installation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    /// The `bin/java` launcher.
    pub java: PathBuf,
    /// The Java home (folder holding `bin/java`).
    pub home: PathBuf,
    /// Version as the installation reports it, e.g. "17.0.15" or "1.8.0_292".
    pub version: String,
    /// Feature version: 8 for "1.8.0_292", 17 for "17.0.15".
    pub feature: u32,
    pub source: Source,
    /// Why this candidate was not chosen, or `None` if usable.
    pub rejected: Option<String>,
}

/// Every candidate found, in priority order, and the index of the chosen one.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Discovery {
    pub chosen: Option<Candidate>,
    pub candidates: Vec<Candidate>,
}

/// Finds all candidates and marks the first usable one (feature >= `min_feature`) as chosen.
pub fn discover(_env: &Env, _explicit: Option<&Path>, _min_feature: u32) -> Discovery {
    Discovery {
        chosen: None,
        candidates: Vec::new(),
    }
}

/// Like [`discover`], but an error (exit code 4) listing every candidate when nothing fits, or
/// when an explicit choice (`--java`, `KCLRS_JAVA`) is unusable.
pub fn choose(env: &Env, explicit: Option<&Path>, min_feature: u32) -> anyhow::Result<Candidate> {
    // TEMP(launch): until launcher-core's discovery lands, an explicit --java is used as given
    // (a java binary, or a home whose bin/java is taken). Replace with launcher-core's version.
    if let Some(path) = explicit {
        let path = env.absolute(path);
        let java = if path.is_dir() {
            path.join("bin").join(env.os.java_exe())
        } else {
            path
        };
        let home = java
            .parent()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        return Ok(Candidate {
            java,
            home,
            version: String::new(),
            feature: min_feature,
            source: Source::Flag,
            rejected: None,
        });
    }
    // END TEMP(launch)
    discover(env, explicit, min_feature).chosen.ok_or_else(|| {
        crate::error::UserError::new(crate::error::Exit::Java, "no suitable Java found").into()
    })
}
