//! Class-data sharing for the daemon's JVM: an archive of the locked classpath's classes, made on
//! its own and reused, so a start parses and verifies far fewer classes (about half the CPU to the
//! first record).
//!
//! An archive is only valid for the exact JVM build and the exact classpath (same jars, same
//! order, same sizes and modification times), so it is kept in the kclrs cache under a key of
//! everything that decides that: the lock's input hash, every classpath entry with its size and
//! mtime, the `-XX:` options given with `-J`, and the Java (home, version, vendor, build, and the
//! size and mtime of its `libjvm`). A different Java or classpath gets another key and never sees
//! the archive. How it is made depends on the Java ([`mode_for`]):
//!
//! - Java 13–18 ([`Mode::DumpAtExit`]): a run without an archive gets
//!   `-XX:ArchiveClassesAtExit=<key>.<unique>.partial`; the JVM writes it when it exits (SIGTERM
//!   included). The next start checks it and renames it into place (`<key>.jsa`).
//! - Java 19+ ([`Mode::AutoCreate`]): `-XX:+AutoCreateSharedArchive -XX:SharedArchiveFile=<key>.jsa`:
//!   the JVM uses the archive when it fits and rewrites it at exit when it does not.
//! - Java 25+ ([`Mode::AotCache`], unless `KCLRS_CDS_AOT=0`): the AOT cache, made and placed
//!   like dump-at-exit (`-XX:AOTCacheOutput`, then `-XX:AOTCache`); bench/cds.sh measured it
//!   better than the dynamic archive.
//!
//! Nothing here may break a start. Before kclrs first passes an archive to the JVM it has that
//! very Java map it with `-Xshare:on -XX:+VerifySharedSpaces` (checksums of every region) and
//! `-version`; one that fails (half-written, corrupt, foreign, stale) is deleted and made anew,
//! and the run goes on without it. A passing archive gets a stamp with its size and mtime, so
//! later starts trust it without another check until the file changes. Any I/O problem means
//! "no class-data sharing this time", never an error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whether Java 25+ gets the AOT cache instead of the dynamic archive: yes, bench/cds.sh measured
/// it better (JVM CPU to the first record 3.1 s against 4.3 s, peak RSS 169 MB against 219 MB;
/// docs/operations-logs-cds.md), at the price of a longer first exit (the JVM assembles it then).
pub const AOT_BY_DEFAULT: bool = true;

/// Whether to use the AOT cache on this start: `KCLRS_CDS_AOT=1` or `0`, else [`AOT_BY_DEFAULT`].
pub fn aot_wanted(env: &crate::env::Env) -> bool {
    match env.var("KCLRS_CDS_AOT").as_deref().map(str::trim) {
        Some("1") => true,
        Some("0") => false,
        _ => AOT_BY_DEFAULT,
    }
}

/// How long the one-time check of a new archive may take.
const VALIDATE_TIMEOUT: Duration = Duration::from_secs(30);

/// A partial archive younger than this may still be being written by a JVM that is exiting.
const PARTIAL_GRACE: Duration = Duration::from_secs(600);

/// Bumped when the key's recipe or the file layout changes.
const KEY_VERSION: u32 = 1;

/// How the archive is made and used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Java 13–18: dump to a temp file at exit, renamed into place by the next start.
    DumpAtExit,
    /// Java 19+: the JVM creates and replaces the archive itself.
    AutoCreate,
    /// Java 25+: the AOT cache (classes loaded and linked, plus profiles), dumped like
    /// [`Mode::DumpAtExit`].
    AotCache,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::DumpAtExit => "dump-at-exit",
            Mode::AutoCreate => "auto-create",
            Mode::AotCache => "aot-cache",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Mode::AotCache => "aot",
            Mode::DumpAtExit | Mode::AutoCreate => "jsa",
        }
    }
}

/// The mode for a Java feature version, or `None` below Java 13 (no dynamic archive). `aot`
/// asks for the AOT cache where the Java has `-XX:AOTCacheOutput` (25+).
pub fn mode_for(feature: u32, aot: bool) -> Option<Mode> {
    match feature {
        0..=12 => None,
        13..=18 => Some(Mode::DumpAtExit),
        25.. if aot => Some(Mode::AotCache),
        _ => Some(Mode::AutoCreate),
    }
}

