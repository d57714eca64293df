//! Byte plumbing between the store's files and oci-client's streams, kept
//! apart from the pull/push logic: blocking file I/O runs on its own thread
//! and talks to the async side through small bounded channels, so memory
//! stays constant whatever the blob size.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use bytes::Bytes;
use futures_util::Stream;
use oci_client::errors::OciDistributionError;
use tokio::sync::mpsc;

/// oci-client sends one PATCH per stream item: 4 MiB items keep the number
/// of requests low (4 KiB items made a 16 MiB push take 18 s).
pub const PUSH_CHUNK: usize = 4 << 20;

/// Stream a file in `PUSH_CHUNK` pieces, read on a blocking thread; `on_chunk`
/// sees the running byte count (progress).
pub fn file_stream(
    path: PathBuf,
    on_chunk: impl Fn(u64) + Send + 'static,
) -> impl Stream<Item = Result<Bytes, OciDistributionError>> + Send + 'static {
    // One chunk queued while another is on the wire: ~8 MiB per upload.
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(1);
    tokio::task::spawn_blocking(move || {
        let mut f = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                let _ = tx.blocking_send(Err(io::Error::new(
                    e.kind(),
                    format!("{}: {e}", path.display()),
                )));
                return;
            }
        };
        let mut sent = 0u64;
        loop {
            let mut buf = vec![0u8; PUSH_CHUNK];
            let mut filled = 0;
            while filled < buf.len() {
                match f.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
            if filled == 0 {
                return;
            }
            buf.truncate(filled);
            sent += filled as u64;
            on_chunk(sent);
            if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                return; // the upload was abandoned
            }
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|item| (item.map_err(OciDistributionError::IoError), rx))
    })
}

/// A chunk of a download, or (`None`) its end. The end is explicit so a
/// download that is abandoned half-way (its sender dropped) reads as an
/// error, never as a short but complete blob.
pub type Chunk = io::Result<Option<Bytes>>;

/// The blocking end of a download: reads the chunks the async side received.
pub struct ChannelReader {
    rx: mpsc::Receiver<Chunk>,
    cur: Bytes,
    done: bool,
}

impl ChannelReader {
    pub fn new(rx: mpsc::Receiver<Chunk>) -> ChannelReader {
        ChannelReader {
            rx,
            cur: Bytes::new(),
            done: false,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.cur.is_empty() {
            if self.done {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Ok(Some(b))) => self.cur = b,
                Some(Ok(None)) => self.done = true,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "download interrupted",
                    ))
                }
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur.split_to(n));
        Ok(n)
    }
}

/// Copies everything read through it into `out` (the blob file), so one
/// download feeds both the blob and the unpacker.
pub struct TeeReader<R, W> {
    pub inner: R,
    pub out: W,
}

impl<R: Read, W: Write> Read for TeeReader<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out.write_all(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_and_tee() {
        let (tx, rx) = mpsc::channel(2);
        let t = std::thread::spawn(move || {
            for part in [&b"hello "[..], b"", b"world"] {
                tx.blocking_send(Ok(Some(Bytes::copy_from_slice(part))))
                    .unwrap();
            }
            tx.blocking_send(Ok(None)).unwrap();
        });
        let mut copy = Vec::new();
        let mut tee = TeeReader {
            inner: ChannelReader::new(rx),
            out: &mut copy,
        };
        let mut got = String::new();
        tee.read_to_string(&mut got).unwrap();
        t.join().unwrap();
        assert_eq!(got, "hello world");
        assert_eq!(copy, b"hello world");
    }

    #[test]
    fn abandoned_download_is_an_error() {
        let (tx, rx) = mpsc::channel(2);
        tx.blocking_send(Ok(Some(Bytes::from_static(b"part"))))
            .unwrap();
        drop(tx);
        let mut r = ChannelReader::new(rx);
        let mut v = Vec::new();
        assert!(r.read_to_end(&mut v).is_err());
    }

    #[test]
    fn file_stream_chunks() {
        use futures_util::StreamExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("blob");
        std::fs::write(&p, vec![7u8; PUSH_CHUNK + 10]).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let sizes: Vec<usize> = rt.block_on(async {
            file_stream(p, |_| {})
                .map(|c| c.unwrap().len())
                .collect()
                .await
        });
        assert_eq!(sizes, vec![PUSH_CHUNK, 10]);
    }
}
