//! The locking operation (`kclrs lock`), above the Maven model, the transport and the store (see
//! ARCHITECTURE.md). [`create`] and [`check`] (`create.rs`) decide the inputs, resolve, and write
//! or compare the lock; [`sources`] (`sources.rs`) builds the source chain and checks the jars of
//! a closure in batches; `commands/lock.rs` only turns flags into an [`Asked`] and prints.
//!
//! This file turns a resolved closure into `jars.lock` entries: fetch each jar once (through any
//! [`RepoSource`]), hash it, cross-check the repository's own checksum files, find the Java
//! feature version its classes need, and keep it in the kclrs cache.
//!
//! Also the input hash that `lock --check` compares: it covers exactly what decides the result
//! (roots, exclusions, the platform profiles are judged for, the lock format and resolver
//! version) and never a repository URL, so moving to a mirror does not make a lock stale.

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::cache::{self, Cache};
use crate::classfile::JarError;
use crate::env::Env;
use crate::error::{Exit, UserError};
use crate::lockfile::{LockedArtifact, FORMAT_VERSION};
use crate::maven::model::{type_on_classpath, Platform};
use crate::maven::resolve::{Request, Resolution};
use crate::maven::source::{fetch_groups_at_once, FetchedFile, RepoFile, RepoSource};
use crate::maven::Coord;

mod create;
mod pom_cache;
mod sources;

pub use create::{check, create, Asked, Created, Report, Stats};
pub use pom_cache::PomCache;
pub use sources::{sources, Sources};

/// Bumped whenever a resolution rule changes, so older locks show up as stale.
pub const RESOLVER_VERSION: u32 = 1;

/// Group and artifact of the default root.
pub const KCL_GROUP: &str = "software.amazon.kinesis";
pub const KCL_ARTIFACT: &str = "amazon-kinesis-client-multilang";

/// The hash of the resolution inputs recorded as `input-hash`.
pub fn input_hash(roots: &[Coord], excludes: &[String], platform: &Platform) -> String {
    let mut text = format!(
        "kclrs-lock format {FORMAT_VERSION} resolver {RESOLVER_VERSION}\nplatform java {} os {:?} arch {}\n",
        platform.java_version, platform.os, platform.arch
    );
    for r in roots {
        text.push_str(&format!("root {r}\n"));
    }
    for e in excludes {
        text.push_str(&format!("exclude {e}\n"));
    }
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The request for `roots` and `G:A` exclusions.
pub fn request(roots: &[Coord], excludes: &[String]) -> Request {
    Request {
        roots: roots.to_vec(),
        excludes: excludes
            .iter()
            .filter_map(|e| e.split_once(':'))
            .map(|(g, a)| (g.to_string(), a.to_string()))
            .collect(),
    }
}

/// The artifacts of a resolution that belong on a classpath, in order.
pub fn classpath(resolution: &Resolution) -> Vec<Coord> {
    resolution
        .artifacts
        .iter()
        .filter(|a| type_on_classpath(&a.kind))
        .map(|a| a.coord.clone())
        .collect()
}

/// One jar fetched and checked.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The lock entry, with the Java version its classes need.
    pub locked: LockedArtifact,
    /// Which checksum files were compared (`sha1`, …; `kclrs cache` for a jar whose cache stamp
    /// vouches for it); empty if the repository had none.
    pub verified_with: Vec<&'static str>,
    /// Where the bytes came from (path or URL).
    pub location: String,
}

fn digest_hex(algorithm: &str, bytes: &[u8]) -> String {
    match algorithm {
        "sha1" => hex::encode(sha1::Sha1::digest(bytes)),
        "sha256" => hex::encode(Sha256::digest(bytes)),
        _ => hex::encode(sha2::Sha512::digest(bytes)),
    }
}

const ALGORITHMS: [&str; 3] = ["sha1", "sha256", "sha512"];

/// Fetches `coord`, hashes it and compares every checksum file the repository has for it.
/// A mismatch or a missing jar is an error with exit code 5.
pub fn fetch_and_check(source: &dyn RepoSource, coord: &Coord) -> anyhow::Result<Checked> {
    match check_many(source, std::slice::from_ref(coord))?
        .pop()
        .flatten()
    {
        Some((checked, _)) => Ok(checked),
        None => Err(not_found(coord)),
    }
}

