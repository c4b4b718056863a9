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

    /// Where `repo_path` (`/`-separated) lives in this repository.
    pub fn path_of(&self, repo_path: &str) -> PathBuf {
        crate::paths::join_repo_path(&self.root, repo_path)
    }

    fn read(&self, file: &RepoFile, path: &Path, out: &mut Vec<FetchedFile>) -> anyhow::Result<()> {
        match std::fs::read(path) {
            Ok(bytes) => {
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
    /// `transport::mvn::fetch_missing` in kclrs, replaceable in tests.
    pub fetch: MvnFetch,
}

/// The signature of `transport::mvn::fetch_missing`, replaceable in tests.
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
