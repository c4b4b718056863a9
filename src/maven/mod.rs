//! Maven concepts kclrs needs without running Maven: coordinates and the repository layout,
//! version ordering, POM parsing, dependency resolution with Maven's rules, `maven-metadata.xml`
//! and the user's `settings.xml` (local repository, mirrors, servers, proxies).

pub mod coord;
pub mod mvn;
pub mod settings;

pub use coord::Coord;