/// A jar the kclrs cache already holds, verified when it was stored (by an earlier `lock` or by
/// `download-jars`). The stamp only says which file to trust; the lock records what the bytes
/// hash to now, so a forged or stale stamp can never become a locked hash. When the bytes do not
/// match their stamp, the stamp is dropped, a warning says so, and the jar is fetched again.
pub fn from_cache(cache: &Cache, coord: &Coord, env: &Env) -> anyhow::Result<Option<Checked>> {
    let path = cache.artifact_path(coord);
    let Some((stamped, _)) = cache::verified_sha256(&path) else {
        return Ok(None);
    };
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let location = path.display().to_string();
    let sha256 = digest_hex("sha256", &bytes);
    if sha256 != stamped {
        cache::remove_stamp(&path);
        crate::ui::warn(
            env,
            &format!(
                "{location} hashes to sha256 {sha256}, not the {stamped} its cache stamp records; fetching it again"
            ),
        );
        return Ok(None);
    }
    Ok(Some(Checked {
        locked: LockedArtifact {
            coord: coord.clone(),
            sha256,
            size: bytes.len() as u64,
            min_java: jar_min_java(coord, &bytes, &location)?,
        },
        verified_with: vec!["kclrs cache"],
        location,
    }))
}

/// The Java feature version a jar's classes need (`None` for other extensions). A jar that does
/// not open is damaged in transit or not a jar (exit 5, fetch it again or elsewhere); a jar with
/// classes no JVM loads is refused as published (exit 3), since its `min-java` would be nonsense.
fn jar_min_java(coord: &Coord, bytes: &[u8], location: &str) -> anyhow::Result<Option<u32>> {
    if coord.extension != "jar" {
        return Ok(None);
    }
    crate::classfile::min_java(std::io::Cursor::new(bytes), location).map_err(|e| {
        let error = match e {
            JarError::Unreadable(why) => UserError::new(Exit::Fetch, format!("{coord}: {why}"))
                .hint("the repository serves a damaged file or not a jar at all; delete it there or use another repository"),
            JarError::BadClass(why) => UserError::new(Exit::Input, format!("{coord}: {why}"))
                .hint("the artifact is broken as published; leave it out with --exclude G:A"),
        };
        error.into()
    })
}

/// Stores a jar that passed [`check_many`] in the kclrs cache (under its artifact lock, with its
/// verified-stamp), where `download-jars` and the next `lock` find it.
pub fn keep_in_cache(cache: &Cache, checked: &Checked, bytes: &[u8]) -> anyhow::Result<()> {
    let a = &checked.locked;
    let path = cache.artifact_path(&a.coord);
    let _lock = cache.lock_artifact(&a.coord, &a.sha256)?;
    if !cache::stamp_is_fresh(&path, &a.sha256, a.size) {
        cache::write_atomic(&path, bytes)?;
        cache::write_stamp(&path, &a.sha256)?;
    }
    Ok(())
}

/// The error for a jar no source has.
pub fn not_found(coord: &Coord) -> anyhow::Error {
    UserError::new(
        Exit::Fetch,
        format!("{coord} ({}) is not in any repository tried", coord.repo_path()),
    )
    .hint("run `mvn dependency:get` for it or point --maven-repo-local/--repository at a repository that has it")
    .into()
}

/// The bytes of a jar that passed its checks.
pub type Jar = Vec<u8>;

/// [`fetch_and_check`] for many jars in one batch (so a remote source fetches them concurrently):
/// per coord, `None` when the source does not have it, else the check and the jar's bytes.
pub fn check_many(
    source: &dyn RepoSource,
    coords: &[Coord],
) -> anyhow::Result<Vec<Option<(Checked, Jar)>>> {
    let groups: Vec<Vec<RepoFile>> = coords.iter().map(|c| jar_files(c).collect()).collect();
    let mut work: Vec<(&Coord, Vec<FetchedFile>)> = Vec::with_capacity(coords.len());
    fetch_groups_at_once(source, &groups, &mut |i, files| {
        work.push((&coords[i], files));
        Ok(())
    })?;
    // Hashing and class-scanning a batch is CPU work: spread it over the cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_thread = coords.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let mut work = work.into_iter().peekable();
        let mut parts = Vec::new();
        while work.peek().is_some() {
            let part: Vec<_> = work.by_ref().take(per_thread).collect();
            parts.push(scope.spawn(move || {
                part.into_iter()
                    .map(|(coord, files)| check_fetched(coord, files))
                    .collect::<Vec<_>>()
            }));
        }
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("a jar check panicked"))
            .collect()
    })
}

