//! A real HTTP(S) server on 127.0.0.1:0 serving a Maven-layout folder, with faults that can be
//! switched on per path: dropped connections, 5xx, 429 + Retry-After, lying Content-Length, wrong
//! or extra bytes, stalled bodies, delayed answers (for a while, or until a file exists), redirects, odd answers to `Range`. Plain std threads and
//! sockets (one request per connection, `Connection: close`); HTTPS through rustls with a
//! self-signed certificate made by rcgen, which kclrs is told to trust through `SSL_CERT_FILE`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A misbehaviour for requests whose path contains a given text.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Correct Content-Length, half the body, then the connection is closed.
    Drop,
    /// This status and an empty body.
    Status(u16),
    /// 429 with this `Retry-After` value.
    TooMany(String),
    /// Content-Length larger than the file; the whole file is sent, then the connection closes.
    Truncated,
    /// The right length with one byte changed.
    WrongBytes,
    /// The file plus 100 extra bytes; with or without a Content-Length announcing them.
    Longer { with_length: bool },
    /// The first 1 KiB, then a stall of this long before the rest.
    Slow(Duration),
    /// The whole body in 16 KiB pieces with this pause between them.
    Trickle(Duration),
    /// 302 to this URL.
    Redirect(String),
    /// A `Range` request gets a 206 for another range than asked.
    BadRange,
    /// 200 with `Content-Encoding: gzip` and these (compressed) bytes as the body.
    Gzip(Vec<u8>),
    /// The file, after this many extra response headers.
    ManyHeaders(usize),
    /// 200 without a Content-Length, then the file followed by filler bytes until the client
    /// hangs up: a body that never ends.
    Endless,
    /// Nothing for this long, then the normal answer (a distant or busy server).
    Delay(Duration),
    /// Nothing until this file exists (at most this long), then the normal answer; the events
    /// then hold `= path` when the file appeared, `~ path` when the wait ran out.
    AwaitFile(std::path::PathBuf, Duration),
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The request target: a path, or a whole URL when the server was used as a proxy.
    pub path: String,
    pub range: Option<String>,
    pub authorization: Option<String>,
    /// The request line and every header, as received.
    pub raw: String,
}

#[derive(Debug)]
struct Rule {
    path_contains: String,
    /// Only paths that end with `path_contains` (`.pom` and not its `.pom.sha1`).
    ending: bool,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug, Default)]
struct State {
    rules: Mutex<Vec<Rule>>,
    seen: Mutex<Vec<Seen>>,
    /// `> path` when a request arrived, `< path` when its answer was sent, in order.
    events: Mutex<Vec<String>>,
    ignore_range: AtomicBool,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A self-signed certificate for 127.0.0.1 and localhost.
pub struct TestCert {
    pub cert_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TestCert {
    pub fn new() -> TestCert {
        let made =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".into()])
                .unwrap();
        TestCert {
            cert_pem: made.cert.pem(),
            cert_der: made.cert.der().to_vec(),
            key_der: made.signing_key.serialize_der(),
        }
    }

    /// A rustls server configuration with this certificate, offering `alpn` (none: HTTP/1.1).
    pub fn server_config(&self, alpn: &[&[u8]]) -> rustls::ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![self.cert_der.clone().into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(self.key_der.clone().into()),
            )
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }
}

#[derive(Debug)]
pub struct Server {
    pub port: u16,
    scheme: &'static str,
    state: Arc<State>,
}

trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

impl Server {
    /// Serves `root` over plain HTTP at `http://127.0.0.1:PORT/repo/`.
    pub fn start(root: &Path) -> Server {
        Server::spawn(root, None)
    }

    /// Serves `root` over HTTPS with `cert`.
    pub fn start_tls(root: &Path, cert: &TestCert) -> Server {
        Server::spawn(root, Some(Arc::new(cert.server_config(&[]))))
    }

