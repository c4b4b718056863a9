//! Java discovery: finds installed JDKs/JREs, reads their versions, and picks one new enough.
//!
//! Candidates are looked for in a fixed priority order — `--java`, `KCLRS_JAVA`, `JAVA_HOME`,
//! every `java` on `PATH` (symlinks resolved, so `/usr/bin/java` leads to its real home through
//! `/etc/alternatives`), then the platform's well-known install folders ([`locations`]) — and the
//! first one whose feature version reaches the minimum is chosen. The minimum comes from the
//! lockfile (the class-file versions of the locked jars, see [`needs`]). An explicit choice
//! (`--java`, or `KCLRS_JAVA` without `--java`) is never replaced by another Java: if it is
//! unusable, nothing is chosen and [`choose`] explains why. A rejected `JAVA_HOME` may be replaced,
//! but [`choose`] then says so. Implicit candidates that do not fit are kept in the list with the
//! reason, so `kclrs java` and the "nothing fits" error can show the whole picture. The same
//! installation reached twice (a symlinked home, `PATH` and `JAVA_HOME`) is listed once, under its
//! highest-priority source.

pub mod locations;
pub mod needs;
pub mod probe;
pub mod version;

pub use needs::{JarNeed, Needs, Relock};

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::env::{Env, Os};
use crate::error::{Exit, UserError};

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

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Flag => "--java",
            Source::KclrsJava => "KCLRS_JAVA",
            Source::JavaHome => "JAVA_HOME",
            Source::Path => "PATH",
            Source::WellKnown(label) => label,
        })
    }
}

/// One Java installation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Candidate {
    /// The `bin/java` launcher.
    pub java: PathBuf,
    /// The Java home (folder holding `bin/java`).
    pub home: PathBuf,
    /// Version as the installation reports it, e.g. "17.0.15" or "1.8.0_292"; empty when unknown.
    pub version: String,
    /// Feature version: 8 for "1.8.0_292", 17 for "17.0.15"; 0 when unknown.
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

/// Variables every JVM kclrs starts reads on its own, in the order the JVM applies them:
/// `JAVA_TOOL_OPTIONS` (any JVM), `JDK_JAVA_OPTIONS` (the `java` launcher of JDK 9 and later) and
/// `_JAVA_OPTIONS` (HotSpot, last, so it wins). They are the user's own, so kclrs passes them on
/// untouched, but an agent or a classpath option in one changes what the daemon runs: `kclrs java`
/// and `run --dry-run` show the ones that are set and not empty.
pub const OPTION_VARIABLES: &[&str] = &["JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS"];

/// The [`OPTION_VARIABLES`] set (and not empty) in `env`, as `NAME=value` lines for a person.
pub fn option_variables(env: &Env) -> Vec<String> {
    OPTION_VARIABLES
        .iter()
        .filter_map(|name| {
            let value = env.var_os(name)?.to_string_lossy().into_owned();
            (!value.trim().is_empty()).then(|| {
                format!(
                    "{name}={value} (set in the environment; every JVM kclrs starts applies it)"
                )
            })
        })
        .collect()
}

/// One line describing a candidate, as used in `kclrs java` and in errors:
/// `/usr/lib/jvm/x/bin/java (Java 17.0.15, from PATH)`.
pub fn describe(c: &Candidate) -> String {
    let version = if c.version.is_empty() {
        "version unknown".to_string()
    } else {
        format!("Java {}", c.version)
    };
    format!("{} ({version}, from {})", c.java.display(), c.source)
}

/// Finds all candidates and marks the first usable one (feature >= `needs.feature`) as chosen.
pub fn discover(env: &Env, explicit: Option<&Path>, needs: &Needs) -> Discovery {
    Search::new(env, needs, false, locations::well_known_roots(env)).run(explicit)
}

/// The Java [`choose`] picked, and the warnings to print about how (one line each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub candidate: Candidate,
    pub warnings: Vec<String>,
}

