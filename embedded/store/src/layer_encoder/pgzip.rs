//! Block-parallel gzip, pigz's scheme: the input is cut into blocks, each
//! block is deflated on its own thread with the previous block's last 32 KiB
//! as dictionary and ends with a sync flush, so the concatenation is one
//! ordinary deflate stream any gunzip reads.
//!
//! Written here rather than taken from `gzp` because gzp's deflate backends
//! either pull a C zlib or force flate2's miniz backend next to our zlib-rs
//! one, and because owning the pipeline lets the layer encoder hash the
//! uncompressed and compressed streams in the same pass (~120 lines).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use flate2::{Compress, Compression, Crc, FlushCompress, Status};

/// deflate's window: the dictionary each block gets from its predecessor.
const WINDOW: usize = 32 * 1024;
/// Large enough that the per-block flush costs nothing measurable, small
/// enough to keep memory at a few MiB per core.
pub const BLOCK: usize = 1024 * 1024;

struct Job {
    seq: u64,
    data: Vec<u8>,
    dict: Vec<u8>,
    last: bool,
}

type Done = (u64, io::Result<Vec<u8>>);

/// A `Write` that gzips into `W` using `threads` compressor threads.
pub struct ParallelGzip<W: Write + Send + 'static> {
    level: u32,
    block: usize,
    buf: Vec<u8>,
    tail: Vec<u8>,
    seq: u64,
    crc: Crc,
    jobs: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    writer: Option<JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> ParallelGzip<W> {
    pub fn new(out: W, level: u32, threads: usize) -> io::Result<Self> {
        Self::with_block_size(out, level, threads, BLOCK)
    }

    /// `block` must be at least the 32 KiB window.
    pub fn with_block_size(
        mut out: W,
        level: u32,
        threads: usize,
        block: usize,
    ) -> io::Result<Self> {
        let block = block.max(WINDOW);
        let threads = threads.max(1);
        // Go's compress/gzip header (no name, mtime 0, OS unknown), as
        // docker's layers have, so equal content gives equal bytes.
        out.write_all(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])?;
        let (job_tx, job_rx) = sync_channel::<Job>(threads * 2);
        let (done_tx, done_rx) = sync_channel::<Done>(threads * 2);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let workers = (0..threads)
            .map(|_| {
                let rx = Arc::clone(&job_rx);
                let tx = done_tx.clone();
                std::thread::spawn(move || worker(level, rx, tx))
            })
            .collect();
        drop(done_tx);
        let writer = std::thread::spawn(move || collect(out, done_rx));
        Ok(ParallelGzip {
            level,
            block,
            buf: Vec::with_capacity(block),
            tail: Vec::new(),
            seq: 0,
            crc: Crc::new(),
            jobs: Some(job_tx),
            workers,
            writer: Some(writer),
        })
    }

    pub fn level(&self) -> u32 {
        self.level
    }

    fn send_block(&mut self, last: bool) -> io::Result<()> {
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(self.block));
        self.crc.update(&data);
        let dict = std::mem::take(&mut self.tail);
        self.tail = data[data.len().saturating_sub(WINDOW)..].to_vec();
        let job = Job {
            seq: self.seq,
            data,
            dict,
            last,
        };
        self.seq += 1;
        let sent = self.jobs.as_ref().map(|tx| tx.send(job).is_ok());
        if sent != Some(true) {
            // The pipeline stopped: the writer thread holds the reason.
            return Err(self
                .shutdown()
                .err()
                .unwrap_or_else(|| io::Error::other("gzip pipeline stopped unexpectedly")));
        }
        Ok(())
    }

    fn shutdown(&mut self) -> io::Result<W> {
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        match self.writer.take() {
            Some(h) => h
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("gzip writer thread panicked"))),
            None => Err(io::Error::other("gzip stream already finished")),
        }
    }

    /// Flush the last block and the gzip trailer; returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.send_block(true)?;
        let crc = self.crc.sum();
        let isize = self.crc.amount();
        let mut out = self.shutdown()?;
        out.write_all(&crc.to_le_bytes())?;
        out.write_all(&isize.to_le_bytes())?;
        Ok(out)
    }
}

