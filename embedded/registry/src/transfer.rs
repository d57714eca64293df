//! Byte plumbing between the store's files and oci-client's streams, kept
//! apart from the pull/push logic: blocking file I/O runs on its own thread
//! and talks to the async side through small bounded channels, so memory
//! stays constant whatever the blob size.

use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use bytes::Bytes;
use futures_util::Stream;
use oci_client::errors::OciDistributionError;
use tokio::sync::mpsc;

/// Stream items of an upload. A blob goes up in one request (see
/// `connect`), so the size only trades syscalls against memory. Below the
/// 2 MiB of a transparent huge page: `perf` of a push with fresh 4 MiB
/// zeroed buffers put a third of the reading thread in the kernel's
/// memory compaction and memset.
pub const PUSH_CHUNK: usize = 1 << 20;

/// Stream a file in `PUSH_CHUNK` pieces, read on a blocking thread; `on_chunk`
/// sees the running byte count (progress).
pub fn file_stream(
    path: PathBuf,
    on_chunk: impl Fn(u64) + Send + 'static,
) -> impl Stream<Item = Result<Bytes, OciDistributionError>> + Send + 'static {
    // A few chunks queued while another is on the wire: ~5 MiB per upload.
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
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
            // read_to_end fills the spare capacity: no zeroing first.
            let mut buf = Vec::with_capacity(PUSH_CHUNK);
            if let Err(e) = (&mut f).take(PUSH_CHUNK as u64).read_to_end(&mut buf) {
                let _ = tx.blocking_send(Err(e));
                return;
            }
            let filled = buf.len();
            if filled == 0 {
                return;
            }
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

/// How far a blob's temp file has been written, shared by the thread that
/// writes it and the one that unpacks it.
#[derive(Default)]
pub struct Written {
    state: Mutex<WrittenState>,
    changed: Condvar,
}

#[derive(Default)]
struct WrittenState {
    /// Bytes flushed to the file (readable through another descriptor).
    flushed: u64,
    /// The blob is complete and its digest verified.
    done: bool,
    /// The download failed: readers get this error.
    failed: Option<String>,
}

impl Written {
    pub fn advance(&self, flushed: u64) {
        if let Ok(mut s) = self.state.lock() {
            s.flushed = flushed;
        }
        self.changed.notify_all();
    }
    pub fn finish(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.done = true;
        }
        self.changed.notify_all();
    }
    pub fn fail(&self, why: String) {
        if let Ok(mut s) = self.state.lock() {
            s.failed = Some(why);
        }
        self.changed.notify_all();
    }
}

/// Reads a blob's temp file while it is being written, waiting for more
/// bytes instead of stopping at the current end; the end of the blob is
/// only reported once its digest has been checked. The unpacker reads
/// through this, so a slow unpack (or one waiting for another process's
/// snapshot lock) never holds up the download, and nothing is buffered in
/// memory.
pub struct FollowReader {
    file: std::fs::File,
    pos: u64,
    written: Arc<Written>,
}

impl FollowReader {
    pub fn new(file: std::fs::File, written: Arc<Written>) -> FollowReader {
        FollowReader {
            file,
            pos: 0,
            written,
        }
    }
}

impl Read for FollowReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self
            .written
            .state
            .lock()
            .map_err(|_| io::Error::other("download state poisoned"))?;
        loop {
            if let Some(why) = &s.failed {
                return Err(io::Error::other(why.clone()));
            }
            if self.pos < s.flushed {
                // try_from: on 32-bit a gap of 4 GiB or more must not wrap to 0 (EOF).
                let n = buf
                    .len()
                    .min(usize::try_from(s.flushed - self.pos).unwrap_or(usize::MAX));
                drop(s);
                let got = self.file.read(&mut buf[..n])?;
                self.pos += got as u64;
                return Ok(got);
            }
            if s.done {
                return Ok(0);
            }
            s = self
                .written
                .changed
                .wait(s)
                .map_err(|_| io::Error::other("download state poisoned"))?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::temp_path;

    #[test]
    fn follow_reader_waits_for_the_writer() {
        use std::io::Write;
        let (_dir, p) = temp_path("blob");
        let mut w = std::fs::File::create(&p).unwrap();
        let written = Arc::new(Written::default());
        let mut r = FollowReader::new(std::fs::File::open(&p).unwrap(), written.clone());
        let t = std::thread::spawn(move || {
            let mut got = String::new();
            r.read_to_string(&mut got).map(|_| got)
        });
        w.write_all(b"hello ").unwrap();
        written.advance(6);
        std::thread::sleep(std::time::Duration::from_millis(20));
        w.write_all(b"world").unwrap();
        written.advance(11);
        written.finish();
        assert_eq!(t.join().unwrap().unwrap(), "hello world");
    }

    #[test]
    fn follow_reader_reports_failure() {
        let (_dir, p) = temp_path("blob");
        std::fs::write(&p, b"abc").unwrap();
        let written = Arc::new(Written::default());
        written.advance(3);
        let mut r = FollowReader::new(std::fs::File::open(&p).unwrap(), written.clone());
        written.fail("digest mismatch".into());
        let mut v = Vec::new();
        assert!(r.read_to_end(&mut v).is_err());
    }

    #[test]
    fn file_stream_chunks() {
        use futures_util::StreamExt;
        let (_dir, p) = temp_path("blob");
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
