//! Times attach/detach cycles (root): `cargo run --example cycle -- N`.
use std::time::Instant;

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = skiff_network::NetContext::new(dir.path()).unwrap();
    ctx.bridge = "sktx0".into();
    ctx.subnet = "10.209.0.0/24".parse().unwrap();
    ctx.subnet_explicit = true;
    let req = skiff_network::NetworkRequest {
        ports: skiff_network::ports::parse("18999:80").unwrap(),
        ..Default::default()
    };
    let (mut ta, mut td) = (0f64, 0f64);
    for i in 0..n {
        let id = format!("{i:012x}cafe");
        let t = Instant::now();
        skiff_network::attach(&ctx, &id, &req).unwrap();
        ta += t.elapsed().as_secs_f64();
        let t = Instant::now();
        skiff_network::detach(&ctx, &id).unwrap();
        td += t.elapsed().as_secs_f64();
    }
    println!(
        "attach {:.2} ms, detach {:.2} ms (mean of {n})",
        ta * 1e3 / n as f64,
        td * 1e3 / n as f64
    );
    let _ = skiff_network::link::delete("sktx0");
}
