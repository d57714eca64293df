//! Decompression on its own thread, so that inflating a layer overlaps
//! with hashing its tar and writing its files (the consumer's thread).
//!
//! A pull of a one-layer image has no other parallelism: with inflate,
//! diff-ID hashing, tar parsing and ~20 000 file creations on one thread,
//! that thread was the whole critical path while the download thread
//! waited (see scripts/bench/README.md, "pull"). Memory stays bounded:
//! `DEPTH` buffers of `CHUNK` bytes are in flight, recycled, never more.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TryRecvError};

use crate::compression::decompress;

/// Bytes per buffer handed from the inflate thread to the reader.
const CHUNK: usize = 256 << 10;
/// Buffers queued between the two threads (2 MiB at most).
const DEPTH: usize = 8;

enum Msg {
    Data(Vec<u8>),
    End,
    Failed(io::Error),
}

/// [`decompress`] running on a thread of its own: the returned reader
/// yields the decompressed bytes. The inflate thread stops when the reader
/// is dropped (its next send fails), or at the end or first error of the
/// stream, which the reader then returns.
pub fn decompress_threaded<R: Read + Send + 'static>(
    r: R,
    media_type: Option<&str>,
) -> io::Result<InflateReader> {
    let (tx, rx) = sync_channel::<Msg>(DEPTH);
    let (back_tx, back_rx) = sync_channel::<Vec<u8>>(DEPTH + 1);
    let media_type = media_type.map(str::to_string);
    std::thread::Builder::new()
        .name("inflate".into())
        .spawn(move || inflate(r, media_type.as_deref(), &tx, &back_rx))?;
    Ok(InflateReader {
        rx,
        back: back_tx,
        cur: Vec::new(),
        pos: 0,
        end: false,
    })
}

fn inflate<R: Read>(
    r: R,
    media_type: Option<&str>,
    tx: &SyncSender<Msg>,
    back: &Receiver<Vec<u8>>,
) {
    let mut src = match decompress(r, media_type) {
        Ok(s) => s,
        Err(e) => {
            let _ = tx.send(Msg::Failed(e));
            return;
        }
    };
    loop {
        let mut buf = match back.try_recv() {
            Ok(b) => b,
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => Vec::with_capacity(CHUNK),
        };
        buf.resize(CHUNK, 0);
        let mut filled = 0;
        while filled < CHUNK {
            match src.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Msg::Failed(e));
                    return;
                }
            }
        }
        if filled == 0 {
            let _ = tx.send(Msg::End);
            return;
        }
        buf.truncate(filled);
        if tx.send(Msg::Data(buf)).is_err() {
            return; // the reader is gone
        }
    }
}

/// The reading end of [`decompress_threaded`].
pub struct InflateReader {
    rx: Receiver<Msg>,
    /// Emptied buffers go back to the inflate thread.
    back: SyncSender<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    end: bool,
}

impl Read for InflateReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            if self.end || out.is_empty() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Msg::Data(b)) => {
                    let old = std::mem::replace(&mut self.cur, b);
                    self.pos = 0;
                    let _ = self.back.try_send(old);
                }
                Ok(Msg::End) => self.end = true,
                Ok(Msg::Failed(e)) => return Err(e),
                // Only a panic ends the thread without End or Failed: a
                // short stream must never read as a complete one.
                Err(_) => return Err(io::Error::other("the decompression thread stopped")),
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn yields_what_decompress_yields() {
        // Several chunks, not a multiple of CHUNK.
        let data: Vec<u8> = (0..(3 * CHUNK + 1234))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut out = Vec::new();
        decompress_threaded(std::io::Cursor::new(gzip(&data)), None)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn a_corrupt_stream_is_an_error_not_a_short_read() {
        let mut gz = gzip(&vec![42u8; 2 * CHUNK]);
        let n = gz.len();
        gz.truncate(n - 20);
        let mut out = Vec::new();
        let r = decompress_threaded(std::io::Cursor::new(gz), None)
            .unwrap()
            .read_to_end(&mut out);
        assert!(r.is_err(), "a truncated gzip stream read as complete");
    }

    #[test]
    fn dropping_the_reader_stops_the_thread() {
        // An endless source: the thread must stop once the reader is gone.
        struct Endless(std::sync::Arc<std::sync::atomic::AtomicU64>);
        impl Read for Endless {
            fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                b.fill(1);
                Ok(b.len())
            }
        }
        let reads = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut r = decompress_threaded(Endless(reads.clone()), Some("application/x-tar")).unwrap();
        let mut first = [0u8; 10];
        r.read_exact(&mut first).unwrap();
        drop(r);
        std::thread::sleep(std::time::Duration::from_millis(200));
        let settled = reads.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), settled);
    }
}
