//! RUN --mount=type=bind of the context: the RUN sees the context as
//! .dockerignore filters it, and a `rw` bind is a throwaway copy (issue 13
//! item 2): its writes never reach the real context on the host.
//! Also a secret given as an environment variable (`env=`) with the
//! file's mode and owner the mount asks for.

mod common;

use std::fs;

use common::build::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn rw_bind_of_the_context_never_writes_to_it() {
    let (store, d) = busybox_and_context(
        "FROM busybox\n\
         RUN --mount=type=bind,target=/ctx,rw echo changed > /ctx/app.txt && touch /ctx/new \
         && rm -f /ctx/Dockerfile && ls -A /ctx > /list && cat /ctx/app.txt > /saw\n\
         RUN --mount=type=bind,target=/ctx cat /ctx/app.txt > /after\n",
    );
    fs::write(d.path().join("app.txt"), "original\n").unwrap();
    fs::write(d.path().join("ignored.log"), "x\n").unwrap();
    fs::write(d.path().join(".dockerignore"), "*.log\n").unwrap();
    let (out, _) = build_to_dir(&store, &[], d.path());
    let read = |p: &str| fs::read_to_string(out.path().join(p)).unwrap();
    // The RUN wrote into its bind and saw its write ...
    assert_eq!(read("saw"), "changed\n");
    // ... the ignored file was not there ...
    let list = read("list");
    assert!(list.lines().any(|l| l == "app.txt"), "{list}");
    assert!(!list.contains("ignored.log"), "{list}");
    // ... and nothing of it reached the context or the next RUN.
    assert_eq!(
        fs::read_to_string(d.path().join("app.txt")).unwrap(),
        "original\n"
    );
    assert!(!d.path().join("new").exists());
    assert!(d.path().join("Dockerfile").exists());
    assert_eq!(read("after"), "original\n");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn secret_as_env_and_file_mode() {
    let (store, d) = busybox_and_context(
        "FROM busybox\n\
         RUN --mount=type=secret,id=token,env=TOKEN printf %s \"$TOKEN\" | wc -c > /env-len\n\
         RUN --mount=type=secret,id=token,target=/t,uid=7,gid=8,mode=0440 stat -c '%a %u:%g' /t > /t-stat\n\
         RUN --mount=type=secret,id=token stat -c '%a %u:%g' /run/secrets/token > /default-stat\n",
    );
    let secret = d.path().join("token.txt");
    fs::write(&secret, "s3cr3t-value").unwrap();
    let given = format!("id=token,src={}", secret.display());
    let (out, _) = build_to_dir(&store, &["--secret", &given], d.path());
    let read = |p: &str| fs::read_to_string(out.path().join(p)).unwrap();
    assert_eq!(read("env-len").trim(), "12");
    assert_eq!(read("t-stat").trim(), "440 7:8");
    assert_eq!(read("default-stat").trim(), "400 0:0");
}
