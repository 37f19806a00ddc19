//! The filesystem floor: the least a renderer has to do to put a tree of files on disk
//! atomically, and to read it back.
//!
//! ```text
//! floor write SRC DST    copy every file of SRC to DST: temporary file + rename each
//! floor read DST         read every file of DST whole
//! ```
//!
//! Only the filesystem work is timed. `write` loads SRC into memory first (untimed),
//! then, for each file in path order, creates its directory if this run has not yet,
//! creates a temporary file beside it (`O_CREAT|O_EXCL`, mode 0644), writes the content
//! in one call, closes it and renames it over the final name: what an atomic writer
//! cannot skip. `read` lists DST first (untimed), then opens and reads each file to the
//! end into one reused buffer (open, read until 0, close: no stat, no allocation), as
//! a renderer must to know that a file is current. One thread, no fsync (the
//! renderer does not sync rendered files either).
//!
//! Prints one line: `<op> <files> <bytes> <seconds>`.

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn die(msg: &str) -> ! {
    eprintln!("floor: {msg}");
    std::process::exit(2)
}

/// Every regular file below `root`, relative to it, sorted, skipping pkgforge's own
/// bookkeeping files so the floor handles exactly the rendered outputs.
fn list(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>) {
        let dir = root.join(rel);
        let entries = fs::read_dir(&dir).unwrap_or_else(|e| die(&format!("{}: {e}", dir.display())));
        for e in entries {
            let e = e.unwrap_or_else(|e| die(&format!("{}: {e}", dir.display())));
            let name = e.file_name();
            let path = rel.join(&name);
            let ty = e.file_type().unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
            if ty.is_dir() {
                walk(root, &path, out);
            } else if ty.is_file() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for top in ["obs", "rpm", "debian"] {
        if root.join(top).is_dir() {
            walk(root, Path::new(top), &mut out);
        }
    }
    out.sort();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["write", src, dst] => write(Path::new(src), Path::new(dst)),
        ["read", dst] => read(Path::new(dst)),
        _ => die("usage: floor write SRC DST | floor read DST"),
    }
}

fn write(src: &Path, dst: &Path) {
    let files: Vec<(PathBuf, Vec<u8>)> = list(src)
        .into_iter()
        .map(|p| {
            let bytes = fs::read(src.join(&p)).unwrap_or_else(|e| die(&format!("{}: {e}", p.display())));
            (p, bytes)
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let start = Instant::now();
    let mut made: HashSet<PathBuf> = HashSet::new();
    for (rel, content) in &files {
        let path = dst.join(rel);
        let dir = path.parent().unwrap_or(dst);
        if !made.contains(dir) {
            fs::create_dir_all(dir).unwrap_or_else(|e| die(&format!("{}: {e}", dir.display())));
            made.insert(dir.to_path_buf());
        }
        let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = dir.join(tmp_name);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&tmp)
            .unwrap_or_else(|e| die(&format!("{}: {e}", tmp.display())));
        f.write_all(content).unwrap_or_else(|e| die(&format!("{}: {e}", tmp.display())));
        drop(f);
        fs::rename(&tmp, &path).unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
    }
    let secs = start.elapsed().as_secs_f64();
    println!("write {} {bytes} {secs:.4}", files.len());
}

fn read(dst: &Path) {
    let files = list(dst);
    let start = Instant::now();
    let mut bytes = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    for rel in &files {
        let path = dst.join(rel);
        let mut f = fs::File::open(&path).unwrap_or_else(|e| die(&format!("{}: {e}", path.display())));
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => bytes += n,
                Err(e) => die(&format!("{}: {e}", path.display())),
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("read {} {bytes} {secs:.4}", files.len());
}
