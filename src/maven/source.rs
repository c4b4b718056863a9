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

    /// A hint that `files` will be asked for by a later [`RepoSource::fetch_many`]: a network
    /// source may start them in the background and answer that call from what it got. The
    /// answer is the same either way; sources that read from disk ignore the hint.
    fn prefetch(&self, _files: &[RepoFile]) {}

    /// Fetches `groups` of files (say, a jar and its checksum files) and hands each group's
    /// found files to `each`, with the group's index, as soon as the whole group has its
    /// answers: a network source does so in the order the groups complete, so the caller works
    /// on the first answers while later ones are still on the wire. A failure to talk to the
    /// repository fails the call, after the groups that did complete were handed over; an error
    /// from `each` ends it at once. Sources that read from disk answer all, in order.
    fn fetch_groups(
        &self,
        groups: &[Vec<RepoFile>],
        each: &mut GroupSink<'_>,
    ) -> anyhow::Result<()> {
        fetch_groups_at_once(self, groups, each)
    }
}

/// What [`RepoSource::fetch_groups`] hands each completed group to.
pub type GroupSink<'a> = dyn FnMut(usize, Vec<FetchedFile>) -> anyhow::Result<()> + 'a;

/// [`RepoSource::fetch_groups`] through one [`RepoSource::fetch_many`]: every group, in order,
/// once all have been fetched.
pub fn fetch_groups_at_once<S: RepoSource + ?Sized>(
    source: &S,
    groups: &[Vec<RepoFile>],
    each: &mut GroupSink<'_>,
) -> anyhow::Result<()> {
    let files: Vec<RepoFile> = groups.iter().flatten().cloned().collect();
    let mut got = source.fetch_many(&files)?;
    for (i, group) in groups.iter().enumerate() {
        let (mine, rest) = got.into_iter().partition(|f| group.contains(&f.file));
        got = rest;
        each(i, mine)?;
    }
    Ok(())
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

    /// Every source gets the hint: which one has a file is only known when it is asked.
    fn prefetch(&self, files: &[RepoFile]) {
        for source in &self.sources {
            source.prefetch(files);
        }
    }

    /// One source answers in its own order; several are tried file by file, as `fetch_many`
    /// does, so a group is complete only once every source had its turn.
    fn fetch_groups(
        &self,
        groups: &[Vec<RepoFile>],
        each: &mut GroupSink<'_>,
    ) -> anyhow::Result<()> {
        match self.sources.as_slice() {
            [only] => only.fetch_groups(groups, each),
            _ => fetch_groups_at_once(self, groups, each),
        }
    }
}

/// A shared source: the resolver's chain and the jar-hashing step of `kclrs lock` read the same
/// sources, each in its own order.
impl<S: RepoSource + ?Sized> RepoSource for std::rc::Rc<S> {
    fn fetch_many(&self, files: &[RepoFile]) -> anyhow::Result<Vec<FetchedFile>> {
        (**self).fetch_many(files)
    }

    fn prefetch(&self, files: &[RepoFile]) {
        (**self).prefetch(files);
    }

    fn fetch_groups(
        &self,
        groups: &[Vec<RepoFile>],
        each: &mut GroupSink<'_>,
    ) -> anyhow::Result<()> {
        (**self).fetch_groups(groups, each)
    }
}
