//! SHA-256, the hash kclrs locks artifacts by, over byte streams and whole files. A base utility:
//! the transport hashes while it downloads, the cache and the operations hash what is on disk.

use std::fs::File;
use std::io::Read;
use std::path::Path;

/// SHA-256 over a stream of bytes, counting them.
#[derive(Clone, Debug, Default)]
pub struct Hasher {
    sha: sha2::Sha256,
    pub len: u64,
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.sha, bytes);
        self.len += bytes.len() as u64;
    }

    /// Lower-case hex digest.
    pub fn finish(self) -> String {
        hex::encode(sha2::Digest::finalize(self.sha))
    }
}

/// Hashes a whole file; returns its lower-case hex sha256 and size.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    hash_file_into(path, |_| Ok(()))
}

/// Hashes a whole file, handing each chunk read to `sink` too (to copy while hashing).
pub fn hash_file_into(
    path: &Path,
    sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(String, u64)> {
    let mut hasher = Hasher::default();
    feed_file(path, &mut hasher, sink)?;
    let len = hasher.len;
    Ok((hasher.finish(), len))
}

/// Streams a whole file into `hasher` in fixed-size chunks (memory stays flat however large the
/// file), handing each chunk to `sink` too.
pub fn feed_file(
    path: &Path,
    hasher: &mut Hasher,
    mut sink: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut file = File::open(path)?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
        sink(&buf[..n])?;
    }
}
