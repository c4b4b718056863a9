//! Maven concepts kclrs needs without running Maven: coordinates and the repository layout,
//! version ordering, POM parsing, dependency resolution with Maven's rules, `maven-metadata.xml`
//! and the user's `settings.xml` (local repository, mirrors, servers, proxies).

pub mod coord;
pub mod locking;
pub mod metadata;
pub mod model;
pub mod mvn;
pub mod pom;
pub mod resolve;
pub mod settings;
pub mod source;
pub mod version;

pub use coord::Coord;
