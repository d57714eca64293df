//! docker-format seccomp profiles compiled to classic BPF in pure Rust.
