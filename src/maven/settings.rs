//! Maven's configuration as kclrs needs it: the local repository, and the remote repositories
//! (with mirrors, credentials and proxies) from `--repository`, `KCLRS_REPOSITORY`,
//! `KCL_MVN_REPO_SEARCH_URL` or `settings.xml`. kclrs names no remote of its own.
//! (Skeleton: signatures fixed for the download issue; implementation comes with it.)

use std::path::{Path, PathBuf};

use crate::env::Env;

/// Basic-auth credentials from a `<server>` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, <redacted>)", self.username)
    }
}

/// An HTTP proxy from `<proxies>` (environment proxies are left to the HTTP client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// `http://host:port`
    pub url: String,
    pub credentials: Option<Credentials>,
    /// Host patterns (`*.example`, `localhost`) that bypass the proxy.
    pub non_proxy_hosts: Vec<String>,
}

/// One remote Maven repository to try, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// Repository or mirror id (`central`, a mirror id, or `cli-1` for `--repository`).
    pub id: String,
    /// Base URL, always ending in `/` (http, https or file).
    pub url: String,
    pub credentials: Option<Credentials>,
    pub proxy: Option<Proxy>,
    /// Where this remote was configured, for messages ("--repository", "settings.xml mirror x").
    pub origin: String,
}

/// What kclrs read from `settings.xml` files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub local_repository: Option<PathBuf>,
}

/// Reads the global and user settings files (`user_file` replaces `~/.m2/settings.xml`).
pub fn load(_env: &Env, _user_file: Option<&Path>) -> anyhow::Result<Settings> {
    Ok(Settings::default())
}

/// The remotes in kclrs's documented order: `--repository` flags, else `KCLRS_REPOSITORY`, else
/// `KCL_MVN_REPO_SEARCH_URL`, else the mirror of `central` from settings. Empty if none.
pub fn remotes(_env: &Env, _flags: &[String], _settings: &Settings) -> anyhow::Result<Vec<Remote>> {
    Ok(Vec::new())
}

/// The local Maven repository: `override_dir`, else `<localRepository>`, else `~/.m2/repository`.
pub fn local_repository(
    env: &Env,
    settings: &Settings,
    override_dir: Option<&Path>,
) -> Option<PathBuf> {
    if let Some(dir) = override_dir {
        return Some(env.absolute(dir));
    }
    if let Some(dir) = &settings.local_repository {
        return Some(dir.clone());
    }
    env.home.as_ref().map(|h| h.join(".m2").join("repository"))
}
