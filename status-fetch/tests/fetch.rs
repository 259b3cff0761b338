#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The fetcher against a tiny HTTP server on 127.0.0.1: a list with an ETag, a conditional
//! refetch answered 304, an oversize body, a slow server, an error status.

use kakunin_status_fetch::{Accept, FetchError, FetchOutcome, Fetcher, StatusCache};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request (given its head).
type Handler = dyn Fn(&str) -> (Duration, Vec<u8>) + Send + Sync;

/// Serve `handler` on 127.0.0.1 for at most `requests` connections; returns the base URL and
/// the request heads received.
fn serve(requests: usize, handler: Box<Handler>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut stream = stream.unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                if stream.read(&mut byte).unwrap_or(0) == 0 {
                    break;
                }
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            log.lock().unwrap().push(head.clone());
            let (delay, answer) = handler(&head);
            std::thread::sleep(delay);
            let _ = stream.write_all(&answer);
        }
    });
    (url, seen)
}

fn ok(body: &[u8], etag: &str) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+jwt\r\nETag: {etag}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

fn t(minutes: i64) -> time::OffsetDateTime {
    time::macros::datetime!(2026-12-01 09:00 UTC) + time::Duration::minutes(minutes)
}

#[test]
fn fetch_then_not_modified_then_oversize() {
    let (base, seen) = serve(
        3,
        Box::new(|head: &str| {
            let head = head.to_ascii_lowercase();
            if head.starts_with("get /big") {
                (Duration::ZERO, ok(&[b'x'; 4096], "\"big\""))
            } else if head.contains("if-none-match: \"v1\"") {
                (
                    Duration::ZERO,
                    b"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n"
                        .to_vec(),
                )
            } else {
                (Duration::ZERO, ok(b"eyJhbGciOi.list.v1", "\"v1\""))
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap().with_max_len(1024);
    let uri = format!("{base}/status/1");
    let fetcher = Fetcher::new().with_accept(Accept::Jwt);

    assert_eq!(
        fetcher.fetch(&uri, &cache, t(0)).unwrap(),
        FetchOutcome::Updated { len: 18 }
    );
    let first = cache.get(&uri).unwrap().unwrap();
    assert_eq!(first.token, b"eyJhbGciOi.list.v1");
    assert_eq!(first.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        first.content_type.as_deref(),
        Some("application/statuslist+jwt")
    );
    assert_eq!(first.fetched_at, t(0));

    assert_eq!(
        fetcher.fetch(&uri, &cache, t(10)).unwrap(),
        FetchOutcome::NotModified
    );
    let second = cache.get(&uri).unwrap().unwrap();
    assert_eq!(second.token, first.token);
    assert_eq!(second.fetched_at, t(10));

    // An oversize body: a typed error, and the cache keeps nothing of it.
    let big = format!("{base}/big");
    assert!(matches!(
        fetcher.fetch(&big, &cache, t(11)),
        Err(FetchError::TooLarge { max: 1024 })
    ));
    assert!(cache.get(&big).unwrap().is_none());
    assert_eq!(cache.get(&uri).unwrap().unwrap(), second);

    let heads = seen.lock().unwrap().clone();
    assert_eq!(heads.len(), 3);
    let lower: Vec<String> = heads.iter().map(|h| h.to_ascii_lowercase()).collect();
    assert!(
        lower[0].contains("accept: application/statuslist+jwt\r\n"),
        "{}",
        heads[0]
    );
    assert!(!lower[0].contains("if-none-match"), "{}", heads[0]);
    assert!(lower[1].contains("if-none-match: \"v1\""), "{}", heads[1]);
}

#[test]
fn oversize_without_content_length_and_error_status() {
    let (base, _) = serve(
        2,
        Box::new(|head: &str| {
            if head.starts_with("GET /missing") {
                (
                    Duration::ZERO,
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_vec(),
                )
            } else {
                // No Content-Length: the body runs to the end of the connection.
                let mut r = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                r.extend_from_slice(&[b'y'; 5000]);
                (Duration::ZERO, r)
            }
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap().with_max_len(100);
    let fetcher = Fetcher::new();
    let stream = format!("{base}/stream");
    assert!(matches!(
        fetcher.fetch(&stream, &cache, t(0)),
        Err(FetchError::TooLarge { max: 100 })
    ));
    assert!(cache.get(&stream).unwrap().is_none());
    assert!(matches!(
        fetcher.fetch(&format!("{base}/missing"), &cache, t(0)),
        Err(FetchError::Status(404))
    ));
    assert!(matches!(
        fetcher.fetch("ftp://issuer.example/status/1", &cache, t(0)),
        Err(FetchError::UnsupportedScheme(_))
    ));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_slow_server_times_out() {
    let (base, _) = serve(
        1,
        Box::new(|_: &str| (Duration::from_secs(3), ok(b"late", "\"l\""))),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = StatusCache::open(dir.path()).unwrap();
    let fetcher = Fetcher::new().with_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let uri = format!("{base}/slow");
    assert!(matches!(
        fetcher.fetch(&uri, &cache, t(0)),
        Err(FetchError::Timeout(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(cache.get(&uri).unwrap().is_none());
}
