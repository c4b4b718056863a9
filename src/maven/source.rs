//! Where the resolver gets POMs, `maven-metadata.xml`, artifacts and checksum files from.
//!
//! Resolution walks the dependency graph one level at a time and asks for every file that level
//! needs in one [`RepoSource::fetch_many`] call, so a network source can fetch them concurrently
//! and the number of round trips is the depth of the graph, not its size. The resolver never
//! knows whether bytes came from disk or a socket. [`LocalRepo`] serves a local Maven repository
//! directory (`~/.m2/repository` or `--maven-repo-local`).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::Coord;

/// A file in a Maven repository layout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RepoFile {
    /// The POM of `group:artifact:version` (extension and classifier of the coord are ignored).
    Pom(Coord),
    /// The version list of `group:artifact`. A source may answer with several documents.
    Metadata { group: String, artifact: String },
    /// The artifact file itself (jar, …).
    Artifact(Coord),
    /// A checksum file next to an artifact: `algorithm` is `sha1`, `sha256` or `sha512`.
    Checksum {
        coord: Coord,
        algorithm: &'static str,
    },
}

impl RepoFile {
    /// The `/`-separated path in a repository (for metadata, the remote `maven-metadata.xml`).
    pub fn repo_path(&self) -> String {
        match self {
            RepoFile::Pom(c) => c.with_extension("pom").repo_path(),
            RepoFile::Metadata { group, artifact } => {
                format!("{}/{artifact}/maven-metadata.xml", group.replace('.', "/"))
            }
            RepoFile::Artifact(c) => c.repo_path(),
            RepoFile::Checksum { coord, algorithm } => format!("{}.{algorithm}", coord.repo_path()),
        }
    }
}

/// The largest POM kclrs reads: real ones are a few KiB, the largest known well under 1 MiB.
pub const MAX_POM: u64 = 8 << 20;
/// The largest `maven-metadata.xml`: one with every version of a busy artifact is a few MiB.
pub const MAX_METADATA: u64 = 32 << 20;
/// The largest checksum file: a sha512 in hex and a file name fit many times over.
pub const MAX_CHECKSUM: u64 = 1 << 10;
/// The largest artifact hashed while locking (its bytes are held in memory once).
pub const MAX_ARTIFACT: u64 = 256 << 20;

impl RepoFile {
    /// The most bytes kclrs takes for this file from any source; a larger one is refused, so a
    /// hostile repository cannot fill the disk or the memory with an endless body.
    pub fn max_size(&self) -> u64 {
        match self {
            RepoFile::Pom(_) => MAX_POM,
            RepoFile::Metadata { .. } => MAX_METADATA,
            RepoFile::Artifact(_) => MAX_ARTIFACT,
            RepoFile::Checksum { .. } => MAX_CHECKSUM,
        }
    }

    /// What the file is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            RepoFile::Pom(_) => "POM",
            RepoFile::Metadata { .. } => "maven-metadata.xml",
            RepoFile::Artifact(_) => "artifact",
            RepoFile::Checksum { .. } => "checksum file",
        }
    }
}

/// The hex digest a checksum file states (its first word, lower-cased), or what it is instead:
/// never its text, which a hostile server (or a redirect to an internal address) chooses.
pub fn stated_checksum(bytes: &[u8], algorithm: &str) -> Result<String, String> {
    let hex_len = match algorithm {
        "sha1" => 40,
        "sha256" => 64,
        _ => 128,
    };
    let word = bytes
        .split(u8::is_ascii_whitespace)
        .find(|w| !w.is_empty())
        .unwrap_or_default();
    if word.len() == hex_len && word.iter().all(u8::is_ascii_hexdigit) {
        return Ok(String::from_utf8_lossy(word).to_ascii_lowercase());
    }
    Err(format!(
        "not a {algorithm} checksum ({} bytes)",
        bytes.len()
    ))
}

/// One file a source found; files it did not find are simply absent from the answer.
#[derive(Clone, Debug)]
pub struct FetchedFile {
    pub file: RepoFile,
    /// Where the bytes came from (path or URL), for messages.
    pub location: String,
    pub bytes: Vec<u8>,
}

/// A repository the resolver can read from, a batch at a time.
pub trait RepoSource {
    /// Fetches every file of `files` that exists. Missing files are left out of the result;
    /// only failures to talk to the repository are errors.
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>>;
}

/// A local Maven repository directory.
#[derive(Clone, Debug)]
pub struct LocalRepo {
    pub root: PathBuf,
}

impl LocalRepo {
    pub fn new(root: PathBuf) -> LocalRepo {
        LocalRepo { root }
    }

    fn path_of(&self, repo_path: &str) -> PathBuf {
        crate::paths::join_repo_path(&self.root, repo_path)
    }

