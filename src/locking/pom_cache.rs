//! The POM cache of `kclrs lock`: POMs another source served, kept in the kclrs cache's Maven
//! folder so re-resolving reads them from disk instead of the network.

use anyhow::Context;

use crate::maven::source::{FetchedFile, RepoFile, RepoSource};
use crate::transport::local::LocalRepo;

/// Keeps every POM another source served in a Maven-layout folder (the kclrs cache's `maven/`),
/// so re-resolving reads POMs from disk instead of the network. POMs of a released version never
/// change; metadata and artifacts pass through (metadata must stay fresh, and jars are kept only
/// after their checksums were verified, by [`super::keep_in_cache`]).
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
            if matches!(got.file, RepoFile::Pom(_))
                && crate::maven::pom::parse_xml(&got.bytes).is_ok()
            {
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
    use crate::maven::Coord;

    #[test]
    fn poms_are_kept_and_then_served_from_the_cache() {
        let (repo, cache_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let served = repo.path().join("g/h/a/1/a-1.pom");
        std::fs::create_dir_all(served.parent().unwrap()).unwrap();
        std::fs::write(&served, "<project/>").unwrap();
        let coord = Coord::jar("g.h", "a", "1");
        let cached = PomCache {
            dir: LocalRepo::new(cache_dir.path().to_path_buf()),
            inner: LocalRepo::new(repo.path().to_path_buf()),
        };
        let pom = RepoFile::Pom(coord.clone());
        assert_eq!(
            cached.fetch_many(std::slice::from_ref(&pom)).unwrap().len(),
            1
        );
        std::fs::remove_file(&served).unwrap();
        let again = cached
            .fetch_many(&[pom, RepoFile::Artifact(coord)])
            .unwrap();
        assert_eq!(again.len(), 1, "the POM now comes from the cache");
        assert_eq!(again[0].bytes, b"<project/>");
    }
}
