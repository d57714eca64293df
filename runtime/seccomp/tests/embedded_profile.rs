//! The embedded docker profile must stay identical to the conformance copy.

use std::path::Path;

#[test]
fn embedded_docker_default_is_byte_identical_to_conformance_copy() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/seccomp/docker-default.json");
    let expected = std::fs::read(&reference)
        .unwrap_or_else(|e| panic!("reading {}: {e}", reference.display()));
    assert!(
        skiff_seccomp::profile::DOCKER_DEFAULT_JSON.as_bytes() == expected.as_slice(),
        "runtime/seccomp/profiles/docker-default.json differs from {}: copy it over",
        reference.display()
    );
}
