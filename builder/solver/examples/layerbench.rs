//! Measures the layer writer: `layerbench DIR [gzip|zstd|none] [level]`.
//! Writes DIR as a layer blob to a temp file and prints MB/s of tar input.
use std::time::Instant;

use skiff_solver::layer::{write_layer, Compression, TarOptions};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = std::path::PathBuf::from(args.get(1).map(String::as_str).unwrap_or("/usr/lib"));
    let comp = match args.get(2).map(String::as_str).unwrap_or("gzip") {
        "zstd" => Compression::Zstd,
        "none" => Compression::None,
        _ => Compression::Gzip(args.get(3).and_then(|l| l.parse().ok()).unwrap_or(6)),
    };
    let tmp = tempfile::NamedTempFile::new().expect("temp file");
    let t = Instant::now();
    let enc = write_layer(&dir, tmp.path(), comp, &TarOptions::default())
        .expect("layer")
        .expect("non-empty");
    let s = t.elapsed().as_secs_f64();
    println!(
        "{:?}: {} MB tar -> {} MB in {:.2}s = {:.0} MB/s (tar input)",
        comp,
        enc.uncompressed_size / 1_000_000,
        enc.size / 1_000_000,
        s,
        enc.uncompressed_size as f64 / 1e6 / s
    );
}
