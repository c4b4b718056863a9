//! What a run may fetch from and how: the remotes, the local repository, the `mvn` fallback,
//! offline mode, parallelism and the network's timeouts and retries. Built once from the flags,
//! the environment and `settings.xml` (in `commands`), read by every layer that fetches.

use std::path::PathBuf;
use std::time::Duration;

use super::settings::Remote;

/// Network behaviour: timeouts, retries and redirects.
#[derive(Clone, Debug)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    /// Longest silence allowed while waiting for response bytes.
    pub read_timeout: Duration,
    /// Extra attempts per URL after a connect error, timeout, 5xx or 429.
    pub retries: u32,
    /// First backoff delay; doubles with each retry, with jitter.
    pub backoff_base: Duration,
    /// Upper bound of any single wait, including a server's `Retry-After`.
    pub max_wait: Duration,
    pub max_redirects: usize,
    /// Longest a single file may take from one repository, retries included.
    pub file_deadline: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            retries: 4,
            backoff_base: Duration::from_millis(250),
            max_wait: Duration::from_secs(30),
            max_redirects: 10,
            // A 30 MB jar at 1 Mbit/s takes 240 s.
            file_deadline: Duration::from_secs(300),
        }
    }
}

/// How `mvn` is asked for artifacts nothing else could provide.
#[derive(Clone, Debug)]
pub struct MvnFallback {
    /// `--settings` file handed to Maven, if any.
    pub settings_file: Option<PathBuf>,
    /// The local repository Maven downloads into and kclrs then reads.
    pub local_repo: PathBuf,
}

/// Where artifacts may come from and how to fetch them.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// Remote repositories in order; empty when offline or none is configured.
    pub remotes: Vec<Remote>,
    /// The local Maven repository to reuse verified files from (`None`: `--no-local-repo`).
    pub local_repo: Option<PathBuf>,
    /// `None` when offline or `--no-mvn`.
    pub mvn: Option<MvnFallback>,
    pub offline: bool,
    /// Parallel downloads.
    pub jobs: usize,
    /// Draw progress bars on stderr.
    pub progress: bool,
    pub http: HttpOptions,
}

impl FetchOptions {
    /// Options that only look at the kclrs cache (for commands that must not fetch, such as
    /// `print-classpath`): offline, no local repository, no `mvn`.
    pub fn cache_only() -> FetchOptions {
        FetchOptions {
            remotes: Vec::new(),
            local_repo: None,
            mvn: None,
            offline: true,
            jobs: 1,
            progress: false,
            http: HttpOptions::default(),
        }
    }
}
