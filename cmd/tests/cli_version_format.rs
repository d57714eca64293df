//! `version --format`: the fields tools read to detect docker and which
//! engine they talk to (`{{.Server.Version}}`, `{{.Client.Version}}`,
//! `{{.Server.Os}}`). skiff has no daemon: its Server section is skiff
//! itself, so the detection succeeds instead of reading as "daemon down".

mod common;

use common::*;

fn version(s: &Store, format: &str) -> String {
    s.ok(&["version", "--format", format])
}

#[test]
fn server_and_client_versions_print_like_docker() {
    let s = Store::new();
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(version(&s, "{{.Server.Version}}"), format!("{v}\n"));
    assert_eq!(version(&s, "{{.Client.Version}}"), format!("{v}\n"));
    assert_eq!(
        version(&s, "{{.Client.Version}} {{.Server.Version}} {{.Server.Os}}"),
        format!("{v} {v} linux\n")
    );
    let whole: serde_json::Value = serde_json::from_str(&version(&s, "{{json .}}")).unwrap();
    assert_eq!(whole["Server"]["Version"], v);
    assert_eq!(whole["Client"]["Version"], v);
    // Still an error, never a guess, for what docker does not have.
    let out = s.run(&["version", "--format", "{{.Server.Nope}}"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
}