/// Like [`discover`], but an error (exit code 4) listing every candidate when nothing fits, or
/// when an explicit choice (`--java`, `KCLRS_JAVA`) is unusable. Stops looking at the first
/// usable candidate, so the common case reads one `release` file and starts no process.
///
/// When nothing fits and `needs.ignore` is set, the first candidate that is unusable only
/// because of its version is taken instead, with a warning.
pub fn choose(env: &Env, explicit: Option<&Path>, needs: &Needs) -> anyhow::Result<Chosen> {
    let roots = locations::well_known_roots(env);
    let found = Search::new(env, needs, true, roots.clone()).run(explicit);
    if let Some(candidate) = found.chosen.clone() {
        let warnings = replaced_java_home(env, &found, &candidate)
            .into_iter()
            .collect();
        return Ok(Chosen {
            candidate,
            warnings,
        });
    }
    if let Some(why) = &needs.ignore {
        let any = Needs::at_least(0);
        if let Some(candidate) = Search::new(env, &any, true, roots).run(explicit).chosen {
            let warning = format!(
                "{} ({}): {}; starting anyway because of {why}",
                candidate.java.display(),
                candidate.source,
                needs.too_old(candidate.feature)
            );
            return Ok(Chosen {
                candidate,
                warnings: vec![warning],
            });
        }
    }
    Err(no_java_error(env, &found, explicit.is_some(), needs).into())
}

/// `JAVA_HOME=…: <why not>; using <chosen> instead` when `JAVA_HOME` was rejected and another
/// installation chosen: most tools would have used it, so the switch must not be silent.
fn replaced_java_home(env: &Env, found: &Discovery, chosen: &Candidate) -> Option<String> {
    let home = found
        .candidates
        .iter()
        .find(|c| c.source == Source::JavaHome)?;
    let reason = home.rejected.as_deref()?;
    (chosen.source != Source::JavaHome).then(|| {
        format!(
            "JAVA_HOME={}: {reason}; using {} instead",
            env.var("JAVA_HOME").unwrap_or_default(),
            describe(chosen)
        )
    })
}

/// The error [`choose`] returns when `found` has no chosen candidate.
pub fn no_java_error(env: &Env, found: &Discovery, flag: bool, needs: &Needs) -> UserError {
    let min_feature = needs.feature;
    let explicit = found
        .candidates
        .first()
        .filter(|c| c.source == Source::Flag || (!flag && c.source == Source::KclrsJava));
    if let Some(c) = explicit {
        let given = match c.source {
            Source::Flag => "--java".to_string(),
            _ => format!("KCLRS_JAVA={}", env.var("KCLRS_JAVA").unwrap_or_default()),
        };
        let reason = c.rejected.as_deref().unwrap_or("unusable");
        let error = UserError::new(Exit::Java, format!("{given}: {reason}"));
        // Too old, rather than not a usable launcher at all.
        if c.feature > 0 && c.feature < min_feature {
            let point_at = match c.source {
                Source::Flag => "pass it with --java",
                _ => "point KCLRS_JAVA at it",
            };
            return error.hint(needs.way_out(Some(c.feature), point_at));
        }
        return error.hint(format!(
            "pass a java binary or a Java home (the folder holding bin/{}) of Java {min_feature} \
             or newer; `kclrs java` lists the installations kclrs can see",
            env.os.java_exe()
        ));
    }
    let best = found
        .candidates
        .iter()
        .map(|c| c.feature)
        .filter(|&f| f > 0)
        .max();
    let hint = needs.way_out(best, "point --java, KCLRS_JAVA or JAVA_HOME at it");
    if found.candidates.is_empty() {
        let roots: Vec<String> = locations::well_known_roots(env)
            .iter()
            .map(|r| r.dir.display().to_string())
            .collect();
        return UserError::new(
            Exit::Java,
            format!(
                "no Java installation found (looked at --java, KCLRS_JAVA, JAVA_HOME, PATH and {})",
                roots.join(", ")
            ),
        )
        .hint(hint);
    }
    let mut msg = format!("no usable Java found (need Java {min_feature} or newer); candidates:");
    for c in &found.candidates {
        msg.push_str(&format!(
            "\n  {}: {}",
            describe(c),
            c.rejected.as_deref().unwrap_or("usable")
        ));
    }
    UserError::new(Exit::Java, msg).hint(hint)
}

/// What a path handed to kclrs names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Given {
    /// `--java`, `KCLRS_JAVA`: a launcher or a home.
    BinaryOrHome,
    /// `JAVA_HOME`, well-known folders: a home.
    Home,
}

