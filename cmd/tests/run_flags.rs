//! `skiff run` flags against real containers: exit codes (docker's 125,
//! 126, 127), env/workdir/user/entrypoint matching podman, namespaces,
//! hostname and the /etc files.

mod common;

use std::process::Command;

use common::container::*;
use common::podman::containers_conf;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn echo_hi_and_exit_codes() {
    let s = Store::new();
    let o = run(&s, &[], &["echo", "hi"]);
    assert_success(&o, &["run echo hi"]);
    assert_eq!(stdout(&o), "hi\n");
    assert_eq!(run(&s, &[], &["sh", "-c", "exit 3"]).status.code(), Some(3));
    let o = run(&s, &[], &["no-such-command"]);
    assert_fails(&o, 127, &["executable file not found"]);
    assert_eq!(run(&s, &[], &["/etc"]).status.code(), Some(126));
    // Flags after the image belong to the command.
    let o = run(&s, &[], &["ls", "-d", "/etc"]);
    assert_eq!(stdout(&o), "/etc\n");
    // A skiff error is 125.
    assert_eq!(
        s.run(&["run", "--rm", "--memory", "lots", "busybox", "true"])
            .status
            .code(),
        Some(125)
    );
    assert_eq!(
        // So is an invalid port spec.
        s.run(&["run", "--rm", "-p", "80:80/bogus", "busybox", "true"])
            .status
            .code(),
        Some(125)
    );
    // --rm left nothing behind.
    let left: Vec<_> = std::fs::read_dir(s.root().join("containers"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().len() == 64)
        .collect();
    assert!(left.is_empty());
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&*s.root().to_string_lossy()));
}

/// The same command under skiff and podman (podman's `--rootfs` over the
/// same tree) must print the same thing.
fn same_as_podman(s: &Store, flags: &[&str], cmd: &[&str]) {
    let ours = run(s, flags, cmd);
    assert_success(&ours, cmd);
    let dir = s.root().join("podman-rootfs");
    if !dir.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
        assert!(Command::new("tar")
            .arg("-C")
            .arg(&dir)
            .arg("-xf")
            .arg(&tar)
            .status()
            .unwrap()
            .success());
    }
    let conf = containers_conf(s.root());
    let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
    args.extend(flags.iter().map(|f| f.to_string()));
    args.push("--rootfs".into());
    args.push(dir.to_string_lossy().into_owned());
    args.extend(cmd.iter().map(|c| c.to_string()));
    let theirs = Command::new("podman")
        .env("CONTAINERS_CONF", &conf)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        theirs.status.success(),
        "podman {args:?}: {}",
        stderr(&theirs)
    );
    assert_eq!(
        stdout(&ours),
        stdout(&theirs),
        "skiff and podman differ for {flags:?} {cmd:?}"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn env_workdir_user_entrypoint_match_podman() {
    let s = Store::new();
    let envf = s.root().join("env.list");
    std::fs::write(&envf, "# comment\nFROM_FILE=yes\nA=from-file\n").unwrap();
    let envf = envf.to_string_lossy().into_owned();
    same_as_podman(
        &s,
        &["-e", "A=B", "--env-file", &envf],
        &["sh", "-c", "echo $A $FROM_FILE $PATH"],
    );
    same_as_podman(&s, &["-w", "/tmp"], &["pwd"]);
    same_as_podman(&s, &["-u", "1000:1000"], &["id"]);
    same_as_podman(&s, &["-u", "nobody"], &["id"]);
    same_as_podman(&s, &["-u", "user"], &["sh", "-c", "id; echo $HOME"]);
    same_as_podman(&s, &["--entrypoint", "echo"], &["a", "b"]);
    // -w creates a missing directory, as docker does.
    assert_eq!(
        stdout(&run(&s, &["-w", "/new/dir"], &["pwd"])),
        "/new/dir\n"
    );
    let o = run(&s, &["-u", "ghost"], &["id"]);
    assert_fails(&o, 125, &["unable to find user ghost"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn namespaces_hostname_and_etc_files() {
    let s = Store::new();
    let o = run(&s, &["--hostname", "box1", "--add-host", "db:10.1.2.3"], &[
        "sh",
        "-c",
        "echo $$; hostname; cat /etc/hostname; grep -w db /etc/hosts; ps -o pid | wc -l; df -k /dev/shm | tail -1",
    ]);
    assert_success(&o, &["namespaces"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1", "the container has its own PID namespace");
    assert_eq!(lines[1], "box1");
    assert_eq!(lines[2], "box1");
    assert!(lines[3].starts_with("10.1.2.3"));
    // ps header + sh + ps (+ wc): only the container's own processes.
    assert!(lines[4].trim().parse::<u32>().unwrap() <= 4, "{out}");
    assert!(lines[5].contains("65536"), "/dev/shm is 64 MiB: {out}");
    // Default hostname: the short id; --network none has only loopback.
    let o = run(
        &s,
        &["--network", "none"],
        &["sh", "-c", "ls /sys/class/net; hostname | wc -c"],
    );
    assert_eq!(stdout(&o), "lo\n13\n");
}
