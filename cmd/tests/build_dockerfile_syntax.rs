//! Dockerfile 1.x features checked on a real build: parser directives
//! (`# syntax=` of the official frontend accepted with a note, any other
//! refused with its line; `# check=`), COPY --parents, COPY/ADD --exclude,
//! RUN --network, heredocs (several on one RUN, a `#!` script, COPY with
//! an unquoted delimiter expanding variables but keeping quotes, a quoted
//! one expanding nothing) and ARG against ENV.

mod common;

use std::fs;

use common::build::*;
use common::*;

const DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1.7-labs
# check=skip=JSONArgsRecommended
FROM busybox
ARG V=argval
ENV E=envval
ARG E=argE
COPY --parents a/b/f.txt x/h.txt /parents/
COPY --exclude=*.log a/b/ /copy-ex/
ADD --exclude=*.txt a/b/ /add-ex/
COPY --exclude=**/*.log a /copy-ex-deep/
RUN --network=none ls /sys/class/net > /net-none
RUN <<EOF1 cat > /h1; cat /h1 > /h2 && cat <<EOF2 >> /h2
first $V
EOF1
second
EOF2
RUN <<EOF
#!/bin/awk -f
BEGIN { print "awk ran me" > "/shebang" }
EOF
COPY <<EOF /unquoted
v=$V e=$E "double" 'single'
EOF
COPY <<"EOF" /quoted
v=$V "double"
EOF
RUN echo "E=$E V=$V" > /precedence
"#;

fn context() -> tempfile::TempDir {
    let d = dockerfile_context(DOCKERFILE);
    for (p, body) in [
        ("a/b/f.txt", "f\n"),
        ("a/b/g.log", "g\n"),
        ("a/b/c/deep.log", "d\n"),
        ("x/h.txt", "h\n"),
    ] {
        write(d.path(), p, body);
    }
    d
}

fn files_under(root: &std::path::Path, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(p) = stack.pop() {
        for e in fs::read_dir(&p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.push(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn dockerfile_features_build_as_buildkit() {
    let store = busybox_store();
    let d = context();
    let (out, progress) = build_to_dir(&store, &[], d.path());
    assert!(
        progress.contains("# syntax=docker/dockerfile:1.7-labs: using skiff's built-in"),
        "{progress}"
    );
    let o = out.path();
    let read = |f: &str| fs::read_to_string(o.join(f)).unwrap();
    assert_eq!(
        files_under(o, "parents"),
        [
            "parents/a",
            "parents/a/b",
            "parents/a/b/f.txt",
            "parents/x",
            "parents/x/h.txt"
        ]
    );
    assert_eq!(
        files_under(o, "copy-ex"),
        ["copy-ex/c", "copy-ex/c/deep.log", "copy-ex/f.txt"]
    );
    assert_eq!(
        files_under(o, "add-ex"),
        ["add-ex/c", "add-ex/c/deep.log", "add-ex/g.log"]
    );
    assert_eq!(
        files_under(o, "copy-ex-deep"),
        ["copy-ex-deep/b", "copy-ex-deep/b/c", "copy-ex-deep/b/f.txt"]
    );
    assert_eq!(read("net-none"), "lo\n");
    assert_eq!(read("h1"), "first argval\n");
    assert_eq!(read("h2"), "first argval\nsecond\n");
    assert_eq!(read("shebang"), "awk ran me\n");
    assert_eq!(read("unquoted"), "v=argval e=envval \"double\" 'single'\n");
    assert_eq!(read("quoted"), "v=$V \"double\"\n");
    // ENV wins over an ARG of the same name declared after it.
    assert_eq!(read("precedence"), "E=envval V=argval\n");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn run_network_host_sees_the_hosts_interfaces() {
    let (store, d) = busybox_and_context(
        "FROM busybox\nRUN --network=host ls /sys/class/net > /host\nRUN ls /sys/class/net > /bridge\n",
    );
    let (out, _) = build_to_dir(&store, &[], d.path());
    let host = fs::read_to_string(out.path().join("host")).unwrap();
    let bridge = fs::read_to_string(out.path().join("bridge")).unwrap();
    // The bridge the default RUN was attached to is the host's, not its own.
    let bridge_names: Vec<&str> = bridge.lines().collect();
    let extra: Vec<&str> = host.lines().filter(|n| !bridge_names.contains(n)).collect();
    assert!(!extra.is_empty(), "host: {host} bridge: {bridge}");
    for n in &extra {
        assert!(
            std::path::Path::new("/sys/class/net").join(n).exists(),
            "{n} is no host interface"
        );
    }
}

#[test]
fn syntax_of_another_frontend_is_refused_with_its_line() {
    let store = Store::new();
    for image in ["example.com/my/frontend:1", "docker/dockerfile:2"] {
        let d = dockerfile_context(&format!("# escape=\\\n# syntax={image}\nFROM scratch\n"));
        let out = store.run(&["build", d.path().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{image}: {}", text(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!(
                "Dockerfile:2: unsupported frontend image \"{image}\""
            )),
            "{err}"
        );
    }
}
