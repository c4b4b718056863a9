//! The HTTP(S) transport: one keep-alive client per proxy setting, the redirect policy, and
//! [`get_to_temp`], which GETs one URL into a temp file with retries and reports what came of it.
//! It knows remotes and URLs only; what a body is for (a locked jar, a POM) is the caller's business.
//!
//! A download streams into a temp file next to its final path while hashing; with an expected size
//! the body is cut off one byte past it (the caller renames the file into place only when size and
//! sha256 match). Connect errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter (a
//! `Retry-After` is honoured, capped); a body that broke off is resumed with `Range` and appended
//! to only when the answer is a 206 for exactly the missing range. A 404 moves on to the next
//! repository; a checksum mismatch is reported and never retried from the same URL.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use reqwest::header::{HeaderMap, CONTENT_RANGE, RANGE, RETRY_AFTER};
use reqwest::StatusCode;

use super::settings::Remote;
use super::url::{file_url_path, redact_raw_url, redact_url};
use super::HttpOptions;
use crate::digest::{self, Hasher};
use crate::error::one_line;
use crate::progress::FileBar;

/// One remote with how to reach it: an HTTP client, or for a `file:` remote its folder.
#[derive(Debug)]
pub struct Endpoint {
    pub remote: Remote,
    /// `None` for `file:` remotes.
    pub client: Option<reqwest::Client>,
    /// The Maven-layout folder of a `file:` remote (`None` when its URL names no usable path).
    pub folder: Option<PathBuf>,
    /// Set once a download from this remote could not connect through all its retries (refused,
    /// TLS failure, no such host): the remote is given up on as a whole, so 131 jars do not each
    /// wait out the same retries, and every artifact reports the same one line.
    pub unreachable: std::sync::OnceLock<String>,
    /// Set once [`warn_plain_http_credentials`] has warned about this remote.
    warned_plain_http: std::sync::atomic::AtomicBool,
    /// Set once this remote answered over HTTP/2 (negotiated by TLS ALPN), where one connection
    /// carries many requests at once ([`Endpoint::multiplexed`]).
    multiplexed: std::sync::atomic::AtomicBool,
    /// The client of [`Endpoint::bulk_client`], made when first asked for.
    bulk: tokio::sync::OnceCell<reqwest::Client>,
}

impl Endpoint {
    /// A second client for the bulk of a lock (jars fetched behind the resolution): the same
    /// settings as `client`, its own connections. Over HTTP/2 every request to a host shares one
    /// connection, and a POM answer queued behind megabytes of jar data on it would stretch every
    /// round trip of the resolution; on a connection of its own it waits for nobody. `None` for a
    /// `file:` remote.
    pub async fn bulk_client(
        &self,
        http: &HttpOptions,
    ) -> anyhow::Result<Option<&reqwest::Client>> {
        if self.client.is_none() {
            return Ok(None);
        }
        let made = self
            .bulk
            .get_or_try_init(|| {
                // Known to speak HTTP/2: say so, or the first burst of jars would each open a
                // connection while the first TLS handshake still settles the protocol.
                let (remote, http, http2) = (self.remote.clone(), http.clone(), self.multiplexed());
                // Loading the TLS roots is tens of milliseconds of CPU: made once, on the
                // blocking pool, so the async workers keep sending the resolution's requests.
                blocking(move || client(&remote, &http, http2))
            })
            .await?;
        Ok(Some(made))
    }

