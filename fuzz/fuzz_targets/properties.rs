//! The .properties reader (ISO-8859-1, continuations, escapes) and every value check, as
//! `kclrs run --check` applies them, in an empty temporary working folder.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use kclrs::env::{Env, Os};
use kclrs::properties::{self, KclProperties};
use libfuzzer_sys::fuzz_target;

fn folder() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
        .to_path_buf()
}

fuzz_target!(|data: &[u8]| {
    let Ok(props) = KclProperties::parse("fuzz.properties".into(), data) else {
        return;
    };
    let dir = folder();
    let env = Env::fake(Os::Linux, Some(dir.clone()), dir.clone())
        .with_var("PATH", dir.as_os_str().to_owned());
    let _ = properties::check(&props, &env, true);
    let windows = Env::fake(Os::Windows, None, dir);
    let _ = properties::check(&props, &windows, false);
    for (key, value) in props.entries.iter().take(64) {
        let _ = properties::values::check(key, value);
        let _ = properties::keys::suggest(key);
        let _ = props.get_normalized(key);
    }
});
