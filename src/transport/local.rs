//! The local Maven repository as a [`RepoSource`], and the `mvn` fallback that fills it.
//!
//! [`LocalRepo`] serves a directory in Maven layout (`~/.m2/repository`, `--maven-repo-local`, or a
//! `file:` remote). [`AskMvn`] is the last resort when no remote is configured: the user's own
//! `mvn` fetches a batch into the local repository, which is then read like any other.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::env::Env;
use crate::maven::source::{FetchedFile, RepoFile, RepoSource};
use crate::maven::Coord;
use crate::{paths, ui};

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
        paths::join_repo_path(&self.root, repo_path)
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

/// The last resort when no remote is configured: one `mvn` run fetches every POM and artifact of
/// a batch into the local Maven repository (with Maven's own remotes, mirrors and credentials),
/// which is then read like any local repository. Metadata and checksum files alone never start
/// `mvn` (Maven writes the checksums it checked next to what it downloads).
#[derive(Debug)]
pub struct AskMvn {
    pub env: Env,
    /// `--settings` file handed to Maven, if any.
    pub settings_file: Option<PathBuf>,
    pub local: LocalRepo,
    /// [`super::mvn::fetch_missing`], replaceable in tests.
    pub fetch: MvnFetch,
}

/// The signature of [`super::mvn::fetch_missing`], replaceable in tests.
pub type MvnFetch = fn(&Env, &[Coord], Option<&Path>, &Path) -> anyhow::Result<()>;

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
            ui::warn(
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
    fn fake_mvn(_: &Env, coords: &[Coord], _: Option<&Path>, repo: &Path) -> anyhow::Result<()> {
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
        let env = Env::fake(crate::env::Os::Linux, None, dir.path().into());
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
