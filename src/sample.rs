//! The sample properties and record processor embedded in kclrs, written on demand for --sample.
//! (Skeleton: signatures fixed for the launcher; implementation comes with the launcher issue.)

use std::path::PathBuf;

use crate::cache::Cache;

/// Writes the sample files into `cache.samples_dir()` (if not already there) and returns the
/// path of the sample `.properties` file.
pub fn materialize(cache: &Cache) -> anyhow::Result<PathBuf> {
    Ok(cache.samples_dir().join("sample.properties"))
}
