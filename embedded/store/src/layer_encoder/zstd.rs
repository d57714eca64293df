//! zstd layers through `ruzstd`, the only pure-Rust zstd encoder (its
//! "Fastest" level, about zstd -1; single-threaded).
//!
//! ruzstd pulls from a `Read` and unwraps I/O errors (a panic is an abort in
//! skiff's release profile), so it runs on its own thread reading from a
//! channel that never fails, into a sink that records the first write error
//! instead of returning it.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use ruzstd::encoding::{compress, CompressionLevel};

const CHUNK: usize = 1024 * 1024;

pub struct ZstdWriter<W: Write + Send + 'static> {
    buf: Vec<u8>,
    tx: Option<SyncSender<Vec<u8>>>,
    thread: Option<JoinHandle<(W, Option<io::Error>)>>,
}

impl<W: Write + Send + 'static> ZstdWriter<W> {
    pub fn new(out: W) -> Self {
        let (tx, rx) = sync_channel::<Vec<u8>>(4);
        let thread = std::thread::spawn(move || {
            let mut sink = Recording { out, err: None };
            let src = ChannelReader {
                rx,
                cur: Vec::new(),
                pos: 0,
            };
            compress(src, &mut sink, CompressionLevel::Fastest);
            (sink.out, sink.err)
        });
        ZstdWriter {
            buf: Vec::with_capacity(CHUNK),
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        match &self.tx {
            Some(tx) if tx.send(chunk).is_ok() => Ok(()),
            _ => Err(io::Error::other("zstd encoder stopped")),
        }
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.send()?;
        self.tx = None;
        let handle = self
            .thread
            .take()
            .ok_or_else(|| io::Error::other("zstd stream already finished"))?;
        let (out, err) = handle
            .join()
            .map_err(|_| io::Error::other("zstd encoder thread panicked"))?;
        match err {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }
}

impl<W: Write + Send + 'static> Write for ZstdWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write + Send + 'static> Drop for ZstdWriter<W> {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(v) => {
                    self.cur = v;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct Recording<W> {
    out: W,
    err: Option<io::Error>,
}

impl<W: Write> Write for Recording<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.err.is_none() {
            if let Err(e) = self.out.write_all(data) {
                self.err = Some(e);
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let data: Vec<u8> = (0..1_200_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 7) as u8)
            .collect();
        let mut z = ZstdWriter::new(Vec::new());
        for c in data.chunks(100_000) {
            z.write_all(c).unwrap();
        }
        let out = z.finish().unwrap();
        assert!(out.len() < data.len());
        let mut dec = ruzstd::decoding::StreamingDecoder::new(out.as_slice()).unwrap();
        let mut back = Vec::new();
        dec.read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn empty() {
        let z = ZstdWriter::new(Vec::new());
        let out = z.finish().unwrap();
        let mut dec = ruzstd::decoding::StreamingDecoder::new(out.as_slice()).unwrap();
        let mut back = Vec::new();
        dec.read_to_end(&mut back).unwrap();
        assert!(back.is_empty());
    }
}