    /// Whether the remote has answered over HTTP/2: then requests in flight cost streams of one
    /// connection, not connections, and more of them may be in flight.
    pub fn multiplexed(&self) -> bool {
        self.multiplexed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Before a request to `endpoint`: when the remote is plain `http://` and has credentials, warns
/// once per remote (and run) that its Basic-auth password crosses the network unencrypted. The
/// request still goes out — the user configured it — but never silently (docs/security.md).
/// Every warning goes through the progress bars, so it does not garble them.
pub fn warn_plain_http_credentials(endpoint: &Endpoint, progress: &crate::progress::Progress) {
    use std::sync::atomic::Ordering;
    let remote = &endpoint.remote;
    if remote.credentials.is_none()
        || !remote
            .url
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
        || endpoint.warned_plain_http.swap(true, Ordering::Relaxed)
    {
        return;
    }
    progress.warn(&format!(
        "repository {} ({}, {}) is plain http: the username and password configured for it are \
         sent unencrypted with every request; use an https URL",
        remote.id,
        redact_url(&remote.url),
        remote.origin
    ));
}

/// The async runtime of one fetch: two workers are plenty for I/O-bound work.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Builds one client for all remotes without their own proxy, one per remote with one.
pub fn endpoints(remotes: &[Remote], http: &HttpOptions) -> anyhow::Result<Vec<Endpoint>> {
    let mut shared: Option<reqwest::Client> = None;
    let mut out = Vec::with_capacity(remotes.len());
    for remote in remotes {
        let client = if remote.url.starts_with("file:") {
            None
        } else if remote.proxy.is_some() {
            Some(client(remote, http, false)?)
        } else {
            if shared.is_none() {
                shared = Some(client(remote, http, false)?);
            }
            shared.clone()
        };
        let folder = client
            .is_none()
            .then(|| file_url_path(&remote.url))
            .flatten();
        out.push(Endpoint {
            remote: remote.clone(),
            client,
            folder,
            unreachable: std::sync::OnceLock::new(),
            warned_plain_http: std::sync::atomic::AtomicBool::new(false),
            multiplexed: std::sync::atomic::AtomicBool::new(false),
            bulk: tokio::sync::OnceCell::new(),
        });
    }
    Ok(out)
}

/// The redirect policy (docs/security.md): at most `max_redirects` hops, to http or
/// https only, never from https down to http. A hop to another host (or port) is followed, as
/// repository managers hand downloads to a CDN, but without the repository's credentials, which
/// reqwest drops from every request that leaves the original host; the bytes are trusted only
/// through their checksums, wherever they came from.
/// The client for `remote`; with `http2`, one that speaks only HTTP/2 (for a remote that has
/// answered over it), so concurrent first requests share one connection.
fn client(remote: &Remote, http: &HttpOptions, http2: bool) -> anyhow::Result<reqwest::Client> {
    let max = http.max_redirects;
    let policy = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            let msg = format!("more than {max} redirects");
            return attempt.error(msg);
        }
        let scheme = attempt.url().scheme();
        if scheme != "http" && scheme != "https" {
            let msg = format!("refused redirect to a {scheme}: URL");
            return attempt.error(msg);
        }
        let was_https = attempt.previous().iter().any(|u| u.scheme() == "https");
        if was_https && attempt.url().scheme() != "https" {
            let msg = format!(
                "refused redirect from https to {}",
                redact_url(attempt.url().as_str())
            );
            return attempt.error(msg);
        }
        attempt.follow()
    });
    let mut builder = reqwest::Client::builder()
        .connect_timeout(http.connect_timeout)
        .read_timeout(http.read_timeout)
        .redirect(policy)
        .user_agent(concat!("kclrs/", env!("CARGO_PKG_VERSION")));
    if let Some(p) = &remote.proxy {
        let mut proxy = reqwest::Proxy::all(&p.url).with_context(|| {
            format!("bad proxy URL {} for {}", redact_raw_url(&p.url), remote.id)
        })?;
        if let Some(c) = &p.credentials {
            proxy = proxy.basic_auth(&c.username, &c.password);
        }
        let bypass: Vec<String> = p
            .non_proxy_hosts
            .iter()
            .map(|h| h.trim_start_matches('*').to_string())
            .collect();
        if !bypass.is_empty() {
            proxy = proxy.no_proxy(reqwest::NoProxy::from_string(&bypass.join(",")));
        }
        builder = builder.proxy(proxy);
    }
    if http2 {
        builder = builder.http2_prior_knowledge();
    }
    builder
        .build()
        .with_context(|| format!("cannot set up an HTTP client for repository {}", remote.id))
}

/// Runs blocking file work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .context("a file task stopped unexpectedly")?
}

/// What one GET into a temp file came to, after the transport's retries.
#[derive(Debug)]
pub enum Got {
    /// The whole body (at the expected size, when one was given) is in the temp file: its sha256.
    Done(String),
    NotFound(StatusCode),
    /// Why this URL did not give the file; never shows credentials.
    Failed(String),
    /// No attempt could connect (refused, TLS handshake, name resolution): the host is the problem.
    Unreachable(String),
}