/// The Java installation an archive belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JavaId {
    pub home: PathBuf,
    pub version: String,
    pub feature: u32,
    /// `IMPLEMENTOR` and `IMPLEMENTOR_VERSION` from the home's `release` file.
    pub vendor: String,
    /// `JAVA_RUNTIME_VERSION` from `release` (the full build, e.g. `17.0.15+6-Debian-1deb12u1`).
    pub build: String,
    /// Size and mtime of the JVM library: an in-place upgrade changes them even where `release`
    /// stays the same.
    pub jvm_library: String,
}

impl JavaId {
    /// Reads what identifies the Java at `home` (missing parts stay empty).
    pub fn read(home: &Path, version: &str, feature: u32) -> JavaId {
        let release = std::fs::read(home.join("release"))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let field = |name| crate::java::version::release_value(&release, name).unwrap_or_default();
        let jvm_library = [
            "lib/server/libjvm.so",
            "lib/server/libjvm.dylib",
            "bin/server/jvm.dll",
        ]
        .iter()
        .find_map(|rel| {
            let path = home.join(rel);
            size_and_mtime(&path).map(|(size, mtime)| format!("{rel} {size} {mtime}"))
        })
        .unwrap_or_default();
        JavaId {
            home: home.to_path_buf(),
            version: version.to_string(),
            feature,
            vendor: format!("{} {}", field("IMPLEMENTOR"), field("IMPLEMENTOR_VERSION"))
                .trim()
                .to_string(),
            build: field("JAVA_RUNTIME_VERSION"),
            jvm_library,
        }
    }
}

/// Size and modification time (ns since the epoch) of a regular file.
fn size_and_mtime(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    meta.is_file().then_some((meta.len(), mtime.as_nanos()))
}

/// What the archive is made of.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub lock_input_hash: Option<&'a str>,
    /// The classpath exactly as passed to the JVM.
    pub classpath: &'a [PathBuf],
    /// The user's JVM options (`-J`): the `-XX:` ones change what an archive may hold (GC, oops).
    pub jvm_args: &'a [String],
    pub java: &'a JavaId,
}

/// Why an archive cannot be used for these inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsupported {
    /// A classpath entry is a folder (the JVM refuses archives of such a classpath; Java 13–18
    /// accept one as the last entry).
    Folder(PathBuf),
    /// A classpath entry cannot be read (e.g. a jar not downloaded yet).
    Unreadable(PathBuf),
}

/// The cache key: the first 32 hex digits of the SHA-256 of a text naming every input.
pub fn key(inputs: &Inputs<'_>, mode: Mode) -> Result<String, Unsupported> {
    let java = inputs.java;
    let mut text = format!(
        "kclrs-cds {KEY_VERSION}\nmode {}\nlock-input-hash {}\njava-home {}\njava-version {}\n\
         java-vendor {}\njava-build {}\njvm-library {}\n",
        mode.name(),
        inputs.lock_input_hash.unwrap_or("-"),
        java.home.display(),
        java.version,
        java.vendor,
        java.build,
        java.jvm_library,
    );
    // `-XX:` options choose the GC, compressed oops and the like, which an archive depends on;
    // `-D`, `-Xmx` or `-Xlog` do not, and must not cost a new archive.
    for arg in inputs.jvm_args.iter().filter(|a| a.starts_with("-XX:")) {
        text.push_str(&format!("jvm-arg {arg}\n"));
    }
    let last = inputs.classpath.len().saturating_sub(1);
    for (i, entry) in inputs.classpath.iter().enumerate() {
        // Java 13–18 accept a folder after the last jar (no class of the archive comes from it).
        if entry.is_dir() && mode == Mode::DumpAtExit && i == last {
            text.push_str(&format!("classpath-folder {}\n", entry.display()));
            continue;
        }
        if entry.is_dir() {
            return Err(Unsupported::Folder(entry.clone()));
        }
        let (size, mtime) =
            size_and_mtime(entry).ok_or_else(|| Unsupported::Unreadable(entry.clone()))?;
        text.push_str(&format!("classpath {} {size} {mtime}\n", entry.display()));
    }
    let mut hasher = crate::digest::Hasher::default();
    hasher.update(text.as_bytes());
    Ok(hasher.finish()[..32].to_string())
}

