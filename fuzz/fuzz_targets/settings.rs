//! settings.xml through the real loader (a file in a temporary folder) and the remote selection
//! that reads mirrors, servers and proxies from it. Property: a password read from the file
//! never shows in the `Debug` form of what was loaded or selected.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use kclrs::env::{Env, Os};
use kclrs::transport::settings;
use libfuzzer_sys::fuzz_target;

fn folder() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    let file = FILE.get_or_init(|| folder().join("settings.xml"));
    if std::fs::write(file, data).is_err() {
        return;
    }
    let env = Env::fake(Os::Linux, Some(folder().into()), folder().into())
        .with_var("SECRET", "env-secret-value");
    let Ok(loaded) = settings::load(&env, Some(file)) else {
        return;
    };
    let shown = format!("{loaded:?}");
    let passwords = loaded
        .servers
        .iter()
        .filter_map(|s| s.password.clone())
        .chain(loaded.proxies.iter().filter_map(|p| p.password.clone()));
    for password in passwords {
        // Short or generic passwords can occur in other fields by chance (an id "a", "true").
        if password.len() >= 12 && !password.contains("<redacted>") {
            assert!(
                !shown.contains(&password),
                "password {password:?} shows in {shown}"
            );
        }
    }
    let _ = settings::remotes(&env, &[], &loaded);
    let _ = settings::select_mirror(&loaded.mirrors, "central", true, false);
});
