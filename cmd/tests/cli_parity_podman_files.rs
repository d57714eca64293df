//! docker CLI parity, side by side with podman (see cli_parity_podman.rs
//! and common/parity.rs): container files (cp, diff, export) and images
//! (tag, rmi, pull, push) against the test ground's registry.

mod common;

use common::parity::{host_file, Docker, Matrix, Shape, PODMAN_NO_CONTAINER};

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
fn files_and_images_match() {
    let mut m = Matrix::new();
    let host = m.peers.host_dir();
    let file = host_file(&host, "in.txt", "from the host\n");
    m.peers
        .setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]);
    m.peers
        .setup(&["exec", "pc1", "sh", "-c", "echo hi > /tmp/f"]);
    m.same(
        "cp into a container",
        &["cp", &file, "pc1:/tmp/g"],
        Shape::Stdout,
    );
    m.same(
        "cp: the file arrived",
        &["exec", "pc1", "cat", "/tmp/g"],
        Shape::Stdout,
    );
    m.same(
        "cp out to stdout is a tar",
        &["cp", "pc1:/tmp/f", "-"],
        Shape::TarHas(&["f"]),
    );
    m.docker(
        "cp of a missing path",
        &["cp", "pc1:/nonexist", "-"],
        Docker::Fails(1, "Could not find the file /nonexist in container pc1"),
        "exit 125, \"could not be found on container\"",
    );
    m.docker(
        "diff",
        &["diff", "pc1"],
        Docker::Lines(&["C /tmp", "A /tmp/f", "A /tmp/g"]),
        "podman also lists C /etc (its hosts and resolv.conf are written into the rootfs)",
    );
    m.same(
        "export is a tar of the rootfs",
        &["export", "pc1"],
        Shape::TarHas(&["bin/busybox", "tmp/f", "tmp/g", "etc/passwd"]),
    );
    m.docker(
        "diff of a missing container",
        &["diff", "nosuch"],
        Docker::Fails(1, "No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.same("tag", &["tag", "IMG", "parity-tag:1"], Shape::Stdout);
    m.docker(
        "a short tag is a docker.io name",
        &[
            "images",
            "parity-tag",
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ],
        Docker::Stdout(0, "parity-tag:1\n"),
        "podman names it localhost/parity-tag",
    );
    m.docker(
        "rmi untags",
        &["rmi", "parity-tag:1"],
        Docker::Stdout(0, "Untagged: parity-tag:1\n"),
        "podman says Untagged: localhost/parity-tag:1",
    );
    m.docker(
        "rmi of a missing image",
        &["rmi", "nosuch"],
        Docker::Fails(1, "No such image: nosuch"),
        "exit 1, \"nosuch: image not known\"",
    );
    m.docker(
        "tag of a missing image",
        &["tag", "nosuch", "x"],
        Docker::Fails(1, "No such image: nosuch"),
        "exit 125, \"nosuch: image not known\"",
    );
    m.docker(
        "pull ::bad::",
        &["pull", "::bad::"],
        Docker::Fails(1, "invalid reference format"),
        "exit 125",
    );
    let pulled = format!("{}\n", m.peers.image);
    m.docker(
        "pull -q prints the reference",
        &["pull", "-q", "IMG"],
        Docker::Stdout(0, &pulled),
        "podman prints the image id",
    );
    let registry = common::ground("SKIFF_TEST_REGISTRY");
    let pushed = format!("{registry}/{}:1", common::registry::unique("parity-push"));
    m.peers.setup(&["tag", "IMG", &pushed]);
    m.same(
        "push to the test registry",
        &["push", "-q", &pushed],
        Shape::Exit,
    );
    m.docker(
        "push of a missing image",
        &["push", &format!("{registry}/nosuch-local:1")],
        Docker::Fails(1, "An image does not exist locally with the tag"),
        "exit 125, \"image not known\"",
    );
    m.finish();
}
