//! `kclrs bundle`: one folder that runs the MultiLangDaemon where no Java and no kclrs are
//! installed — a `jlink`ed runtime of just the modules the locked jars need ([`modules`]), the
//! locked jars verified into `lib/`, a class-data-sharing archive for exactly that runtime and
//! classpath ([`cds`]), the launchers `bin/kcl-daemon` and `bin/kcl-daemon.cmd` ([`launcher`]) and
//! `bundle.lock`, the hash of every file ([`manifest`]), which `--check` compares.
//!
//! Everything but the archive is built in a sibling folder and renamed onto DIR in one step, so
//! DIR is never half written. The archive comes after the rename: on Java 17 it only maps with
//! the jars at the paths it was dumped with, which are DIR's. Until it is in place (written aside,
//! renamed in, then recorded in `bundle.lock` by an atomic rewrite) the bundle is complete and
//! consistent, only without the archive, which the launcher then does not ask for.

pub mod cds;
pub mod launcher;
pub mod manifest;
pub mod modules;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cache::Cache;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::Lockfile;
use crate::transport::FetchOptions;

pub use manifest::{Differences, Manifest};

/// What `kclrs bundle --dest` was asked.
#[derive(Clone, Debug)]
pub struct BundleOptions {
    pub dest: PathBuf,
    /// The app's properties for the training run (checked like `run`'s).
    pub properties: Option<PathBuf>,
    pub java: Option<PathBuf>,
    pub lockfile: Option<PathBuf>,
    pub cache: Cache,
    pub fetch: FetchOptions,
}

/// What [`build`] made.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BundleReport {
    pub dir: PathBuf,
    pub java: String,
    pub modules: Vec<String>,
    pub added_modules: Vec<String>,
    pub jars: usize,
    pub lib_bytes: u64,
    pub runtime_bytes: u64,
    pub archive_bytes: u64,
    pub classes: usize,
    /// Classes of the record path added to the training run's ([`cds::complete_list`]).
    pub record_path_classes: usize,
    /// Seconds per step: jdeps, jlink, training run, archive dump.
    pub steps: Vec<(&'static str, f64)>,
}

/// A folder removed when dropped unless [`Scratch::keep`] was called.
struct Scratch(Option<PathBuf>);