/// Checks `coord`'s jar against the checksum files among `files` (what a source found of
/// [`jar_files`]); `None` when the jar itself is not among them.
pub fn check_fetched(
    coord: &Coord,
    mut files: Vec<FetchedFile>,
) -> anyhow::Result<Option<(Checked, Jar)>> {
    let artifact = RepoFile::Artifact(coord.clone());
    let Some(at) = files.iter().position(|f| f.file == artifact) else {
        return Ok(None);
    };
    let jar = files.swap_remove(at);
    let sums: Vec<&FetchedFile> = files
        .iter()
        .filter(|f| matches!(&f.file, RepoFile::Checksum { coord: c, .. } if c == coord))
        .collect();
    let checked = check_jar(coord, &jar, &sums)?;
    Ok(Some((checked, jar.bytes)))
}

/// What checking one jar reads: the jar and its checksum files.
pub fn jar_files(coord: &Coord) -> impl Iterator<Item = RepoFile> + '_ {
    std::iter::once(RepoFile::Artifact(coord.clone())).chain(ALGORITHMS.iter().map(|a| {
        RepoFile::Checksum {
            coord: coord.clone(),
            algorithm: a,
        }
    }))
}

fn check_jar(coord: &Coord, jar: &FetchedFile, sums: &[&FetchedFile]) -> anyhow::Result<Checked> {
    let sha256 = digest_hex("sha256", &jar.bytes);
    let mut verified_with = Vec::new();
    for f in sums {
        let RepoFile::Checksum { algorithm, .. } = &f.file else {
            continue;
        };
        // Only a well-formed digest is ever shown, never the served text.
        let stated = crate::maven::source::stated_checksum(&f.bytes, algorithm);
        let expected = stated.clone().unwrap_or_default();
        // The lock's own sha256 doubles as the check against a served `.sha256`.
        let actual = if *algorithm == "sha256" {
            sha256.clone()
        } else {
            digest_hex(algorithm, &jar.bytes)
        };
        if expected != actual {
            let says = stated.map_or_else(
                |what| format!("is {what}"),
                |e| format!("says {algorithm} {e}"),
            );
            return Err(UserError::new(
                Exit::Fetch,
                format!(
                    "checksum mismatch for {coord}: {} {says}, the file {} hashes to {actual}",
                    f.location, jar.location
                ),
            )
            .hint("the repository copy is corrupt or tampered with; delete it and fetch it again")
            .into());
        }
        verified_with.push(*algorithm);
    }
    let min_java = jar_min_java(coord, &jar.bytes, &jar.location)?;
    Ok(Checked {
        locked: LockedArtifact {
            coord: coord.clone(),
            sha256,
            size: jar.bytes.len() as u64,
            min_java,
        },
        verified_with,
        location: jar.location.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::local::LocalRepo;

    #[test]
    fn input_hash_depends_on_roots_and_excludes_only() {
        let p = Platform::reference();
        let a: Coord = "g:a:1".parse().unwrap();
        let b: Coord = "g:a:2".parse().unwrap();
        let h = input_hash(std::slice::from_ref(&a), &[], &p);
        assert_eq!(h, input_hash(std::slice::from_ref(&a), &[], &p));
        assert_ne!(h, input_hash(&[b], &[], &p));
        assert_ne!(h, input_hash(&[a], &["x:y".into()], &p));
    }

    #[test]
    fn checksums_are_cross_checked() {
        let dir = tempfile::tempdir().unwrap();
        let coord: Coord = "g:a:pom:1".parse().unwrap();
        let base = dir.path().join("g/a/1");
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("a-1.pom"), b"abc").unwrap();
        // sha1("abc") as published by the algorithm's test vectors.
        let good = "a9993e364706816aba3e25717850c26c9cd0d89d";
        std::fs::write(base.join("a-1.pom.sha1"), format!("{good}  a-1.pom\n")).unwrap();
        let repo = LocalRepo::new(dir.path().to_path_buf());
        let ok = fetch_and_check(&repo, &coord).unwrap();
        assert_eq!(ok.verified_with, vec!["sha1"]);
        assert_eq!(ok.locked.size, 3);
        std::fs::write(base.join("a-1.pom.sha1"), "0000").unwrap();
        let err = fetch_and_check(&repo, &coord).unwrap_err();
        assert_eq!(crate::error::classify(&err).0, Exit::Fetch);
        assert!(format!("{err}").contains("checksum mismatch"), "{err}");
        let missing: Coord = "g:b:1".parse().unwrap();
        let err = fetch_and_check(&repo, &missing).unwrap_err();
        assert_eq!(crate::error::classify(&err).0, Exit::Fetch);
    }
}
