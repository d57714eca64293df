//! Layer and archive decompression by media type or by magic bytes: gzip
//! (flate2 on zlib-rs), zstd (ruzstd), bzip2 (bzip2 on the pure-Rust
//! libbz2-rs-sys), xz (lzma-rust2) or a plain tar. All pure Rust, keeping
//! the static build C-free. The magic bytes are moby/go-archive's
//! `compression.Detect`, which BuildKit's `ADD` uses.

use std::io::{self, BufRead, BufReader, Read};

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Bzip2,
    Xz,
}

impl Compression {
    /// From a layer media type; `None` when the type does not say.
    pub fn from_media_type(mt: &str) -> Option<Compression> {
        if mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") || mt.ends_with("tar.gzip") {
            Some(Compression::Gzip)
        } else if mt.ends_with("+zstd") {
            Some(Compression::Zstd)
        } else if mt.ends_with(".tar") || mt.ends_with("diff.tar") {
            Some(Compression::None)
        } else {
            None
        }
    }

    /// From the first bytes of the stream.
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || zstd_skippable(head) {
            Compression::Zstd
        } else if head.starts_with(b"BZh") {
            Compression::Bzip2
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else {
            Compression::None
        }
    }
}

/// The most memory an xz stream may make the decoder take (KiB).
const XZ_MEM_LIMIT_KIB: u32 = 512 << 10;

/// A zstd skippable frame (magic 0x184D2A50..=0x184D2A5F, little endian)
/// may come first; go-archive counts it as zstd.
fn zstd_skippable(head: &[u8]) -> bool {
    head.len() >= 8
        && u32::from_le_bytes([head[0], head[1], head[2], head[3]]) & 0xFFFF_FFF0 == 0x184D_2A50
}

/// Wrap `r` in the right decompressor. The magic bytes win over the media
/// type: docker-archive tars often carry uncompressed layers under a gzip
/// type, and some tools the reverse.
pub fn decompress<'a, R: Read + 'a>(
    r: R,
    media_type: Option<&str>,
) -> io::Result<Box<dyn Read + 'a>> {
    let mut br = BufReader::with_capacity(1 << 20, r);
    let head = br.fill_buf()?;
    let kind = if head.is_empty() {
        media_type
            .and_then(Compression::from_media_type)
            .unwrap_or(Compression::None)
    } else {
        Compression::sniff(head)
    };
    Ok(match kind {
        Compression::None => Box::new(br),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(br)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(br)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?,
        ),
        // Multi: `pbzip2` and `cat a.bz2 b.bz2` make several streams.
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(br)),
        // A hostile header may ask for a 4 GiB dictionary; real xz presets
        // need at most 64 MiB.
        Compression::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            br,
            true,
            XZ_MEM_LIMIT_KIB,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sniffs_gzip_and_plain() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"hello").unwrap();
        let gz = gz.finish().unwrap();
        let mut out = String::new();
        decompress(&gz[..], None)
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello");
        out.clear();
        decompress(
            &b"plain"[..],
            Some("application/vnd.oci.image.layer.v1.tar+gzip"),
        )
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
        assert_eq!(out, "plain");
    }

    #[test]
    fn sniffs_what_go_archive_detects() {
        assert_eq!(Compression::sniff(b"BZh91AY&SY"), Compression::Bzip2);
        assert_eq!(
            Compression::sniff(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4]),
            Compression::Xz
        );
        assert_eq!(
            Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]),
            Compression::Zstd
        );
        // A skippable frame first (0x184D2A5?, little endian).
        assert_eq!(
            Compression::sniff(&[0x5e, 0x2a, 0x4d, 0x18, 4, 0, 0, 0]),
            Compression::Zstd
        );
        assert_eq!(Compression::sniff(b"BZ"), Compression::None);
        // Garbage after a bzip2 magic is an error when read, not a panic.
        let mut out = Vec::new();
        let r = decompress(&b"BZh9 not really bzip2 data"[..], None)
            .unwrap()
            .read_to_end(&mut out);
        assert!(r.is_err());
    }
}