/// True when the user handles class-data sharing (or turned it off) with their own options.
pub fn user_manages_cds<'a>(options: impl IntoIterator<Item = &'a str>) -> bool {
    const OWN: &[&str] = &[
        "-Xshare:",
        "-XX:SharedArchiveFile",
        "-XX:ArchiveClassesAtExit",
        "-XX:+AutoCreateSharedArchive",
        "-XX:-AutoCreateSharedArchive",
        "-XX:AOTCache",
        "-XX:AOTCacheOutput",
        "-XX:AOTMode",
        "-XX:AOTConfiguration",
        "-XX:-UseSharedSpaces",
        "-XX:SharedClassListFile",
    ];
    options
        .into_iter()
        .flat_map(str::split_whitespace)
        .any(|o| OWN.iter().any(|own| o.starts_with(own)))
}

/// What to do with the archive on this start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// A checked archive: use it.
    Use(PathBuf),
    /// None yet: the JVM writes one to this temp path when it exits.
    Create(PathBuf),
    /// [`Mode::AutoCreate`]: the JVM uses the file if it fits and (re)writes it at exit.
    Auto(PathBuf),
}

impl Plan {
    /// The file the JVM reads or writes.
    pub fn path(&self) -> &Path {
        match self {
            Plan::Use(p) | Plan::Create(p) | Plan::Auto(p) => p,
        }
    }
}

/// The JVM options for `plan` in `mode`. The JVM's per-class remarks while it dumps ("Skipping
/// …: Old class has been linked", dozens of lines at exit) are turned off; a user's own
/// `-J-Xlog:cds` comes later on the command line and wins.
pub fn flags(mode: Mode, plan: &Plan) -> Vec<String> {
    let path = plan.path().display();
    let mut flags = match (mode, plan) {
        (Mode::AutoCreate, _) => vec![
            "-XX:+AutoCreateSharedArchive".to_string(),
            format!("-XX:SharedArchiveFile={path}"),
        ],
        (Mode::AotCache, Plan::Create(_)) => vec![format!("-XX:AOTCacheOutput={path}")],
        (Mode::AotCache, _) => vec![format!("-XX:AOTCache={path}")],
        (Mode::DumpAtExit, Plan::Create(_)) => vec![format!("-XX:ArchiveClassesAtExit={path}")],
        (Mode::DumpAtExit, _) => vec![format!("-XX:SharedArchiveFile={path}")],
    };
    if !matches!(plan, Plan::Create(_)) {
        // Checksums of every region at each start (tens of milliseconds): bytes damaged after
        // kclrs checked the file mean "start without it", never a crash on a bad class.
        flags.push("-XX:+VerifySharedSpaces".to_string());
    }
    flags.push("-Xlog:cds=off".to_string());
    if mode == Mode::AotCache {
        flags.push("-Xlog:aot=off".to_string());
    }
    flags
}

/// The options under which `java -version` proves that this Java accepts the archive: mapping
/// is mandatory and every region's checksum is verified.
pub fn check_flags(mode: Mode, archive: &Path) -> Vec<String> {
    let file = match mode {
        Mode::AotCache => vec![
            "-XX:AOTMode=on".to_string(),
            format!("-XX:AOTCache={}", archive.display()),
        ],
        Mode::DumpAtExit | Mode::AutoCreate => vec![
            "-Xshare:on".to_string(),
            format!("-XX:SharedArchiveFile={}", archive.display()),
        ],
    };
    let mut flags = vec![
        "-Xlog:disable".to_string(),
        "-XX:+VerifySharedSpaces".to_string(),
    ];
    flags.extend(file);
    flags
}

/// Runs the real check: `java <check_flags> -cp <classpath> -version` exits 0.
pub fn java_accepts(java: &Path, classpath: &OsString, mode: Mode, archive: &Path) -> bool {
    let mut args: Vec<OsString> = check_flags(mode, archive)
        .into_iter()
        .map(OsString::from)
        .collect();
    args.extend([OsString::from("-cp"), classpath.clone(), "-version".into()]);
    crate::java::probe::run_java(java, &args, VALIDATE_TIMEOUT)
        .is_ok_and(|(_, status)| status.success())
}

/// The archive folder of a cache.
pub fn dir(cache: &crate::cache::Cache) -> PathBuf {
    cache.root.join("cds")
}

fn stamp_path(archive: &Path) -> PathBuf {
    let mut name = archive.file_name().unwrap_or_default().to_os_string();
    name.push(".checked");
    archive.with_file_name(name)
}

fn stamp_text(archive: &Path) -> Option<String> {
    let (size, mtime) = size_and_mtime(archive)?;
    Some(format!("kclrs-cds-checked 1\nsize {size}\nmtime {mtime}\n"))
}