struct Search<'a> {
    env: &'a Env,
    needs: &'a Needs,
    stop_early: bool,
    /// The well-known folders to scan (a parameter so tests can replace the real ones).
    roots: Vec<locations::Root>,
    seen: HashSet<PathBuf>,
    found: Discovery,
    /// Set once an explicit choice was made (usable or not): nothing else may be chosen.
    frozen: bool,
}

impl<'a> Search<'a> {
    fn new(
        env: &'a Env,
        needs: &'a Needs,
        stop_early: bool,
        roots: Vec<locations::Root>,
    ) -> Search<'a> {
        Search {
            env,
            needs,
            stop_early,
            roots,
            seen: HashSet::new(),
            found: Discovery {
                chosen: None,
                candidates: Vec::new(),
            },
            frozen: false,
        }
    }

    /// True when the caller only wants a choice and has one (or can have none).
    fn done(&self) -> bool {
        self.stop_early && (self.frozen || self.found.chosen.is_some())
    }

    fn run(mut self, explicit: Option<&Path>) -> Discovery {
        let env = self.env;
        let kclrs_java = env.var_os("KCLRS_JAVA").map(PathBuf::from);
        if let Some(path) = explicit {
            self.given(path, Given::BinaryOrHome, Source::Flag);
            self.frozen = true;
        }
        if let Some(path) = kclrs_java.as_deref().filter(|_| !self.done()) {
            self.given(path, Given::BinaryOrHome, Source::KclrsJava);
            self.frozen = true;
        }
        if let Some(home) = env.var_os("JAVA_HOME").filter(|_| !self.done()) {
            self.given(Path::new(home), Given::Home, Source::JavaHome);
        }
        if !self.done() {
            self.path_dirs();
        }
        if !self.done() {
            for (label, homes) in program_listed_homes(env) {
                let leads = homes.into_iter().map(|h| (h, label.clone())).collect();
                self.offer_sorted(leads);
            }
        }
        for root in std::mem::take(&mut self.roots) {
            if self.done() {
                break;
            }
            let leads = scan_root(&root)
                .into_iter()
                .map(|h| (h, root.label.clone()))
                .collect();
            self.offer_sorted(leads);
        }
        self.found
    }

    /// A path from the command line or the environment (made absolute against the cwd).
    fn given(&mut self, path: &Path, given: Given, source: Source) {
        let path = self.env.absolute(path);
        let exe = self.env.os.java_exe();
        let mut not_java = None;
        let (java, home) = if path.is_dir() || given == Given::Home {
            (path.join("bin").join(exe), path)
        } else {
            let real = probe::canonical(&path).unwrap_or_else(|| path.clone());
            // A file named by the user is exec'd as java: it must be the launcher, not javac.
            if probe::is_executable(&path) {
                not_java = probe::not_a_launcher(&path, &real);
            }
            (path, probe::home_of(&real))
        };
        let mut candidate = self.inspect(java, home, source);
        if candidate.rejected.is_none() {
            candidate.rejected = not_java;
        }
        self.offer(candidate);
    }

    /// Every `java` on `PATH`, symlinks resolved to find the real home.
    fn path_dirs(&mut self) {
        let env = self.env;
        for dir in env.path_dirs() {
            let java = env.absolute(&dir).join(env.os.java_exe());
            let Some(real) = probe::canonical(&java) else {
                continue;
            };
            if is_macos_stub(env.os, &real) {
                continue;
            }
            let home = probe::home_of(&real);
            let candidate = self.inspect(real, home, Source::Path);
            self.offer(candidate);
            if self.done() {
                return;
            }
        }
    }

    /// Homes from one well-known source, newest feature first so a machine with Java 8 and 21
    /// picks 21; ties in path order.
    fn offer_sorted(&mut self, homes: Vec<(PathBuf, String)>) {
        let exe = self.env.os.java_exe();
        let mut batch = HashSet::new();
        let mut candidates = Vec::new();
        for (home, label) in homes {
            let Some(home) = probe::canonical(&home) else {
                continue;
            };
            let java = home.join("bin").join(exe);
            if !java.exists() || self.seen.contains(&key(&java)) || !batch.insert(java.clone()) {
                continue;
            }
            candidates.push(self.inspect(java, home, Source::WellKnown(label)));
        }
        candidates.sort_by(|a, b| b.feature.cmp(&a.feature).then(a.home.cmp(&b.home)));
        for c in candidates {
            self.offer(c);
            if self.done() {
                return;
            }
        }
    }

    /// Builds the candidate for a launcher, with the reason it cannot be used, if any.
    fn inspect(&self, java: PathBuf, home: PathBuf, source: Source) -> Candidate {
        let mut c = Candidate {
            java,
            home,
            version: String::new(),
            feature: 0,
            source,
            rejected: None,
        };
        if !c.java.exists() {
            c.rejected = Some(format!("{} does not exist", c.java.display()));
            return c;
        }
        if !probe::is_executable(&c.java) {
            c.rejected = Some(format!("{} is not an executable file", c.java.display()));
            return c;
        }
        match probe::read_version(&c.home, &c.java) {
            Ok(v) => c.version = v,
            Err(e) => {
                c.rejected = Some(format!("cannot tell its version: {e}"));
                return c;
            }
        }
        match version::feature(&c.version) {
            Some(f) => c.feature = f,
            None => c.rejected = Some(format!("unrecognized version {:?}", c.version)),
        }
        if c.rejected.is_none() && c.feature < self.needs.feature {
            c.rejected = Some(self.needs.too_old(c.feature));
        }
        c
    }

    /// Records a candidate unless the same launcher was already seen; chooses it if usable and
    /// nothing was chosen (or frozen) yet.
    fn offer(&mut self, c: Candidate) {
        if !self.seen.insert(key(&c.java)) {
            return;
        }
        if c.rejected.is_none() && self.found.chosen.is_none() && !self.frozen {
            self.found.chosen = Some(c.clone());
        }
        self.found.candidates.push(c);
    }
}

