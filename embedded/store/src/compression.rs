//! Layer decompression by media type or by magic bytes: gzip (flate2 on
//! zlib-rs), zstd (pure-Rust ruzstd, keeping the static build C-free) or a
//! plain tar.

use std::io::{self, BufRead, BufReader, Read};

/// Compression of a layer blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
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
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
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
}
