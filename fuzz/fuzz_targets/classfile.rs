//! The zip/class-file reader `kclrs lock` uses to record min-java, on arbitrary bytes as a jar.
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kclrs::classfile::min_java(Cursor::new(data), "fuzz.jar");
});