/// macOS's `/usr/bin/java` is a real file, not a symlink: a stub that opens an installer dialog
/// when no JDK exists and otherwise re-dispatches to `java_home`'s choice, which kclrs asks
/// `/usr/libexec/java_home` for directly.
fn is_macos_stub(os: Os, real: &Path) -> bool {
    os == Os::MacOs && real == Path::new("/usr/bin/java")
}

/// Identity of a launcher for de-duplication: its real path.
fn key(java: &Path) -> PathBuf {
    probe::canonical(java).unwrap_or_else(|| java.to_path_buf())
}

/// The sub-folders of `root` that hold a Java home (in one of [`locations::HOME_LAYOUTS`]).
/// Folders without a launcher (`/usr/lib/jvm/openjdk-17` holds only `src.zip`) are skipped.
fn scan_root(root: &locations::Root) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(&root.dir) else {
        return Vec::new();
    };
    let mut children: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && root.prefix.is_none_or(|p| name.starts_with(p))
        })
        .map(|e| e.path())
        .collect();
    children.sort();
    children
        .into_iter()
        .filter_map(|child| {
            locations::HOME_LAYOUTS
                .iter()
                .map(|layout| {
                    if layout.is_empty() {
                        child.clone()
                    } else {
                        child.join(layout)
                    }
                })
                .find(|home| {
                    home.join("bin").join("java").exists()
                        || home.join("bin").join("java.exe").exists()
                })
        })
        .collect()
}

/// Homes that the platform's own tools list: `/usr/libexec/java_home -V` on macOS and the
/// registry on Windows. Only asked on the platform itself (a faked `Os` in tests skips them).
fn program_listed_homes(env: &Env) -> Vec<(String, Vec<PathBuf>)> {
    let run = |program: &str, args: &[&str]| -> Option<String> {
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .ok()?;
        let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
        text.push('\n');
        text.push_str(&String::from_utf8_lossy(&out.stdout));
        Some(text)
    };
    let mut out = Vec::new();
    if env.os == Os::MacOs && cfg!(target_os = "macos") {
        if let Some(text) = run("/usr/libexec/java_home", &["-V"]) {
            out.push((
                "java_home".to_string(),
                locations::parse_java_home_listing(&text),
            ));
        }
    }
    if env.os == Os::Windows && cfg!(windows) {
        let mut homes = Vec::new();
        for (key, value) in locations::REGISTRY_KEYS {
            if let Some(text) = run("reg", &["query", key, "/s", "/v", value]) {
                homes.extend(locations::parse_reg_query(&text));
            }
        }
        out.push(("registry".to_string(), homes));
    }
    out
}

#[cfg(test)]
mod tests;
