//! A real HTTPS server on 127.0.0.1:0 that speaks only HTTP/2 (ALPN `h2`, the self-signed
//! [`TestCert`]), serving a Maven-layout folder with every answer held back a while and counting
//! the requests in flight at once. It shows what `server.rs`'s HTTP/1.1 server cannot: how many
//! requests kclrs multiplexes on one connection.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::server::TestCert;

#[derive(Debug, Default)]
struct Counts {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: AtomicUsize,
    connections: AtomicUsize,
}

#[derive(Debug)]
pub struct H2Server {
    pub port: u16,
    counts: Arc<Counts>,
    // Dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
}

impl H2Server {
    /// Serves `root` at `https://127.0.0.1:PORT/repo/`, each answer after `delay`.
    pub fn start(root: &Path, cert: &TestCert, delay: Duration) -> H2Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cert.server_config(&[b"h2"])));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Counts::default());
        let (root, shared) = (root.to_path_buf(), Arc::clone(&counts));
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                let (acceptor, root, counts) = (acceptor.clone(), root.clone(), shared.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(mut conn) = h2::server::handshake(tls).await else {
                        return;
                    };
                    while let Some(Ok((request, respond))) = conn.accept().await {
                        tokio::spawn(answer(
                            request.uri().path().to_string(),
                            respond,
                            root.clone(),
                            counts.clone(),
                            delay,
                        ));
                    }
                });
            }
        });
        H2Server {
            port,
            counts,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}/repo/", self.port)
    }

    /// The most requests that were being answered at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.counts.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.counts.requests.load(Ordering::SeqCst)
    }

    pub fn connections(&self) -> usize {
        self.counts.connections.load(Ordering::SeqCst)
    }
}

async fn answer(
    path: String,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    root: PathBuf,
    counts: Arc<Counts>,
    delay: Duration,
) {
    let now = counts.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counts.max_in_flight.fetch_max(now, Ordering::SeqCst);
    counts.requests.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(delay).await;
    let body = path
        .strip_prefix("/repo/")
        .filter(|rel| !rel.split('/').any(|part| part == ".."))
        .and_then(|rel| std::fs::read(root.join(rel)).ok());
    counts.in_flight.fetch_sub(1, Ordering::SeqCst);
    let status = if body.is_some() { 200 } else { 404 };
    let head = http::Response::builder()
        .status(status)
        .header("content-length", body.as_ref().map_or(0, Vec::len))
        .body(())
        .unwrap();
    if let Ok(mut stream) = respond.send_response(head, body.is_none()) {
        if let Some(body) = body {
            let _ = stream.send_data(body.into(), true);
        }
    }
}
