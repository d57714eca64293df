//! docker CLI parity, side by side with podman (see cli_parity_podman.rs
//! and common/parity.rs): container files (cp, diff, export) and images
//! (tag, rmi, pull, push) against the test ground's registry.

mod common;

use common::parity::Row::{AsDocker, Same, Setup};
use common::parity::Shape::{Exit, Stdout, TarHas};
use common::parity::{host_file, Docker, Matrix, NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER};

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
#[rustfmt::skip] // a table: one row a line
fn files_and_images_match() {
    let m = Matrix::new();
    let file = host_file(&m.peers.host_dir(), "in.txt", "from the host\n");
    let pulled = format!("{}\n", m.peers.image);
    let pushed = common::registry::unique_ref("parity-push", "1");
    let missing = format!("{}/nosuch-local:1", common::ground("SKIFF_TEST_REGISTRY"));
    m.check(&[
        Setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]),
        Setup(&["exec", "pc1", "sh", "-c", "echo hi > /tmp/f"]),
        Same("cp into a container", &["cp", &file, "pc1:/tmp/g"], Stdout),
        Same("cp: the file arrived", &["exec", "pc1", "cat", "/tmp/g"], Stdout),
        Same("cp out to stdout is a tar", &["cp", "pc1:/tmp/f", "-"], TarHas(&["f"])),
        AsDocker("cp of a missing path", &["cp", "pc1:/nonexist", "-"],
            Docker::Fails(1, "Could not find the file /nonexist in container pc1"),
            "exit 125, \"could not be found on container\""),
        AsDocker("diff", &["diff", "pc1"], Docker::Lines(&["C /tmp", "A /tmp/f", "A /tmp/g"]),
            "podman also lists C /etc (its hosts and resolv.conf are written into the rootfs)"),
        Same("export is a tar of the rootfs", &["export", "pc1"],
            TarHas(&["bin/busybox", "tmp/f", "tmp/g", "etc/passwd"])),
        AsDocker("diff of a missing container", &["diff", "nosuch"], NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER),
        Same("tag", &["tag", "IMG", "parity-tag:1"], Stdout),
        AsDocker("a short tag is a docker.io name",
            &["images", "parity-tag", "--format", "{{.Repository}}:{{.Tag}}"],
            Docker::Stdout(0, "parity-tag:1\n"), "podman names it localhost/parity-tag"),
        AsDocker("rmi untags", &["rmi", "parity-tag:1"],
            Docker::Stdout(0, "Untagged: parity-tag:1\n"), "podman says Untagged: localhost/parity-tag:1"),
        AsDocker("rmi of a missing image", &["rmi", "nosuch"],
            Docker::Fails(1, "No such image: nosuch"), "exit 1, \"nosuch: image not known\""),
        AsDocker("tag of a missing image", &["tag", "nosuch", "x"],
            Docker::Fails(1, "No such image: nosuch"), "exit 125, \"nosuch: image not known\""),
        AsDocker("pull ::bad::", &["pull", "::bad::"], Docker::Fails(1, "invalid reference format"), "exit 125"),
        AsDocker("pull -q prints the reference", &["pull", "-q", "IMG"],
            Docker::Stdout(0, &pulled), "podman prints the image id"),
        Setup(&["tag", "IMG", &pushed]),
        Same("push to the test registry", &["push", "-q", &pushed], Exit),
        AsDocker("push of a missing image", &["push", &missing],
            Docker::Fails(1, "An image does not exist locally with the tag"), "exit 125, \"image not known\""),
    ]);
}