impl Scratch {
    fn keep(&mut self) {
        self.0 = None;
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A sibling of `dest` named `.NAME.kclrs-WHAT-PID-RANDOM`, on the same file system.
fn sibling(dest: &Path, what: &str) -> PathBuf {
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    dest.with_file_name(format!(
        ".{name}.kclrs-{what}-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ))
}

/// Sum of the sizes of the regular files under `dir` (symlinks count 0).
fn tree_bytes(dir: &Path) -> u64 {
    manifest::walk(dir, "")
        .unwrap_or_default()
        .iter()
        .filter_map(|p| std::fs::symlink_metadata(p).ok())
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
        .sum()
}

/// The `lib/` names: the lock position first, so a name sort is the classpath order (the
/// Windows launcher relies on it), then the name `download-jars --dest` gives the jar.
fn lib_names(lock: &Lockfile) -> anyhow::Result<Vec<String>> {
    let coords: Vec<_> = lock.artifacts.iter().map(|a| a.coord.clone()).collect();
    let names = crate::fetch::dest_names(&coords)?;
    Ok(names
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:03}-{n}", i + 1))
        .collect())
}

/// DIR must be new, empty, or an earlier bundle (it has a bundle.lock): anything else is the
/// user's and is not replaced.
fn check_dest(dest: &Path) -> anyhow::Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(dest) else {
        return Ok(());
    };
    let empty =
        meta.is_dir() && std::fs::read_dir(dest).is_ok_and(|mut entries| entries.next().is_none());
    if empty || (meta.is_dir() && dest.join(manifest::NAME).is_file()) {
        return Ok(());
    }
    Err(UserError::new(
        Exit::Usage,
        format!(
            "--dest {} exists and is not a bundle (no {} in it)",
            dest.display(),
            manifest::NAME
        ),
    )
    .hint("pass a new or empty folder, or one an earlier `kclrs bundle` wrote")
    .into())
}

/// Copies `src` to `dst` while hashing it; exit 5 unless the bytes are the locked ones.
fn copy_verified(src: &Path, dst: &Path, coords: &str, sha256: &str) -> anyhow::Result<u64> {
    use std::io::Write;
    let mut out =
        std::fs::File::create(dst).with_context(|| format!("cannot write {}", dst.display()))?;
    let (sha, size) = crate::digest::hash_file_into(src, |chunk| out.write_all(chunk))
        .with_context(|| format!("cannot copy {} to {}", src.display(), dst.display()))?;
    out.sync_all()?;
    if sha != sha256 {
        return Err(UserError::new(
            Exit::Fetch,
            format!(
                "{coords}: {} has sha256 {sha}, the lock says {sha256}",
                src.display()
            ),
        )
        .hint("`kclrs verify` re-hashes the cache; `kclrs download-jars` replaces bad files")
        .into());
    }
    Ok(size)
}

/// The classpath of `lib_names` under `dir/lib`.
fn classpath(dir: &Path, names: &[String], env: &Env) -> anyhow::Result<OsString> {
    let entries: Vec<PathBuf> = names.iter().map(|n| dir.join("lib").join(n)).collect();
    crate::launch::classpath::join(&entries, env.os)
}

/// Builds the bundle: see the module documentation.
pub fn build(env: &Env, opts: &BundleOptions) -> anyhow::Result<BundleReport> {
    let lockfile = opts.lockfile.as_deref().map(|p| env.absolute(p));
    let lock = Lockfile::load(lockfile.as_deref())?;
    let needs = crate::launch::java_needs(env, &lock, opts.lockfile.as_deref());
    let chosen = crate::java::choose(env, opts.java.as_deref(), &needs)?;
    for warning in &chosen.warnings {
        crate::ui::warn(env, warning);
    }
    let java = chosen.candidate;
    let described = crate::java::describe(&java);
    let exe = if env.os.is_windows() { ".exe" } else { "" };
    let (jlink, jdeps) = modules::tools(&java.home, &described, exe)?;
    let properties = match &opts.properties {
        Some(p) => Some(crate::properties::load(env, p)?.path),
        None => None,
    };
    let dest = env.absolute(&opts.dest);
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .ok_or_else(|| {
            UserError::new(
                Exit::Usage,
                format!("--dest {}: no parent folder", dest.display()),
            )
        })?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let parent = crate::java::probe::canonical(parent).unwrap_or_else(|| parent.to_path_buf());
    let dest = parent.join(dest.file_name().unwrap_or_default());
    check_dest(&dest)?;
    let names = lib_names(&lock)?;

    let fetched = crate::fetch::ensure_jars(&lock, &opts.cache, &opts.fetch, env)?;
    let stage = sibling(&dest, "new");
    let mut scratch = Scratch(Some(stage.clone()));
    for sub in ["lib", "bin", "cds"] {
        std::fs::create_dir_all(stage.join(sub))
            .with_context(|| format!("cannot create {}", stage.join(sub).display()))?;
    }
    let mut jars = Vec::new();
    let mut lib_bytes = 0;
    for ((a, f), name) in lock.artifacts.iter().zip(&fetched.artifacts).zip(&names) {
        let target = stage.join("lib").join(name);
        crate::paths::ensure_under(&stage.join("lib"), &target)?;
        let size = copy_verified(&f.path, &target, &a.coord.to_string(), &a.sha256)?;
        lib_bytes += size;
        jars.push(manifest::JarEntry {
            coords: a.coord.to_string(),
            path: format!("lib/{name}"),
            sha256: a.sha256.clone(),
            size,
        });
    }

    // The modules: jdeps from the lock's roots (the daemon's jar) over every locked jar.
    let staged_cp = classpath(&stage, &names, env)?;
    let roots: Vec<PathBuf> = lock
        .artifacts
        .iter()
        .zip(&names)
        .filter(|(a, _)| lock.roots.contains(&a.coord))
        .map(|(_, n)| stage.join("lib").join(n))
        .collect();
    let roots = if roots.is_empty() {
        vec![stage.join("lib").join(&names[0])]
    } else {
        roots
    };
    let mut steps = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        steps.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let found = modules::jdeps(&jdeps, java.feature, &staged_cp, &roots)?;
    lap("jdeps");
    let available = modules::available(&java.java)?;
    let (all_modules, added) = modules::with_runtime_modules(&found, &available);
    let options = modules::jlink_options(java.feature);
    modules::jlink(&jlink, &all_modules, &options, &stage.join("runtime"))?;
    lap("jlink");
    let runtime_java = stage.join("runtime/bin").join(format!("java{exe}"));

    // Training on the staged copy: the class list names classes, not paths.
    let list = cds::at(&stage, cds::CLASS_LIST);
    let scratch_dir = sibling(&dest, "train");
    std::fs::create_dir_all(&scratch_dir)?;
    let _train_scratch = Scratch(Some(scratch_dir.clone()));
    let classes = cds::train(
        &runtime_java,
        &staged_cp,
        properties.as_deref(),
        &scratch_dir,
        &list,
    )?;
    let record_path_classes = cds::complete_list(&list)?;
    lap("training run");

    let valid_at = dest.to_string_lossy().into_owned();
    let lib_files: Vec<String> = names.clone();
    let sh = stage.join("bin/kcl-daemon");
    std::fs::write(
        &sh,
        launcher::posix(&lib_files, crate::launch::MAIN_CLASS, Some(&valid_at)),
    )?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&sh, std::fs::Permissions::from_mode(0o755))?;
    }
    std::fs::write(
        stage.join("bin/kcl-daemon.cmd"),
        launcher::windows(crate::launch::MAIN_CLASS, Some(&valid_at)),
    )?;

