//! The sample properties and record processor embedded in kclrs, written on demand for --sample.
//!
//! Both files live in `samples/` and are compiled into the binary, so `kclrs run --sample` works
//! from any directory without a checkout. They are written into the versioned samples folder of
//! the cache (rewritten only when their content differs, atomically, so concurrent runs never
//! see half a file). The MultiLangDaemon starts `executableName` from its own working directory,
//! so the written properties name the processor by absolute path, after the interpreter:
//! `python3` on Unix, `python` on Windows, where the python.org installer provides no
//! `python3.exe` and the `python3` on PATH is often the Microsoft Store stub.

use std::path::{Path, PathBuf};

use crate::cache::{write_atomic, Cache};
use crate::env::Os;

/// `samples/sample.properties` as shipped (executableName relative to its folder).
pub const PROPERTIES: &str = include_str!("../samples/sample.properties");
/// `samples/sample_record_processor.py`.
pub const PROCESSOR: &str = include_str!("../samples/sample_record_processor.py");

pub const PROPERTIES_NAME: &str = "sample.properties";
pub const PROCESSOR_NAME: &str = "sample_record_processor.py";

/// Writes the sample files into `cache.samples_dir()` (if not already there) and returns the
/// path of the sample `.properties` file, using the interpreter and path conventions of `os`.
pub fn materialize(cache: &Cache, os: Os) -> anyhow::Result<PathBuf> {
    let dir = cache.samples_dir();
    let processor = dir.join(PROCESSOR_NAME);
    write_if_changed(&processor, PROCESSOR.as_bytes())?;
    make_executable(&processor)?;
    let properties = dir.join(PROPERTIES_NAME);
    write_if_changed(&properties, properties_for(&processor, os).as_bytes())?;
    Ok(properties)
}

/// The interpreter the sample's executableName starts the processor with.
pub fn interpreter(os: Os) -> &'static str {
    if os.is_windows() {
        "python"
    } else {
        "python3"
    }
}

/// The shipped properties with executableName pointing at `processor` by absolute path.
pub fn properties_for(processor: &Path, os: Os) -> String {
    let command = format!("{} {}", interpreter(os), processor.display());
    let mut out = String::with_capacity(PROPERTIES.len() + command.len());
    for line in PROPERTIES.lines() {
        if line.trim_start().starts_with("executableName") {
            out.push_str("executableName = ");
            out.push_str(&escape_value(&command));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Escapes a value for a .properties file read as ISO-8859-1: backslashes (every Windows path
/// has them), control characters, a leading space, and anything outside Latin-1 as `\uXXXX`.
pub fn escape_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x0c' => out.push_str("\\f"),
            ' ' if i == 0 => out.push_str("\\ "),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
        }
    }
    out
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    write_atomic(path, bytes)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o777 != 0o755 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::Env;
    use crate::properties::{self, KclProperties};

    #[test]
    fn materialize_writes_both_files_with_an_absolute_executable() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().join("cache"));
        let props_path = materialize(&cache, Os::Linux).unwrap();
        let samples = cache.samples_dir();
        assert_eq!(props_path, samples.join("sample.properties"));
        let processor = samples.join("sample_record_processor.py");
        assert_eq!(std::fs::read_to_string(&processor).unwrap(), PROCESSOR);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&processor).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o755);
        }
        // A stand-in python3 on PATH, so the executableName check does not depend on the host.
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("python3"), "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(bin.join("python3"), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        let env = Env::fake(Os::Linux, None, dir.path().to_path_buf())
            .with_var("PATH", bin.display().to_string());
        let props = properties::load(&env, &props_path).unwrap();
        assert_eq!(
            props.get("executableName"),
            Some(format!("python3 {}", processor.display()).as_str())
        );
        assert_eq!(props.get("streamName"), Some("kclpysample"));
        assert_eq!(props.get("initialPositionInStream"), Some("TRIM_HORIZON"));
        assert_eq!(
            props.get("AwsCredentialsProvider"),
            Some("DefaultCredentialsProvider")
        );
        // The sample passes the strictest check: known keys only, ASCII, a runnable program.
        let warnings = properties::check(&props, &env, true).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn materialize_rewrites_only_changed_files() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().to_path_buf());
        let props = materialize(&cache, Os::Linux).unwrap();
        let processor = cache.samples_dir().join(PROCESSOR_NAME);
        let before = std::fs::metadata(&processor).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        materialize(&cache, Os::Linux).unwrap();
        let after = std::fs::metadata(&processor).unwrap().modified().unwrap();
        assert_eq!(before, after, "unchanged file was rewritten");
        // A damaged copy is replaced.
        std::fs::write(&processor, "broken").unwrap();
        std::fs::write(&props, "broken").unwrap();
        materialize(&cache, Os::Linux).unwrap();
        assert_eq!(std::fs::read_to_string(&processor).unwrap(), PROCESSOR);
        assert!(std::fs::read_to_string(&props)
            .unwrap()
            .contains("streamName = kclpysample"));
        let names: Vec<String> = std::fs::read_dir(cache.samples_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "leftover files: {names:?}");
    }

    #[test]
    fn windows_paths_survive_properties_escaping() {
        let processor = Path::new(
            r"C:\Users\Zoë\AppData\Local\kclrs\cache\samples\0.1.0\sample_record_processor.py",
        );
        let text = properties_for(processor, Os::Windows);
        let parsed = KclProperties::parse(PathBuf::from("s.properties"), text.as_bytes()).unwrap();
        assert_eq!(
            parsed.get("executableName"),
            Some(format!("python {}", processor.display()).as_str())
        );
        assert!(text.is_ascii());
        assert_eq!(escape_value(" a😀"), "\\ a\\uD83D\\uDE00");
    }
}
