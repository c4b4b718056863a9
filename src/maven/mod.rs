//! Maven concepts kclrs needs without running Maven: coordinates and the repository layout,
//! version ordering, POM parsing, the effective model, dependency resolution with Maven's rules
//! and `maven-metadata.xml`. The resolver reads POMs and metadata through the [`source::RepoSource`]
//! seam and never knows the kclrs cache, the lockfile or the network (those live in `transport`,
//! `cache`, `lockfile` and the operations above them).

pub mod coord;
pub mod metadata;
pub mod model;
pub mod pom;
pub mod resolve;
pub mod source;
pub mod version;

pub use coord::Coord;