/// GETs `url` into a fresh temp file next to `dest` (same folder, so the caller's rename is
/// atomic), with the retries of `http`. Returns the temp file and what came of it; the caller
/// renames or removes it. `size` and `cap`: see [`download`].
#[allow(clippy::too_many_arguments)]
pub async fn get_to_temp(
    http: &HttpOptions,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    size: Option<u64>,
    cap: u64,
    dest: &Path,
    bar: &FileBar,
) -> anyhow::Result<(PathBuf, Got)> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    crate::paths::create_dirs(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Created here, exclusively; every attempt below re-opens this very file.
    let (part, file) = crate::paths::create_temp(dest)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    drop(file);
    let got = match download(http, client, endpoint, url, size, cap, &part, bar).await {
        Ok(Attempt::Done(sha)) => Got::Done(sha),
        Ok(Attempt::NotFound(status)) => Got::NotFound(status),
        Ok(Attempt::Unreachable(reason)) => Got::Unreachable(reason),
        Ok(Attempt::Fatal(reason) | Attempt::Retry(reason, _) | Attempt::Restart(reason)) => {
            Got::Failed(reason)
        }
        Err(e) => Got::Failed(one_line(&e)),
    };
    Ok((part, got))
}

/// The result of one request, or of a whole retried download.
#[derive(Debug)]
enum Attempt {
    /// The body is complete (at the expected size, when one was given); here is its sha256.
    Done(String),
    NotFound(StatusCode),
    /// Not worth retrying from this URL.
    Fatal(String),
    /// Worth retrying, after at least the given delay if the server asked for one.
    Retry(String, Option<Duration>),
    /// The server answered a resume oddly: retry from byte 0.
    Restart(String),
    /// No connection could be made (refused, TLS handshake, name resolution): retried like
    /// `Retry`; returned by [`download`] when every attempt ended this way.
    Unreachable(String),
}

/// Downloads `url` into `part` with retries; the caller checks the hash and renames. `size` is
/// the expected length when known (a locked jar): the body is cut off past it and a broken-off
/// body is resumed. Files of unknown length (POMs, metadata, checksums, jars being locked) are
/// taken as the server sends them, up to `cap` bytes, and fetched again from byte 0 after a
/// break. The whole download, retries included, must end within `http.file_deadline`, so a
/// server that sends a byte now and then (never silent for a whole read timeout) cannot hold a
/// run forever.
#[allow(clippy::too_many_arguments)]
async fn download(
    http: &HttpOptions,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    size: Option<u64>,
    cap: u64,
    part: &Path,
    bar: &FileBar,
) -> anyhow::Result<Attempt> {
    let limit = Limit { size, cap };
    let attempts = download_inner(http, client, endpoint, url, limit, part, bar);
    match tokio::time::timeout(http.file_deadline, attempts).await {
        Ok(done) => done,
        Err(_) => Ok(Attempt::Fatal(format!(
            "not complete after {} s, the deadline per file (KCLRS_ARTIFACT_TIMEOUT): cut off",
            http.file_deadline.as_secs_f64()
        ))),
    }
}

/// How long a body may be: exactly `size` when locked, else at most `cap`.
#[derive(Clone, Copy, Debug)]
struct Limit {
    size: Option<u64>,
    cap: u64,
}

impl Limit {
    fn max(self) -> u64 {
        self.size.unwrap_or(self.cap)
    }

    /// Why a body of `got` bytes is refused.
    fn exceeded(self, got: u64) -> String {
        match self.size {
            Some(size) => format!(
                "the body is longer than the locked size ({got} > {size} bytes): cut off and refused"
            ),
            None => format!(
                "the body is larger than the {} byte limit for this kind of file (got {got}): cut off and refused",
                self.cap
            ),
        }
    }
}

async fn download_inner(
    http: &HttpOptions,
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    limit: Limit,
    part: &Path,
    bar: &FileBar,
) -> anyhow::Result<Attempt> {
    let size = limit.size;
    let mut resume = size.is_some();
    let mut failures = 0u32;
    // Whether every failed attempt failed to connect: then the host, not this file, is the problem.
    let mut never_connected = true;
    loop {
        let have = if resume {
            std::fs::metadata(part).map_or(0, |m| m.len())
        } else {
            0
        };
        let attempt = request(client, endpoint, url, limit, part, have, bar).await?;
        let (reason, after) = match attempt {
            Attempt::Unreachable(reason) => (reason, None),
            Attempt::Retry(reason, after) => {
                never_connected = false;
                (reason, after)
            }
            Attempt::Restart(reason) => {
                resume = false;
                never_connected = false;
                (reason, Some(Duration::ZERO))
            }
            done => return Ok(done),
        };
        failures += 1;
        if failures > http.retries {
            let reason = format!("{reason} (gave up after {failures} attempts)");
            return Ok(if never_connected {
                Attempt::Unreachable(reason)
            } else {
                Attempt::Fatal(reason)
            });
        }
        tokio::time::sleep(backoff(http, failures, after)).await;
    }
}

