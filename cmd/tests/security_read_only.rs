//! `--read-only` (issue 13, item 7b): nothing under / is writable, the
//! files skiff mounts over /etc included (docker mounts them read-only
//! then too); tmpfs mounts stay writable.

mod common;

use common::container::run;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn read_only_covers_the_etc_files() {
    let store = Store::new();
    for file in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"] {
        let append = format!("echo x >> {file}");
        let o = run(
            &store,
            &["--read-only", "--network", "none"],
            &["sh", "-c", &append],
        );
        assert!(!o.status.success(), "{file} writable with --read-only");
        assert!(stderr(&o).contains("Read-only file system"), "{}", text(&o));
        let o = run(&store, &["--network", "none"], &["sh", "-c", &append]);
        assert_success(&o, &["run", &append]);
    }
    // On the default bridge network, whose /etc/hosts skiff maintains.
    let append = ["sh", "-c", "echo x >> /etc/hosts"];
    let o = run(&store, &["--read-only"], &append);
    assert!(!o.status.success(), "{}", text(&o));
    assert_success(&run(&store, &[], &append), &append);
    // What --read-only leaves writable.
    let o = run(
        &store,
        &["--read-only", "--network", "none", "--tmpfs", "/scratch"],
        &["sh", "-c", "echo x > /scratch/f && cat /scratch/f"],
    );
    assert_success(&o, &["--read-only --tmpfs"]);
    assert_eq!(stdout(&o), "x\n");
}