    fn spawn(root: &Path, tls: Option<Arc<rustls::ServerConfig>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let (root, shared) = (root.to_path_buf(), Arc::clone(&state));
        // The accept loop lives as long as the test process; each test uses its own port.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (root, state, tls) = (root.clone(), Arc::clone(&shared), tls.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(20)));
                    let conn: Box<dyn Conn> = match tls {
                        Some(config) => {
                            let Ok(session) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            Box::new(rustls::StreamOwned::new(session, stream))
                        }
                        None => Box::new(stream),
                    };
                    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
                    let mut flight = Flight(Some(&state.in_flight));
                    let _ = handle(conn, &root, &state, &mut flight);
                });
            }
        });
        Server {
            port,
            scheme,
            state,
        }
    }

    /// Base URL of the repository (no trailing slash).
    pub fn url(&self) -> String {
        format!("{}://127.0.0.1:{}/repo", self.scheme, self.port)
    }

    /// Applies `fault` to the next `times` requests whose path contains `path_contains`.
    pub fn fault(&self, path_contains: &str, fault: Fault, times: usize) {
        self.add_rule(path_contains, false, fault, times);
    }

    /// Applies `fault` to the next `times` requests whose path ends with `suffix` (a POM, not
    /// the `.sha1` kclrs asks for at the same time).
    pub fn fault_ending(&self, suffix: &str, fault: Fault, times: usize) {
        self.add_rule(suffix, true, fault, times);
    }

    fn add_rule(&self, path_contains: &str, ending: bool, fault: Fault, times: usize) {
        self.state.rules.lock().unwrap().push(Rule {
            path_contains: path_contains.into(),
            ending,
            fault,
            remaining: times,
        });
    }

    /// Answer `Range` requests with 200 and the whole body, as servers without range support do.
    pub fn ignore_range(&self) {
        self.state.ignore_range.store(true, Ordering::SeqCst);
    }

    /// The most requests this server was handling at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.state.max_in_flight.load(Ordering::SeqCst)
    }

    /// `> PATH` for each request as it arrived and `< PATH` once its answer was sent, in the
    /// order they happened: what was asked while another answer was still outstanding.
    pub fn events(&self) -> Vec<String> {
        self.state.events.lock().unwrap().clone()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests whose path contains `part`.
    pub fn count(&self, part: &str) -> usize {
        self.seen().iter().filter(|s| s.path.contains(part)).count()
    }

    /// Requests whose path ends with `suffix`: `lib-1.pom` without its `.sha1` beside it.
    pub fn count_ending(&self, suffix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.path.ends_with(suffix))
            .count()
    }
}

/// Counts a request as in flight until dropped or [`Flight::land`]ed.
struct Flight<'a>(Option<&'a AtomicUsize>);

impl Flight<'_> {
    /// Ends the request's flight before its last bytes go out, so a client that starts its next
    /// request on receiving them is never counted twice.
    fn land(&mut self) {
        if let Some(counter) = self.0.take() {
            counter.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.land();
    }
}