/// Exponential backoff with jitter in [½, 1] of the step, or the server's `Retry-After`; capped.
fn backoff(http: &HttpOptions, failures: u32, retry_after: Option<Duration>) -> Duration {
    let wait = retry_after.unwrap_or_else(|| {
        let step = http
            .backoff_base
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        step.mul_f64(0.5 + fastrand::f64() / 2.0)
    });
    wait.min(http.max_wait)
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A reqwest error as text without its URL (which may carry credentials) but with its causes.
fn describe(err: reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_redirect() {
        "redirect refused"
    } else if err.is_body() || err.is_decode() {
        "the connection broke while receiving the body"
    } else {
        "request failed"
    };
    let err = err.without_url();
    let mut parts = vec![kind.to_string()];
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// One GET, resuming at `have` bytes when possible. Leaves what arrived in `part`.
async fn request(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    url: &str,
    bounds: Limit,
    part: &Path,
    have: u64,
    bar: &FileBar,
) -> anyhow::Result<Attempt> {
    let size = bounds.size;
    let limit = bounds.max();
    if have > 0 && have >= limit {
        // A previous attempt already received every byte; the hash decides.
        let (sha, _) =
            digest::hash_file(part).with_context(|| format!("cannot read {}", part.display()))?;
        return Ok(Attempt::Done(sha));
    }
    let mut req = client.get(url);
    if let Some(c) = &endpoint.remote.credentials {
        req = req.basic_auth(&c.username, Some(&c.password));
    }
    if have > 0 {
        req = req.header(RANGE, format!("bytes={have}-"));
    }
    let mut resp = match req.send().await {
        Ok(resp) => resp,
        Err(e) if e.is_redirect() || e.is_builder() => return Ok(Attempt::Fatal(describe(e))),
        // A timeout may be a slow server; a connect error (including TLS and DNS) is the host.
        Err(e) if e.is_connect() && !e.is_timeout() => {
            return Ok(Attempt::Unreachable(describe(e)))
        }
        Err(e) => return Ok(Attempt::Retry(describe(e), None)),
    };
    if resp.version() == reqwest::Version::HTTP_2 {
        endpoint
            .multiplexed
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let status = resp.status();
    if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
        return Ok(Attempt::NotFound(status));
    }
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        let after = retry_after(resp.headers(), SystemTime::now());
        return Ok(Attempt::Retry(format!("HTTP {status}"), after));
    }
    let start = match status {
        StatusCode::OK => 0,
        StatusCode::PARTIAL_CONTENT if have > 0 => {
            let expected = format!("bytes {have}-{}/{limit}", limit - 1);
            let got = resp
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if got != expected {
                return Ok(Attempt::Restart(format!(
                    "unexpected 206 range {got:?} (asked for {expected:?})"
                )));
            }
            have
        }
        // reqwest hands back a redirect it does not follow (to a `file:` or other URL).
        _ if status.is_redirection() => {
            return Ok(Attempt::Fatal(format!(
                "HTTP {status}: a redirect kclrs does not follow (only to http or https URLs)"
            )))
        }
        _ => return Ok(Attempt::Fatal(format!("HTTP {status}"))),
    };
    if let Some(len) = resp.content_length() {
        if start + len > limit {
            return Ok(Attempt::Fatal(bounds.exceeded(start + len)));
        }
        if size.is_none() {
            bar.set_length(len);
        }
    }
    let (mut file, mut hasher) = if start == 0 {
        bar.restart();
        let file = crate::paths::reopen_temp(part, false)
            .with_context(|| format!("cannot open {}", part.display()))?;
        (file, Hasher::default())
    } else {
        // Appending: the hash must cover the bytes already there.
        let mut hasher = Hasher::default();
        digest::feed_file(part, &mut hasher, |_| Ok(()))
            .with_context(|| format!("cannot read {}", part.display()))?;
        let file = crate::paths::reopen_temp(part, true)
            .with_context(|| format!("cannot open {}", part.display()))?;
        (file, hasher)
    };
    loop {
        match resp.chunk().await {
            Ok(Some(bytes)) => {
                if hasher.len + bytes.len() as u64 > limit {
                    return Ok(Attempt::Fatal(
                        bounds.exceeded(hasher.len + bytes.len() as u64),
                    ));
                }
                file.write_all(&bytes)
                    .with_context(|| format!("cannot write {}", part.display()))?;
                hasher.update(&bytes);
                bar.inc(bytes.len() as u64);
            }
            Ok(None) => break,
            // Every locked byte arrived and only the framing broke: the hash decides.
            Err(_) if size == Some(hasher.len) => break,
            Err(e) => {
                file.flush().ok();
                let of = size.map_or_else(String::new, |s| format!(" of {s}"));
                return Ok(Attempt::Retry(
                    format!("{} after {}{of} bytes", describe(e), hasher.len),
                    None,
                ));
            }
        }
    }
    if let Some(size) = size.filter(|&s| hasher.len < s) {
        return Ok(Attempt::Retry(
            format!("the body ended after {} of {size} bytes", hasher.len),
            None,
        ));
    }
    // No fsync: killing kclrs cannot lose page-cache data, and after a power cut the stamp's
    // size check or `kclrs verify` finds a file whose data did not reach the disk.
    drop(file);
    Ok(Attempt::Done(hasher.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let http = HttpOptions {
            backoff_base: Duration::from_millis(100),
            max_wait: Duration::from_secs(1),
            ..HttpOptions::default()
        };
        for _ in 0..50 {
            let first = backoff(&http, 1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = backoff(&http, 3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert_eq!(
                backoff(&http, 20, None),
                Duration::from_secs(1).min(backoff(&http, 20, None))
            );
        }
        assert_eq!(
            backoff(&http, 1, Some(Duration::from_secs(60))),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(3));
        h.insert(RETRY_AFTER, date.parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    /// A one-shot loopback server that answers 404 and hands back the request head it read.
    fn capture_one() -> (u16, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                    break;
                }
                head.push_str(&line);
            }
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            tx.send(head).unwrap();
        });
        (port, rx)
    }

    #[test]
    fn remote_proxy_and_credentials_are_applied() {
        use crate::transport::settings::{Credentials, Proxy};
        let (port, head) = capture_one();
        let remote = Remote {
            from_super_pom: false,
            id: "corp".into(),
            url: "http://127.0.0.1:9/maven2/".into(),
            credentials: Some(Credentials {
                username: "repo-user".into(),
                password: "repo-pw".into(),
            }),
            proxy: Some(Proxy {
                url: format!("http://127.0.0.1:{port}"),
                credentials: Some(Credentials {
                    username: "proxy-user".into(),
                    password: "proxy-pw".into(),
                }),
                non_proxy_hosts: vec!["*.internal".into()],
            }),
            origin: "test".into(),
        };
        let coord: crate::maven::Coord = "g:a:1".parse().unwrap();
        let size = 1;
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("a.part");
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let http = HttpOptions::default();
        let env = crate::env::Env::fake(crate::env::Os::Linux, None, dir.path().into());
        let progress = crate::progress::Progress::new(false, 0, &env);
        let bar = progress.file("a", 1);
        let url = super::super::url::repo_url(&remote.url, &coord.repo_path());
        let got = runtime.block_on(async {
            let endpoint = endpoints(std::slice::from_ref(&remote), &http)
                .unwrap()
                .remove(0);
            let client = endpoint.client.clone().unwrap();
            let limit = Limit {
                size: Some(size),
                cap: size,
            };
            request(&client, &endpoint, &url, limit, &part, 0, &bar).await
        });
        assert!(matches!(got, Ok(Attempt::NotFound(_))), "{got:?}");
        let head = head.recv().unwrap();
        assert!(
            head.starts_with("GET http://127.0.0.1:9/maven2/g/a/1/a-1.jar HTTP/1.1"),
            "{head}"
        );
        let basic = |user: &str, pw: &str| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        };
        let lower = head.to_ascii_lowercase();
        assert!(
            lower.contains(
                &format!(
                    "proxy-authorization: basic {}",
                    basic("proxy-user", "proxy-pw")
                )
                .to_ascii_lowercase()
            ),
            "{head}"
        );
        assert!(
            lower.contains(
                &format!("\nauthorization: basic {}", basic("repo-user", "repo-pw"))
                    .to_ascii_lowercase()
            ),
            "{head}"
        );
    }
}
