//! The archives the OBS services write, byte for byte the same on every run: entries
//! sorted by path, owner 0/0, one mtime (the pinned commit's date), fixed compression.

use std::io::Write as _;

use anyhow::Context as _;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind {
    Dir,
    File { executable: bool },
    Symlink(String),
}

/// One entry of an archive: its path (relative, `/`-separated, no trailing slash), what
/// it is and, for a file, its bytes.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub path: String,
    pub kind: Kind,
    pub data: Vec<u8>,
}

impl Entry {
    fn mode(&self) -> u32 {
        match self.kind {
            Kind::Dir => 0o755,
            Kind::File { executable: true } => 0o755,
            Kind::File { executable: false } => 0o644,
            Kind::Symlink(_) => 0o777,
        }
    }
}

/// `entries` under the directory `prefix` (itself an entry first), sorted by path.
pub(crate) fn under(prefix: &str, entries: Vec<Entry>) -> Vec<Entry> {
    let mut out = vec![Entry {
        path: prefix.to_string(),
        kind: Kind::Dir,
        data: Vec::new(),
    }];
    out.extend(entries.into_iter().map(|e| Entry {
        path: format!("{prefix}/{}", e.path),
        ..e
    }));
    sort(&mut out);
    out
}

/// Sort by path bytes, so a directory comes before what it holds.
pub(crate) fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
}

/// A GNU tar of `entries` in their order, every mtime `mtime`, owner root 0/0.
pub(crate) fn tar(entries: &[Entry], mtime: u64) -> anyhow::Result<Vec<u8>> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_username("root")?;
        h.set_groupname("root")?;
        h.set_mode(e.mode());
        let what = || format!("cannot add `{}` to the tar", e.path);
        match &e.kind {
            Kind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, format!("{}/", e.path), std::io::empty())
                    .with_context(what)?;
            }
            Kind::File { .. } => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(e.data.len() as u64);
                b.append_data(&mut h, &e.path, &e.data[..])
                    .with_context(what)?;
            }
            Kind::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, &e.path, target).with_context(what)?;
            }
        }
    }
    b.into_inner().context("cannot finish the tar")
}

/// A cpio archive in the `newc` format, as obs_scm writes its `.obscpio`: inode numbers
/// counted from 1 in entry order, every mtime `mtime`, owner 0/0.
pub(crate) fn cpio(entries: &[Entry], mtime: u64) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let (type_bits, nlink, data): (u32, u32, &[u8]) = match &e.kind {
            Kind::Dir => (0o040000, 2, &[]),
            Kind::File { .. } => (0o100000, 1, &e.data),
            Kind::Symlink(target) => (0o120000, 1, target.as_bytes()),
        };
        cpio_member(
            &mut out,
            &e.path,
            i as u64 + 1,
            type_bits | e.mode(),
            nlink,
            mtime,
            data,
        );
    }
    cpio_member(&mut out, "TRAILER!!!", 0, 0, 1, 0, &[]);
    out
}

fn cpio_member(
    out: &mut Vec<u8>,
    name: &str,
    ino: u64,
    mode: u32,
    nlink: u32,
    mtime: u64,
    data: &[u8],
) {
    let fields = [
        ino,
        u64::from(mode),
        0,
        0,
        u64::from(nlink),
        mtime,
        data.len() as u64,
        0,
        0,
        0,
        0,
        name.len() as u64 + 1,
        0,
    ];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{:08x}", f & 0xffff_ffff).as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    pad4(out);
    out.extend_from_slice(data);
    pad4(out);
}

fn pad4(out: &mut Vec<u8>) {
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

/// How an archive is compressed, by its file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// xz at preset 6 (xz's default, as `recompress` runs it).
    Xz,
    /// gzip at level 9 with no name and mtime 0 in its header.
    Gz,
    /// zstd at ruzstd's one implemented level (about zstd's level 1).
    Zst,
}

impl Compression {
    /// The compression a file name's extension names (`.tar.xz`, `.tar.gz`, `.tar.zst`).
    pub(crate) fn of_file(name: &str) -> Option<Compression> {
        let (_, ext) = name.rsplit_once('.')?;
        match ext {
            "xz" => Some(Compression::Xz),
            "gz" => Some(Compression::Gz),
            "zst" => Some(Compression::Zst),
            _ => None,
        }
    }
}

/// `data` compressed with `how`.
pub(crate) fn compress(data: &[u8], how: Compression) -> anyhow::Result<Vec<u8>> {
    match how {
        Compression::Xz => {
            let options = lzma_rust2::XzOptions::with_preset(6);
            let mut w = lzma_rust2::XzWriter::new(Vec::new(), options).context("xz")?;
            w.write_all(data).context("xz")?;
            w.finish().context("xz")
        }
        Compression::Gz => {
            let mut e = flate2::GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), flate2::Compression::new(9));
            e.write_all(data).context("gzip")?;
            e.finish().context("gzip")
        }
        Compression::Zst => Ok(ruzstd::encoding::compress_to_vec(
            data,
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    fn sample() -> Vec<Entry> {
        under(
            "hello-1.0",
            vec![
                Entry {
                    path: "src/main.c".into(),
                    kind: Kind::File { executable: false },
                    data: b"int main(void) { return 0; }\n".to_vec(),
                },
                Entry {
                    path: "src".into(),
                    kind: Kind::Dir,
                    data: Vec::new(),
                },
                Entry {
                    path: "configure".into(),
                    kind: Kind::File { executable: true },
                    data: b"#!/bin/sh\n".to_vec(),
                },
                Entry {
                    path: "link".into(),
                    kind: Kind::Symlink("configure".into()),
                    data: Vec::new(),
                },
            ],
        )
    }

    #[test]
    fn the_tar_reads_back_sorted_with_owner_root_and_one_mtime() {
        let bytes = tar(&sample(), 1_700_000_000).unwrap();
        assert_eq!(bytes, tar(&sample(), 1_700_000_000).unwrap());
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut seen = Vec::new();
        for e in archive.entries().unwrap() {
            let e = e.unwrap();
            let h = e.header();
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            assert_eq!(h.mtime().unwrap(), 1_700_000_000);
            seen.push((e.path().unwrap().display().to_string(), h.mode().unwrap()));
        }
        assert_eq!(
            seen,
            [
                ("hello-1.0/".to_string(), 0o755),
                ("hello-1.0/configure".to_string(), 0o755),
                ("hello-1.0/link".to_string(), 0o777),
                ("hello-1.0/src/".to_string(), 0o755),
                ("hello-1.0/src/main.c".to_string(), 0o644),
            ]
        );
    }

    #[test]
    fn the_cpio_is_newc_with_a_trailer() {
        let bytes = cpio(&sample(), 1);
        assert!(bytes.starts_with(b"070701"));
        assert_eq!(bytes.len() % 4, 0);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("hello-1.0/src/main.c\0"));
        assert!(text.contains("TRAILER!!!\0"));
    }

    #[test]
    fn each_compression_reads_back() {
        let data = b"vendor/a/lib.rs\n".repeat(500);
        for (name, how) in [
            ("x.tar.xz", Compression::Xz),
            ("x.tar.gz", Compression::Gz),
            ("x.tar.zst", Compression::Zst),
        ] {
            assert_eq!(Compression::of_file(name), Some(how), "{name}");
            let packed = compress(&data, how).unwrap();
            assert_eq!(packed, compress(&data, how).unwrap(), "{name}");
            let mut out = Vec::new();
            crate::compress::decompressed(name, &packed[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data, "{name}");
        }
    }
}