fn handle(
    mut conn: Box<dyn Conn>,
    root: &Path,
    state: &State,
    flight: &mut Flight<'_>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut conn);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    // As a proxy the server gets absolute-form targets (`GET http://host:port/path`).
    let path = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |i| &rest[i..]).to_string(),
        None => target.clone(),
    };
    let (mut range, mut authorization) = (None, None);
    let mut raw = line.clone();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        raw.push_str(&header);
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "range" => range = Some(value),
                "authorization" => authorization = Some(value),
                _ => {}
            }
        }
    }
    drop(reader);
    state.events.lock().unwrap().push(format!("> {target}"));
    let answered = format!("< {target}");
    state.seen.lock().unwrap().push(Seen {
        path: target,
        range: range.clone(),
        authorization,
        raw,
    });
    let mut fault = {
        let mut rules = state.rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|r| {
                r.remaining > 0
                    && if r.ending {
                        path.ends_with(&r.path_contains)
                    } else {
                        path.contains(&r.path_contains)
                    }
            })
            .map(|r| {
                r.remaining -= 1;
                r.fault.clone()
            })
    };
    let file = path
        .strip_prefix("/repo/")
        .filter(|rel| !rel.split('/').any(|p| p == ".." || p.is_empty()))
        .map(|rel| root.join(rel));
    let body = file.as_deref().and_then(|f| std::fs::read(f).ok());
    if let Some(Fault::Delay(pause)) = fault {
        std::thread::sleep(pause);
        fault = None;
    }
    if let Some(Fault::AwaitFile(awaited, at_most)) = &fault {
        let until = std::time::Instant::now() + *at_most;
        while !awaited.exists() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        let seen = if awaited.exists() { '=' } else { '~' };
        state.events.lock().unwrap().push(format!("{seen} {path}"));
        fault = None;
    }
    match (fault, body) {
        (Some(Fault::Status(code)), _) => head(&mut conn, code, &[], Some(0)),
        (Some(Fault::TooMany(after)), _) => {
            head(&mut conn, 429, &[("Retry-After", after.as_str())], Some(0))
        }
        (Some(Fault::Redirect(to)), _) => {
            head(&mut conn, 302, &[("Location", to.as_str())], Some(0))
        }
        (Some(Fault::Gzip(bytes)), _) => {
            head(
                &mut conn,
                200,
                &[("Content-Encoding", "gzip")],
                Some(bytes.len()),
            )?;
            conn.write_all(&bytes)
        }
        (_, None) => head(&mut conn, 404, &[], Some(0)),
        (Some(Fault::ManyHeaders(n)), Some(body)) => {
            let names: Vec<String> = (0..n).map(|i| format!("X-Filler-{i}")).collect();
            let headers: Vec<(&str, &str)> = names.iter().map(|h| (h.as_str(), "x")).collect();
            head(&mut conn, 200, &headers, Some(body.len()))?;
            conn.write_all(&body)
        }
        (Some(Fault::Drop), Some(body)) => {
            head(&mut conn, 200, &[], Some(body.len()))?;
            conn.write_all(&body[..body.len() / 2])?;
            conn.flush()
        }
        (Some(Fault::Truncated), Some(body)) => {
            head(&mut conn, 200, &[], Some(body.len() + 1000))?;
            conn.write_all(&body)?;
            conn.flush()
        }
        (Some(Fault::WrongBytes), Some(mut body)) => {
            if let Some(b) = body.last_mut() {
                *b ^= 0xff;
            }
            head(&mut conn, 200, &[], Some(body.len()))?;
            conn.write_all(&body)
        }
        (Some(Fault::Longer { with_length }), Some(mut body)) => {
            body.extend_from_slice(&[0x55; 100]);
            head(&mut conn, 200, &[], with_length.then_some(body.len()))?;
            conn.write_all(&body)?;
            conn.flush()
        }
        (Some(Fault::Slow(pause)), Some(body)) => {
            head(&mut conn, 200, &[], Some(body.len()))?;
            let first = body.len().min(1024);
            conn.write_all(&body[..first])?;
            conn.flush()?;
            std::thread::sleep(pause);
            conn.write_all(&body[first..])
        }
        (Some(Fault::Trickle(pause)), Some(body)) => {
            head(&mut conn, 200, &[], Some(body.len()))?;
            let pieces: Vec<&[u8]> = body.chunks(16 * 1024).collect();
            for (i, piece) in pieces.iter().enumerate() {
                if i + 1 == pieces.len() {
                    flight.land();
                } else if i > 0 {
                    std::thread::sleep(pause);
                }
                conn.write_all(piece)?;
                conn.flush()?;
            }
            Ok(())
        }
        (Some(Fault::Endless), Some(body)) => {
            head(&mut conn, 200, &[], None)?;
            conn.write_all(&body)?;
            let filler = [b' '; 64 * 1024];
            loop {
                conn.write_all(&filler)?;
            }
        }
        (Some(Fault::BadRange), Some(body)) if range.is_some() => {
            let cr = format!("bytes 0-{}/{}", body.len() - 1, body.len());
            head(
                &mut conn,
                206,
                &[("Content-Range", cr.as_str())],
                Some(body.len()),
            )?;
            conn.write_all(&body)
        }
        (_, Some(body)) => {
            let start = range
                .as_deref()
                .filter(|_| !state.ignore_range.load(Ordering::SeqCst))
                .and_then(|r| r.strip_prefix("bytes="))
                .and_then(|r| r.strip_suffix('-'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n < body.len());
            match start {
                Some(n) => {
                    let cr = format!("bytes {n}-{}/{}", body.len() - 1, body.len());
                    head(
                        &mut conn,
                        206,
                        &[("Content-Range", cr.as_str())],
                        Some(body.len() - n),
                    )?;
                    conn.write_all(&body[n..])
                }
                None => {
                    head(&mut conn, 200, &[], Some(body.len()))?;
                    conn.write_all(&body)
                }
            }
        }
    }?;
    conn.flush()?;
    state.events.lock().unwrap().push(answered);
    Ok(())
}

fn head(
    conn: &mut Box<dyn Conn>,
    code: u16,
    headers: &[(&str, &str)],
    length: Option<usize>,
) -> std::io::Result<()> {
    let mut text = format!("HTTP/1.1 {code} X\r\nConnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        text.push_str(&format!("Content-Length: {n}\r\n"));
    }
    text.push_str("\r\n");
    conn.write_all(text.as_bytes())
}
