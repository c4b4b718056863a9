//! The lowest Java feature version a jar runs on, read from its class files.
//!
//! `kclrs lock` records it so the launcher can pick a Java that will not fail with
//! `UnsupportedClassVersionError`. It is the highest class-file major version over all `.class`
//! entries, minus 44 (major 52 is Java 8). Multi-release entries under `META-INF/versions/` and
//! `module-info.class` are skipped: older Javas never load them. Only the zip central directory
//! and the first 8 bytes of each class are read (the first bytes of a deflated entry inflate
//! without inflating the rest), so a 60 MiB jar costs a few milliseconds, not an unpack.

use std::io::{Read, Seek};

/// Class-file major version of Java 1.0/1.1; feature version = major − 44.
const MAJOR_OFFSET: u16 = 44;

/// The class-file majors kclrs accepts: Java 1.1 (45) up to a version decades away (100 = Java
/// 56). Anything else is not a class a JVM loads, and would give a `min-java` the lockfile rejects.
const VALID_MAJORS: std::ops::RangeInclusive<u16> = 45..=100;

/// Why a jar's Java version cannot be read. The two kinds map to different exit codes: bytes that
/// are not a readable zip were damaged or are not a jar at all (fetch it again, exit 5), while a
/// readable jar with impossible classes is a bad artifact as published (exit 3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JarError {
    /// The zip structure does not read: truncated, not a zip, or a damaged entry.
    #[error("{0}")]
    Unreadable(String),
    /// The zip reads, but a class in it is not a class file a JVM would load.
    #[error("{0}")]
    BadClass(String),
}

/// Whether an entry's class decides which Java the jar needs.
fn counts(name: &str) -> bool {
    name.ends_with(".class")
        && !name.starts_with("META-INF/versions/")
        && name.rsplit('/').next() != Some("module-info.class")
}

/// The highest Java feature version any counted class of the zip needs, `None` if it has no
/// classes. `name` is used in errors.
pub fn min_java<R: Read + Seek>(reader: R, name: &str) -> Result<Option<u32>, JarError> {
    let mut zip = zip::ZipArchive::new(reader)
        .map_err(|e| JarError::Unreadable(format!("{name} is not a valid jar (zip) file: {e}")))?;
    let mut highest: Option<u16> = None;
    let mut inflate = Head::default();
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index_raw(i)
            .map_err(|e| JarError::Unreadable(format!("cannot read entry {i} of {name}: {e}")))?;
        if !entry.is_file() || !counts(entry.name()) {
            continue;
        }
        let head = inflate
            .of(&mut entry)
            .map_err(|why| JarError::Unreadable(format!("{name}: class {} {why}", entry.name())))?;
        if head[..4] != [0xCA, 0xFE, 0xBA, 0xBE] {
            return Err(JarError::BadClass(format!(
                "{name}: {} is not a class file (bad magic number)",
                entry.name()
            )));
        }
        let major = u16::from_be_bytes([head[6], head[7]]);
        if !VALID_MAJORS.contains(&major) {
            return Err(JarError::BadClass(format!(
                "{name}: {} has class-file version {major}, outside {}..={} (Java 1.1 to {})",
                entry.name(),
                VALID_MAJORS.start(),
                VALID_MAJORS.end(),
                VALID_MAJORS.end() - MAJOR_OFFSET
            )));
        }
        highest = Some(highest.map_or(major, |h| h.max(major)));
    }
    Ok(highest.map(|m| u32::from(m - MAJOR_OFFSET)))
}

/// Reads the first 8 bytes of zip entries, reusing one inflate state. The zip reader would
/// inflate a whole buffer (tens of KiB) per entry to hand out 8 bytes, which was most of a lock's
/// CPU time; this inflates into an 8-byte window and stops there.
#[derive(Default)]
struct Head {
    state: Box<miniz_oxide::inflate::core::DecompressorOxide>,
    raw: Vec<u8>,
}

impl std::fmt::Debug for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Head")
    }
}

