//! Decompression by file name, streaming, with pure-Rust decoders.

use std::io::{self, Read};

/// How a file reads once uncompressed, by its name (`.xz`, `.gz`/`.tgz`, `.bz2`, `.zst`;
/// anything else as it is): an upstream's tar for a signature over the uncompressed tar
/// (as the kernel signs), a repository's package index.
pub(crate) fn decompressed<'a>(
    file_name: &str,
    data: impl Read + 'a,
) -> io::Result<Box<dyn Read + 'a>> {
    let name = file_name.to_ascii_lowercase();
    Ok(if name.ends_with(".xz") {
        Box::new(lzma_rust2::XzReader::new(data, true))
    } else if name.ends_with(".gz") || name.ends_with(".tgz") {
        Box::new(flate2::read::MultiGzDecoder::new(data))
    } else if name.ends_with(".bz2") {
        Box::new(bzip2::read::MultiBzDecoder::new(data))
    } else if name.ends_with(".zst") {
        Box::new(
            ruzstd::decoding::StreamingDecoder::new(data)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
        )
    } else {
        Box::new(data)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_read_as_they_are() {
        let mut out = Vec::new();
        decompressed("x.tar", &b"abc"[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"abc");
    }

    #[test]
    fn each_compression_reads_back_the_same_text() {
        let text = b"Package: hello\nVersion: 1.0\n\n".repeat(100);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            std::io::Write::write_all(&mut e, &text).unwrap();
            e.finish().unwrap()
        };
        let bz2 = {
            let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
            std::io::Write::write_all(&mut e, &text).unwrap();
            e.finish().unwrap()
        };
        for (name, data) in [("Packages.gz", gz), ("linux.tar.bz2", bz2)] {
            let mut out = Vec::new();
            decompressed(name, &data[..])
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, text, "{name}");
        }
    }
}
