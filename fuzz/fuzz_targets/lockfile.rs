//! The lockfile parser on arbitrary text. Property: a lockfile that parses writes back
//! (`to_toml`) to text that parses to the same lockfile, so `kclrs lock` never writes a file its
//! own parser rejects or reads differently.
#![no_main]

use kclrs::lockfile::{Lockfile, Origin};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let origin = Origin::File("fuzz.lock".into());
    let Ok(lock) = Lockfile::parse(text, origin.clone()) else {
        return;
    };
    let written = lock.to_toml();
    let again = match Lockfile::parse(&written, origin) {
        Ok(again) => again,
        Err(e) => panic!("to_toml wrote a lockfile its parser rejects: {e:#}\n{written}"),
    };
    assert_eq!(lock, again, "round trip changed the lockfile:\n{written}");
});