    fn read(&self, file: &RepoFile, path: &Path, out: &mut Vec<FetchedFile>) -> anyhow::Result<()> {
        match read_capped(path, file.max_size()) {
            Ok(None) => Err(crate::error::UserError::new(
                crate::error::Exit::Fetch,
                format!(
                    "{} is larger than the {} byte limit for a {}: refused",
                    path.display(),
                    file.max_size(),
                    file.kind()
                ),
            )
            .hint("replace the file with a real one, or point kclrs at another repository")
            .into()),
            Ok(Some(bytes)) => {
                out.push(FetchedFile {
                    file: file.clone(),
                    location: path.display().to_string(),
                    bytes,
                });
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }
}

/// The bytes of `path` if it holds at most `cap` of them (`None` if more); reads at most one
/// byte past the cap, so a huge or endless file (`/dev/zero`) costs nothing.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

impl RepoSource for LocalRepo {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        let mut out = Vec::with_capacity(files.len());
        for file in files {
            match file {
                RepoFile::Metadata { group, artifact } => {
                    // A local repository keeps `maven-metadata-<repo-id>.xml` per remote.
                    let dir = self.path_of(&format!("{}/{artifact}", group.replace('.', "/")));
                    let entries = match std::fs::read_dir(&dir) {
                        Ok(e) => e,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => {
                            return Err(e).with_context(|| format!("cannot list {}", dir.display()))
                        }
                    };
                    let mut names: Vec<String> = entries
                        .filter_map(|e| e.ok())
                        .filter_map(|e| e.file_name().into_string().ok())
                        .filter(|n| n.starts_with("maven-metadata") && n.ends_with(".xml"))
                        .collect();
                    names.sort();
                    for name in names {
                        self.read(file, &dir.join(name), &mut out)?;
                    }
                }
                other => self.read(other, &self.path_of(&other.repo_path()), &mut out)?,
            }
        }
        Ok(out)
    }
}

/// Several sources tried in order: a file comes from the first source that has it, while
/// metadata documents are gathered from all of them (Maven merges version lists too).
#[derive(Default)]
pub struct Chain {
    pub sources: Vec<Box<dyn RepoSource>>,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Chain({} sources)", self.sources.len())
    }
}

impl RepoSource for Chain {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        let mut out: Vec<FetchedFile> = Vec::new();
        let mut wanted: Vec<RepoFile> = files.to_vec();
        for source in &self.sources {
            if wanted.is_empty() {
                break;
            }
            let got = source.fetch_many(&wanted)?;
            wanted.retain(|w| {
                matches!(w, RepoFile::Metadata { .. }) || !got.iter().any(|g| &g.file == w)
            });
            out.extend(got);
        }
        Ok(out)
    }
}

/// A shared source: the resolver's chain and the jar-hashing step of `kclrs lock` read the same
/// sources, each in its own order.
impl<S: RepoSource + ?Sized> RepoSource for std::rc::Rc<S> {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        (**self).fetch_many(files)
    }
}

/// The last resort when no remote is configured: one `mvn` run fetches every POM and artifact of
/// a batch into the local Maven repository (with Maven's own remotes, mirrors and credentials),
/// which is then read like any local repository. Metadata and checksum files alone never start
/// `mvn` (Maven writes the checksums it checked next to what it downloads).
#[derive(Debug)]
pub struct AskMvn {
    pub env: crate::env::Env,
    /// `--settings` file handed to Maven, if any.
    pub settings_file: Option<PathBuf>,
    pub local: LocalRepo,
    /// [`super::mvn::fetch_missing`], replaceable in tests.
    pub fetch: MvnFetch,
}

/// The signature of [`super::mvn::fetch_missing`], replaceable in tests.
pub type MvnFetch = fn(&crate::env::Env, &[Coord], Option<&Path>, &Path) -> anyhow::Result<()>;

impl RepoSource for AskMvn {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        let mut coords: Vec<Coord> = Vec::new();
        for file in files {
            let coord = match file {
                RepoFile::Pom(c) => c.with_extension("pom"),
                RepoFile::Artifact(c) => c.clone(),
                _ => continue,
            };
            if !coords.contains(&coord) {
                coords.push(coord);
            }
        }
        if coords.is_empty() {
            return Ok(Vec::new());
        }
        // A failed run is reported but not fatal: whatever is still missing then fails with the
        // resolver's own message, which names the chain of POMs that needed it.
        if let Err(e) = (self.fetch)(
            &self.env,
            &coords,
            self.settings_file.as_deref(),
            &self.local.root,
        ) {
            crate::ui::warn(
                &self.env,
                &format!(
                    "no remote repository is configured and mvn could not fetch {} file(s) (first: {}): {e:#}",
                    coords.len(),
                    coords[0]
                ),
            );
        }
        self.local.fetch_many(files)
    }
}

/// Keeps every POM another source served in a Maven-layout folder (the kclrs cache's `maven/`),
/// so re-resolving reads POMs from disk instead of the network. POMs of a released version never
/// change; metadata and artifacts pass through (metadata must stay fresh, and jars are kept only
/// after their checksums were verified, by the download code).
#[derive(Debug)]
pub struct PomCache<S> {
    pub dir: LocalRepo,
    pub inner: S,
}