/// True when `archive` was checked as it is now (same size and mtime).
fn checked(archive: &Path) -> bool {
    match (
        stamp_text(archive),
        std::fs::read_to_string(stamp_path(archive)),
    ) {
        (Some(now), Ok(then)) => now == then,
        _ => false,
    }
}

fn write_stamp(archive: &Path) {
    if let Some(text) = stamp_text(archive) {
        // Losing the stamp only costs another check.
        let _ = crate::cache::write_atomic(&stamp_path(archive), text.as_bytes());
    }
}

fn remove(archive: &Path) {
    let _ = std::fs::remove_file(archive);
    let _ = std::fs::remove_file(stamp_path(archive));
}

/// Chooses what this start does with the archive of `key` in `dir`. `accepts` is the check of an
/// unchecked archive ([`java_accepts`] for the chosen Java). Errors are I/O errors of `dir`; the
/// caller then runs without class-data sharing.
pub fn plan(
    dir: &Path,
    key: &str,
    mode: Mode,
    accepts: &dyn Fn(&Path) -> bool,
) -> std::io::Result<Plan> {
    std::fs::create_dir_all(dir)?;
    let archive = dir.join(format!("{key}.{}", mode.extension()));
    let found = |p: &Path| {
        if mode == Mode::AutoCreate {
            Plan::Auto(p.to_path_buf())
        } else {
            Plan::Use(p.to_path_buf())
        }
    };
    if archive.exists() {
        if checked(&archive) {
            return Ok(found(&archive));
        }
        if accepts(&archive) {
            write_stamp(&archive);
            return Ok(found(&archive));
        }
        remove(&archive);
    }
    if mode == Mode::AutoCreate {
        return Ok(Plan::Auto(archive));
    }
    // Dumps that finished since the last start, newest first: the first this Java accepts is
    // moved into place; the rest are removed once no JVM can still be writing them.
    let mut partials = partials(dir, key)?;
    partials.sort_by_key(|p| std::cmp::Reverse(p.1));
    let mut placed = false;
    for (partial, modified) in partials {
        if !placed && accepts(&partial) && std::fs::rename(&partial, &archive).is_ok() {
            write_stamp(&archive);
            placed = true;
        } else if placed || modified.elapsed().unwrap_or_default() > PARTIAL_GRACE {
            let _ = std::fs::remove_file(&partial);
        }
    }
    if placed {
        return Ok(Plan::Use(archive));
    }
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    Ok(Plan::Create(dir.join(format!(
        "{key}.{}-{nanos}.partial",
        std::process::id()
    ))))
}

/// The `<key>.*.partial` files in `dir` with their modification times.
fn partials(dir: &Path, key: &str) -> std::io::Result<Vec<(PathBuf, SystemTime)>> {
    let prefix = format!("{key}.");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".partial") {
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(UNIX_EPOCH);
            out.push((entry.path(), modified));
        }
    }
    Ok(out)
}

/// Everything [`decide`] needs about one start.
#[derive(Clone, Copy, Debug)]
pub struct Start<'a> {
    pub cache: &'a crate::cache::Cache,
    /// The `java` launcher that will run.
    pub java_bin: &'a Path,
    pub inputs: Inputs<'a>,
    /// The classpath joined as the command passes it.
    pub joined_classpath: &'a OsString,
    /// Use the AOT cache where the Java has one.
    pub aot: bool,
}

/// The mode and plan for a start, or why there is none (Java too old, a folder or a missing jar
/// on the classpath, an unwritable cache).
pub fn decide(start: &Start<'_>) -> Result<(Mode, Plan), String> {
    let java = start.inputs.java;
    let mode = mode_for(java.feature, start.aot).ok_or_else(|| {
        format!(
            "Java {} has no dynamic class-data archive (Java 13 or newer has)",
            java.version
        )
    })?;
    let key = key(&start.inputs, mode).map_err(|u| match u {
        Unsupported::Folder(p) => format!("the classpath holds a folder ({})", p.display()),
        Unsupported::Unreadable(p) => format!("{} cannot be read", p.display()),
    })?;
    let accepts =
        |archive: &Path| java_accepts(start.java_bin, start.joined_classpath, mode, archive);
    let dir = dir(start.cache);
    plan(&dir, &key, mode, &accepts)
        .map(|plan| (mode, plan))
        .map_err(|e| format!("cannot use {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests;
