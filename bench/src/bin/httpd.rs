//! A slow GitHub releases API for the watch benchmark, on 127.0.0.1.
//!
//! ```text
//! httpd [--port P] [--delay-ms 50] [--releases 6]
//! ```
//!
//! `GET /repos/<owner>/<repo>/releases...` answers a JSON list of releases (v1.0.0 up to
//! v1.<releases-1>.0 plus the pinned v1.0.2, newest first, in the shape GitHub gives,
//! about 1 KiB each) with an `ETag`; a request whose `If-None-Match` matches gets
//! `304 Not Modified`. Every answer waits `--delay-ms` first, as a distant server
//! would. One thread per connection, keep-alive, so the server is never the
//! bottleneck. `GET /_stats` (no delay) answers `{"requests":N,"not_modified":M}`
//! counted since the last `GET /_reset`.
//!
//! Prints `listening 127.0.0.1:<port>` on stdout once it accepts connections.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Stats {
    requests: AtomicUsize,
    not_modified: AtomicUsize,
}

fn main() {
    let mut port = 0u16;
    let mut delay = 50u64;
    let mut releases = 6usize;
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_default();
        match k.as_str() {
            "--port" => port = v.parse().expect("--port N"),
            "--delay-ms" => delay = v.parse().expect("--delay-ms N"),
            "--releases" => releases = v.parse().expect("--releases N"),
            _ => {
                eprintln!("httpd: unknown argument {k}");
                std::process::exit(2)
            }
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    println!("listening {addr}");
    let _ = std::io::stdout().flush();
    let stats = Arc::new(Stats {
        requests: AtomicUsize::new(0),
        not_modified: AtomicUsize::new(0),
    });
    let delay = Duration::from_millis(delay);
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let stats = Arc::clone(&stats);
        std::thread::spawn(move || {
            let _ = serve(conn, &stats, delay, releases);
        });
    }
}

fn serve(conn: TcpStream, stats: &Stats, delay: Duration, releases: usize) -> std::io::Result<()> {
    conn.set_nodelay(true)?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let (method, target) = (method.to_string(), target.to_string());
        let mut if_none_match = None;
        let mut close = false;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let v = v.trim();
                match k.trim().to_ascii_lowercase().as_str() {
                    "if-none-match" => if_none_match = Some(v.to_string()),
                    "connection" => close = v.eq_ignore_ascii_case("close"),
                    _ => {}
                }
            }
        }
        let path = target.split('?').next().unwrap_or("");
        if path == "/_stats" || path == "/_reset" {
            let body = format!(
                "{{\"requests\":{},\"not_modified\":{}}}",
                stats.requests.load(Ordering::SeqCst),
                stats.not_modified.load(Ordering::SeqCst)
            );
            if path == "/_reset" {
                stats.requests.store(0, Ordering::SeqCst);
                stats.not_modified.store(0, Ordering::SeqCst);
            }
            respond(&mut out, "200 OK", &[("Content-Type", "application/json")], body.as_bytes())?;
        } else if method != "GET" {
            respond(&mut out, "405 Method Not Allowed", &[], b"")?;
        } else if let Some(repo) = path
            .strip_prefix("/repos/")
            .and_then(|r| r.strip_suffix("/releases"))
        {
            stats.requests.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            let body = releases_json(repo, releases);
            let etag = format!("W/\"{:016x}\"", fnv(body.as_bytes()));
            if if_none_match.as_deref() == Some(etag.as_str()) {
                stats.not_modified.fetch_add(1, Ordering::SeqCst);
                respond(&mut out, "304 Not Modified", &[("ETag", &etag)], b"")?;
            } else {
                respond(
                    &mut out,
                    "200 OK",
                    &[("Content-Type", "application/json; charset=utf-8"), ("ETag", &etag)],
                    body.as_bytes(),
                )?;
            }
        } else {
            stats.requests.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            respond(&mut out, "404 Not Found", &[("Content-Type", "application/json")], br#"{"message":"Not Found"}"#)?;
        }
        if close {
            return Ok(());
        }
    }
}

fn respond(out: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nServer: pkgforge-bench\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !status.starts_with("304") {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut all = head.into_bytes();
    all.extend_from_slice(body);
    out.write_all(&all)
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Releases v1.<n-1>.0 ... v1.1.0, v1.0.2 (the pinned one), v1.0.0, newest first.
fn releases_json(repo: &str, n: usize) -> String {
    let mut tags: Vec<String> = (1..n).rev().map(|m| format!("v1.{m}.0")).collect();
    tags.push("v1.0.2".into());
    tags.push("v1.0.0".into());
    let items: Vec<String> = tags
        .iter()
        .enumerate()
        .map(|(i, tag)| {
            let id = 1000 + i;
            format!(
                r###"{{"url":"https://api.github.com/repos/{repo}/releases/{id}","html_url":"https://github.com/{repo}/releases/tag/{tag}","id":{id},"author":{{"login":"release-bot","id":4242,"type":"User","site_admin":false}},"node_id":"RE_kwDOAbCdEf{id}","tag_name":"{tag}","target_commitish":"main","name":"{tag}","draft":false,"prerelease":false,"created_at":"2026-0{m}-01T10:00:00Z","published_at":"2026-0{m}-01T11:00:00Z","assets":[],"tarball_url":"https://api.github.com/repos/{repo}/tarball/{tag}","zipball_url":"https://api.github.com/repos/{repo}/zipball/{tag}","body":"## What's changed\r\n- Fix the build on s390x\r\n- Update dependencies\r\n\r\n**Full Changelog**: https://github.com/{repo}/compare/{tag}"}}"###,
                m = 1 + (i % 9)
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}
