//! Prints the program a profile compiles to, its size and compile time.
//!
//! cargo run -p skiff-seccomp --example dump -- [x86_64|aarch64|arm] [profile.json|-] [CAP_...]...

use std::time::Instant;

use skiff_seccomp::{Arch, CompileOptions, Profile};

fn main() {
    let mut args = std::env::args().skip(1);
    let arch = match args.next().as_deref() {
        Some("aarch64") => Arch::Aarch64,
        Some("arm") => Arch::Arm,
        Some("x86_64") | None => Arch::X86_64,
        Some(other) => return eprintln!("unknown arch {other}"),
    };
    let json = match args.next().as_deref() {
        None | Some("-") => skiff_seccomp::profile::DOCKER_DEFAULT_JSON
            .as_bytes()
            .to_vec(),
        Some(path) => match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => return eprintln!("{path}: {e}"),
        },
    };
    let caps: Vec<String> = args.collect();
    let caps: Vec<&str> = caps.iter().map(String::as_str).collect();

    let start = Instant::now();
    let profile = match Profile::from_json(&json) {
        Ok(p) => p,
        Err(e) => return eprintln!("{e}"),
    };
    let parsed = start.elapsed();
    let program = match profile.compile(&CompileOptions::new(arch, &caps)) {
        Ok(p) => p,
        Err(e) => return eprintln!("{e}"),
    };
    let total = start.elapsed();
    for (pc, i) in program.instructions().iter().enumerate() {
        println!(
            "{pc:4}: code {:#06x} jt {:3} jf {:3} k {:#010x}",
            i.code, i.jt, i.jf, i.k
        );
    }
    eprintln!(
        "{arch:?}, abis {:?}: {} instructions; parse {parsed:?}, parse+compile {total:?}",
        program.abis(),
        program.len()
    );
}