impl<S: RepoSource> RepoSource for PomCache<S> {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        let poms: Vec<RepoFile> = files
            .iter()
            .filter(|f| matches!(f, RepoFile::Pom(_)))
            .cloned()
            .collect();
        let mut out = self.dir.fetch_many(&poms)?;
        let rest: Vec<RepoFile> = files
            .iter()
            .filter(|f| !out.iter().any(|o| &o.file == *f))
            .cloned()
            .collect();
        if rest.is_empty() {
            return Ok(out);
        }
        for got in self.inner.fetch_many(&rest)? {
            // A POM that does not parse is passed on for the resolver to report, but never
            // kept: a cached bad POM would fail every later run, even against a good repository.
            if matches!(got.file, RepoFile::Pom(_)) && super::pom::parse_xml(&got.bytes).is_ok() {
                let path = self.dir.path_of(&got.file.repo_path());
                crate::paths::ensure_under(&self.dir.root, &path)?;
                crate::cache::write_atomic(&path, &got.bytes)
                    .with_context(|| format!("cannot cache the POM from {}", got.location))?;
            }
            out.push(got);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `mvn` that records what it was asked and "downloads" a POM for `g:found`.
    fn fake_mvn(
        _: &crate::env::Env,
        coords: &[Coord],
        _: Option<&Path>,
        repo: &Path,
    ) -> anyhow::Result<()> {
        let asked: Vec<String> = coords.iter().map(ToString::to_string).collect();
        std::fs::write(repo.join("asked.txt"), asked.join(" "))?;
        let pom = repo.join("g/found/1/found-1.pom");
        std::fs::create_dir_all(pom.parent().unwrap())?;
        std::fs::write(pom, "<project/>")?;
        anyhow::bail!("one artifact could not be resolved")
    }

    #[test]
    fn mvn_is_asked_once_per_batch_for_poms_and_artifacts_only() {
        let dir = tempfile::tempdir().unwrap();
        let env = crate::env::Env::fake(crate::env::Os::Linux, None, dir.path().into());
        let mvn = AskMvn {
            env,
            settings_file: None,
            local: LocalRepo::new(dir.path().to_path_buf()),
            fetch: fake_mvn,
        };
        let found: Coord = "g:found:jar:sources:1".parse().unwrap();
        let only_sums = [
            RepoFile::Checksum {
                coord: found.clone(),
                algorithm: "sha1",
            },
            RepoFile::Metadata {
                group: "g".into(),
                artifact: "found".into(),
            },
        ];
        assert!(mvn.fetch_many(&only_sums).unwrap().is_empty());
        assert!(
            !dir.path().join("asked.txt").exists(),
            "mvn was not started"
        );
        let got = mvn
            .fetch_many(&[
                RepoFile::Pom(found),
                RepoFile::Artifact(Coord::jar("g", "gone", "2")),
            ])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("asked.txt")).unwrap(),
            "g:found:pom:1 g:gone:2"
        );
        assert_eq!(
            got.len(),
            1,
            "what mvn fetched is read even when the run failed"
        );
        assert_eq!(got[0].bytes, b"<project/>");
    }

    #[test]
    fn local_repo_serves_files_and_all_metadata_documents() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("g/h/a");
        std::fs::create_dir_all(base.join("1")).unwrap();
        std::fs::write(base.join("1/a-1.pom"), "<project/>").unwrap();
        std::fs::write(base.join("maven-metadata-central.xml"), "m1").unwrap();
        std::fs::write(base.join("maven-metadata-local.xml"), "m2").unwrap();
        std::fs::write(base.join("maven-metadata-central.xml.sha1"), "x").unwrap();
        let repo = LocalRepo::new(dir.path().to_path_buf());
        let coord = Coord::jar("g.h", "a", "1");
        let got = repo
            .fetch_many(&[
                RepoFile::Pom(coord.clone()),
                RepoFile::Artifact(coord.clone()),
                RepoFile::Metadata {
                    group: "g.h".into(),
                    artifact: "a".into(),
                },
            ])
            .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].bytes, b"<project/>");
        assert_eq!(got[1].bytes, b"m1");
        assert_eq!(got[2].bytes, b"m2");
        let cache_dir = tempfile::tempdir().unwrap();
        let cached = PomCache {
            dir: LocalRepo::new(cache_dir.path().to_path_buf()),
            inner: repo,
        };
        let pom = RepoFile::Pom(coord.clone());
        assert_eq!(
            cached.fetch_many(std::slice::from_ref(&pom)).unwrap().len(),
            1
        );
        std::fs::remove_file(base.join("1/a-1.pom")).unwrap();
        let again = cached
            .fetch_many(&[pom, RepoFile::Artifact(coord.clone())])
            .unwrap();
        assert_eq!(again.len(), 1, "the POM now comes from the cache");
        assert_eq!(again[0].bytes, b"<project/>");
        assert_eq!(
            RepoFile::Checksum {
                coord,
                algorithm: "sha1"
            }
            .repo_path(),
            "g/h/a/1/a-1.jar.sha1"
        );
    }
}