    let mut manifest = Manifest {
        version: manifest::FORMAT_VERSION,
        kclrs: env!("CARGO_PKG_VERSION").to_string(),
        lockfile: lock.origin.to_string(),
        lock_input_hash: lock.input_hash.clone().unwrap_or_default(),
        main_class: crate::launch::MAIN_CLASS.to_string(),
        java: manifest::JavaInfo {
            home: java.home.to_string_lossy().into_owned(),
            version: java.version.clone(),
            modules: all_modules.clone(),
            jdeps_modules: found,
            added_modules: added.clone(),
            jlink_options: options,
        },
        cds: None,
        jars,
        files: manifest::describe_all(&stage, &["bin", "cds", "runtime"])?,
    };
    std::fs::write(stage.join(manifest::NAME), manifest.to_toml()?)?;

    // Into place: the old bundle (if any) aside, the new one in, the old one gone.
    let old = sibling(&dest, "old");
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(&dest, &old)
            .with_context(|| format!("cannot move the old {} aside", dest.display()))?;
    }
    if let Err(e) = std::fs::rename(&stage, &dest) {
        if had_old {
            let _ = std::fs::rename(&old, &dest);
        }
        return Err(anyhow::Error::new(e).context(format!(
            "cannot move the new bundle into {}",
            dest.display()
        )));
    }
    scratch.keep();
    if had_old {
        let _ = std::fs::remove_dir_all(&old);
    }

    // The archive, for the final paths, written aside and renamed in.
    let final_cp = classpath(&dest, &names, env)?;
    let part = sibling(&dest, "jsa");
    let dumped = cds::dump(
        &dest.join("runtime/bin").join(format!("java{exe}")),
        &final_cp,
        &cds::at(&dest, cds::CLASS_LIST),
        &part,
    );
    if let Err(e) = dumped {
        let _ = std::fs::remove_file(&part);
        return Err(e.context(format!(
            "the bundle in {} is complete but has no CDS archive",
            dest.display()
        )));
    }
    lap("archive");
    let archive = cds::at(&dest, cds::ARCHIVE);
    std::fs::rename(&part, &archive)
        .with_context(|| format!("cannot move the archive to {}", archive.display()))?;
    manifest.cds = Some(manifest::CdsInfo {
        path: cds::ARCHIVE.to_string(),
        valid_at,
        classes,
        record_path_classes,
    });
    manifest.files.push(manifest::describe(&dest, &archive)?);
    manifest.files.sort_by(|a, b| a.path.cmp(&b.path));
    let lock_path = dest.join(manifest::NAME);
    crate::cache::write_atomic(&lock_path, manifest.to_toml()?.as_bytes())?;
    #[cfg(unix)]
    {
        // Readable by the app's user, as the rest of the bundle is (the temp file was 0600).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&lock_path, std::fs::Permissions::from_mode(0o644))?;
    }

    Ok(BundleReport {
        runtime_bytes: tree_bytes(&dest.join("runtime")),
        archive_bytes: std::fs::metadata(&archive).map_or(0, |m| m.len()),
        dir: dest,
        java: described,
        modules: all_modules,
        added_modules: added,
        jars: lock.artifacts.len(),
        lib_bytes,
        classes,
        record_path_classes,
        steps,
    })
}

/// `--check DIR`: the manifest and what differs from it (empty when the bundle is intact).
pub fn check(env: &Env, dir: &Path) -> anyhow::Result<(Manifest, Differences)> {
    let dir = env.absolute(dir);
    let manifest = Manifest::load(&dir)?;
    let diff = manifest::compare(&dir, &manifest)?;
    Ok((manifest, diff))
}