impl Head {
    /// The entry's first 8 bytes (`entry` is a raw, still compressed, entry); the error says
    /// what is wrong with the entry, after its name.
    fn of<R: Read>(&mut self, entry: &mut zip::read::ZipFile<'_, R>) -> Result<[u8; 8], String> {
        use miniz_oxide::inflate::core::inflate_flags as flags;
        use miniz_oxide::inflate::TINFLStatus;
        let mut head = [0u8; 8];
        if entry.encrypted() {
            return Err("is encrypted".into());
        }
        match entry.compression() {
            zip::CompressionMethod::Stored => {
                entry
                    .read_exact(&mut head)
                    .map_err(|e| format!("is truncated: {e}"))?;
                return Ok(head);
            }
            zip::CompressionMethod::Deflated => {}
            other => {
                return Err(format!(
                    "is compressed with {other}, which a JVM does not read"
                ))
            }
        }
        // A block header and a few codes give the first bytes; read more only if they did not.
        self.raw.clear();
        let mut want = 256u64;
        loop {
            let before = self.raw.len();
            entry
                .by_ref()
                .take(want)
                .read_to_end(&mut self.raw)
                .map_err(|e| format!("does not read: {e}"))?;
            let ended = ((self.raw.len() - before) as u64) < want;
            self.state.init();
            let more = if ended {
                0
            } else {
                flags::TINFL_FLAG_HAS_MORE_INPUT
            };
            let (status, _, written) = miniz_oxide::inflate::core::decompress(
                &mut self.state,
                &self.raw,
                &mut head,
                0,
                flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF | more,
            );
            match status {
                _ if written == head.len() => return Ok(head),
                TINFLStatus::NeedsMoreInput if !ended => want *= 4,
                TINFLStatus::Done | TINFLStatus::NeedsMoreInput => {
                    return Err(format!("is truncated ({written} bytes)"))
                }
                _ => return Err("is damaged (it does not inflate)".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn class(major: u16) -> Vec<u8> {
        let mut v = vec![0xCA, 0xFE, 0xBA, 0xBE, 0, 0];
        v.extend_from_slice(&major.to_be_bytes());
        v.extend_from_slice(&[0; 64]);
        v
    }

    fn jar(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut buf = Cursor::new(Vec::new());
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, bytes) in entries {
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
        buf.into_inner()
    }

    #[test]
    fn highest_major_wins_and_multi_release_entries_are_ignored() {
        let bytes = jar(&[
            ("a/A.class", class(52)),
            ("a/B.class", class(55)),
            ("META-INF/versions/21/a/A.class", class(65)),
            ("module-info.class", class(53)),
            ("a/readme.txt", b"hi".to_vec()),
        ]);
        assert_eq!(min_java(Cursor::new(bytes), "t.jar").unwrap(), Some(11));
        let none = jar(&[("x.txt", b"x".to_vec())]);
        assert_eq!(min_java(Cursor::new(none), "t.jar").unwrap(), None);
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(matches!(
            min_java(Cursor::new(b"not a zip".to_vec()), "t.jar"),
            Err(JarError::Unreadable(_))
        ));
        let bad = jar(&[("A.class", b"notaclass".to_vec())]);
        let e = min_java(Cursor::new(bad), "t.jar").unwrap_err();
        assert!(
            matches!(&e, JarError::BadClass(m) if m.contains("bad magic")),
            "{e}"
        );
        let short = jar(&[("A.class", vec![0xCA, 0xFE])]);
        assert!(matches!(
            min_java(Cursor::new(short), "t.jar"),
            Err(JarError::Unreadable(_))
        ));
        let good = jar(&[("A.class", class(52))]);
        let cut = good[..good.len() - 10].to_vec();
        assert!(matches!(
            min_java(Cursor::new(cut), "t.jar"),
            Err(JarError::Unreadable(_))
        ));
    }

    #[test]
    fn class_versions_outside_java_1_1_to_56_are_refused() {
        for major in [0, 1, 44, 101, 65535] {
            let bytes = jar(&[("a/A.class", class(52)), ("a/B.class", class(major))]);
            let e = min_java(Cursor::new(bytes), "t.jar").unwrap_err();
            assert!(matches!(e, JarError::BadClass(_)), "{major}: {e}");
            assert!(
                e.to_string()
                    .contains(&format!("a/B.class has class-file version {major}")),
                "{e}"
            );
        }
        for (major, feature) in [(45, 1), (52, 8), (100, 56)] {
            let bytes = jar(&[("A.class", class(major))]);
            assert_eq!(
                min_java(Cursor::new(bytes), "t.jar").unwrap(),
                Some(feature)
            );
        }
    }
}