impl<W: Write + Send + 'static> Write for ParallelGzip<W> {
    fn write(&mut self, mut data: &[u8]) -> io::Result<usize> {
        let n = data.len();
        while !data.is_empty() {
            let room = self.block - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == self.block {
                self.send_block(false)?;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<W: Write + Send + 'static> Drop for ParallelGzip<W> {
    fn drop(&mut self) {
        // Abandoned (an error upstream): stop the threads, discard output.
        if self.writer.is_some() {
            let _ = self.shutdown();
        }
    }
}

fn worker(level: u32, jobs: Arc<Mutex<Receiver<Job>>>, done: SyncSender<Done>) {
    loop {
        let job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let out = deflate_block(level, &job.dict, &job.data, job.last);
        if done.send((job.seq, out)).is_err() {
            return;
        }
    }
}

/// Writes finished blocks in order. Ends when every worker has hung up.
fn collect<W: Write>(mut out: W, done: Receiver<Done>) -> io::Result<W> {
    let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, block) in done {
        pending.insert(seq, block?);
        while let Some(b) = pending.remove(&next) {
            out.write_all(&b)?;
            next += 1;
        }
    }
    if !pending.is_empty() {
        return Err(io::Error::other("gzip block lost"));
    }
    Ok(out)
}

/// Raw deflate of one block, ending byte-aligned (sync flush) or with the
/// final block marker.
pub fn deflate_block(level: u32, dict: &[u8], data: &[u8], last: bool) -> io::Result<Vec<u8>> {
    let mut c = Compress::new(Compression::new(level), false);
    if !dict.is_empty() {
        c.set_dictionary(dict).map_err(io::Error::other)?;
    }
    let mut out = Vec::with_capacity(data.len() / 2 + 4096);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(64 * 1024));
        }
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&data[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let all_in = c.total_in() as usize == data.len();
        match status {
            Status::StreamEnd => break,
            // With input consumed and room left over, the sync flush is complete.
            _ if !last && all_in && out.capacity() - out.len() >= 1024 => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn sample(len: usize) -> Vec<u8> {
        // Compressible but not trivial: repeated text with a counter.
        let mut v = Vec::with_capacity(len);
        let mut i = 0u64;
        while v.len() < len {
            v.extend_from_slice(format!("line {i} of the sample layer data\n").as_bytes());
            i = i
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                % 100_000;
        }
        v.truncate(len);
        v
    }

    const B: usize = 64 * 1024;

    fn roundtrip(len: usize, threads: usize) {
        let data = sample(len);
        let mut gz = ParallelGzip::with_block_size(Vec::new(), 6, threads, B).unwrap();
        for chunk in data.chunks(7919) {
            gz.write_all(chunk).unwrap();
        }
        let out = gz.finish().unwrap();
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(out.as_slice())
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data, "len {len} threads {threads}");
    }

    #[test]
    fn roundtrips() {
        roundtrip(0, 2);
        roundtrip(1, 1);
        roundtrip(B, 2);
        roundtrip(3 * B + 12345, 2);
        roundtrip(5 * B + 1, 3);
    }

    #[test]
    fn same_input_same_bytes() {
        let data = sample(2 * B + 10);
        let run = |t| {
            let mut gz = ParallelGzip::with_block_size(Vec::new(), 6, t, B).unwrap();
            gz.write_all(&data).unwrap();
            gz.finish().unwrap()
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn the_system_gunzip_agrees() {
        let Ok(mut child) = std::process::Command::new("gzip")
            .args(["-dc"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
        else {
            return;
        };
        let data = sample(2 * B + 77);
        let mut gz = ParallelGzip::with_block_size(Vec::new(), 6, 2, B).unwrap();
        gz.write_all(&data).unwrap();
        let out = gz.finish().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let t = std::thread::spawn(move || stdin.write_all(&out));
        let res = child.wait_with_output().unwrap();
        t.join().unwrap().unwrap();
        assert!(res.status.success());
        assert_eq!(res.stdout, data);
    }
}
