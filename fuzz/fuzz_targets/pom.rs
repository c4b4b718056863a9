//! The XML element tree, POM parsing, maven-metadata.xml merging and effective-model building
//! (parents, BOM imports, interpolation, profiles) on arbitrary bytes. The input is split at NUL
//! bytes (which XML cannot contain) into up to five documents that may name each other as
//! parent or imported BOM, so chains and cycles between fuzzed POMs get built too.
#![no_main]

use kclrs::maven::metadata::Metadata;
use kclrs::maven::model::{pom_coord, BuildError, Models, Platform};
use kclrs::maven::pom::Pom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut models = Models::new(Platform::reference());
    let mut coords = Vec::new();
    let mut metadata = Metadata::default();
    for doc in data.split(|&b| b == 0).take(5) {
        let _ = kclrs::xml::parse(doc);
        let _ = metadata.merge_xml(doc);
        let pom = Pom::parse(doc).ok();
        let parent = pom.as_ref().and_then(|p| p.parent.as_ref());
        let group = pom
            .as_ref()
            .and_then(|p| p.group.clone())
            .or_else(|| parent.map(|p| p.group.clone()))
            .unwrap_or_else(|| "g".into());
        let artifact = pom
            .as_ref()
            .and_then(|p| p.artifact.clone())
            .unwrap_or_else(|| format!("a{}", coords.len()));
        let version = pom
            .as_ref()
            .and_then(|p| p.version.clone())
            .or_else(|| parent.map(|p| p.version.clone()))
            .unwrap_or_else(|| "1".into());
        let coord = pom_coord(&group, &artifact, &version);
        models.add_pom(coord.clone(), Some(doc), "fuzz.pom");
        coords.push(coord);
    }
    let _ = metadata.newest_release(|_| true);
    for coord in &coords {
        // POMs the fuzzed ones name but the input does not hold count as absent from the
        // repository, as a 404 would; each round adds at least one, so this ends.
        for _ in 0..32 {
            match models.build(coord) {
                Err(BuildError::Missing(missing)) => {
                    for m in missing {
                        models.add_pom(m, None, "absent.pom");
                    }
                }
                Ok(model) => {
                    for dep in &model.dependencies {
                        let _ = dep.describe();
                        let _ = dep.coord().check();
                    }
                    break;
                }
                Err(_) => break,
            }
        }
    }
});
