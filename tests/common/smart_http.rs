//! git's smart HTTP protocol on 127.0.0.1, answered by the real `git upload-pack
//! --stateless-rpc`, as git-http-backend does: for clients that fetch over https.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;

pub struct GitHttp {
    pub base: String,
}

/// Serve every repository under `root` at `http://127.0.0.1:<port>/<name>`.
pub fn serve(root: &Path) -> GitHttp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let root = root.to_path_buf();
    let git = super::tool("git");
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let (root, git) = (root.clone(), git.clone());
            thread::spawn(move || {
                let _ = answer(stream, &root, &git);
            });
        }
    });
    GitHttp { base }
}

fn upload_pack(git: &Path, dir: &Path, advertise: bool, input: &[u8]) -> Vec<u8> {
    let mut cmd = Command::new(git);
    cmd.args([
        "-c",
        "uploadpack.allowFilter=true",
        "upload-pack",
        "--stateless-rpc",
    ]);
    if advertise {
        cmd.arg("--advertise-refs");
    }
    let mut child = cmd
        .arg(dir)
        .env_remove("GIT_PROTOCOL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap().stdout
}

fn answer(stream: TcpStream, root: &Path, git: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, kind, out) =
        if let Some(repo) = path.strip_suffix("/info/refs?service=git-upload-pack") {
            let mut out = b"001e# service=git-upload-pack\n0000".to_vec();
            out.extend(upload_pack(
                git,
                &root.join(repo.trim_start_matches('/')),
                true,
                b"",
            ));
            (200, "application/x-git-upload-pack-advertisement", out)
        } else if let Some(repo) = path.strip_suffix("/git-upload-pack") {
            let out = upload_pack(git, &root.join(repo.trim_start_matches('/')), false, &body);
            (200, "application/x-git-upload-pack-result", out)
        } else {
            (404, "text/plain", b"not found".to_vec())
        };
    let mut out_stream = stream;
    write!(
        out_stream,
        "HTTP/1.1 {status} {}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Not Found" },
        out.len()
    )?;
    out_stream.write_all(&out)?;
    out_stream.flush()
}
