//! Repositories and transport: where artifact bytes come from and how. The remotes a run may use
//! (from `--repository`, the environment and `settings.xml` with its mirrors, servers and
//! proxies), the redaction of credentials in every URL shown, and the `mvn` fallback. This layer
//! knows Maven coordinates and their repository paths, never the kclrs cache or the lockfile.

pub mod http;
pub mod local;
pub mod mvn;
mod options;
mod pool;
pub mod remote;
pub mod settings;
pub mod url;

pub use options::{FetchOptions, HttpOptions, MvnFallback};
pub use url::redact_url;

/// The hint for remotes that were configured but failed: every place a remote comes from, so the
/// user checks the right one. Callers append what to do next.
pub const CHECK_REMOTES_HINT: &str = "check the repository URLs and credentials (--repository, \
     KCLRS_REPOSITORY, KCL_MVN_REPO_SEARCH_URL, settings.xml)";
