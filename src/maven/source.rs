//! Where the resolver gets POMs, `maven-metadata.xml`, artifacts and checksum files from.
//!
//! Resolution walks the dependency graph one level at a time and asks for every file that level
//! needs in one [`RepoSource::fetch_many`] call, so a network source can fetch them concurrently
//! and the number of round trips is the depth of the graph, not its size. The resolver never
//! knows whether bytes came from disk or a socket: the sources themselves (the local repository,
//! remotes, `mvn`, the POM cache) live in the layers above and are tested apart.

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
