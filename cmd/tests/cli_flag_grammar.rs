//! docker's flag grammar (spf13/pflag) for `run`, `create` and `exec`:
//! `-e=K=V`, `-p=8080:80`, `--name=x`, combined short flags, `--` ending
//! the flags, every word after the image being the command's, and an
//! unknown flag before the image refused with pflag's words and 125,
//! never taken for the image. Tools such as faas-cli's local-run write
//! these forms.

mod common;

use common::container::{created_id, store_with_busybox};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn equals_forms_are_flags_with_values() {
    let (s, img) = store_with_busybox();
    let out = s.run(&[
        "run",
        "--rm",
        "-e=K=V=W",
        "--env=L=M",
        "-w=/tmp",
        img,
        "sh",
        "-c",
        "echo $K $L $(pwd)",
    ]);
    assert_eq!(stdout(&out), "V=W M /tmp\n", "{}", text(&out));

    // --name=x names the container.
    s.ok(&["run", "--name=grammar-named", img, "true"]);
    let names = s.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(names.lines().any(|l| l == "grammar-named"), "{names}");
    s.ok(&["rm", "grammar-named"]);

    // -p=8080:80 is a publish flag: with --network=none docker warns that
    // it is discarded (it is not the image name).
    let out = s.run(&[
        "run",
        "--rm",
        "--network=none",
        "-p=8080:80",
        img,
        "echo",
        "ok",
    ]);
    assert_eq!(stdout(&out), "ok\n", "{}", text(&out));
    assert_stderr_says(&out, "Published ports are discarded");
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn combined_short_flags() {
    let (s, img) = store_with_busybox();
    for flags in ["-itd", "-dit"] {
        let out = s.run(&["run", flags, img, "sh"]);
        assert_eq!(out.status.code(), Some(0), "{flags}: {}", text(&out));
        let id = stdout(&out).trim().to_string();
        let got = s.inspect(&id, "{{.Config.Tty}} {{.Config.OpenStdin}}");
        assert_eq!(got, "true true", "{flags}");
        s.ok(&["rm", "-f", &id]);
    }
    // -it in the foreground (with an -e value glued on, as pflag allows).
    let out = s.run(&["run", "--rm", "-it", "-eX=1", img, "sh", "-c", "echo $X"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out).trim(), "1", "{}", text(&out));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn double_dash_and_words_after_the_image() {
    let (s, img) = store_with_busybox();
    let out = s.run(&["run", "--rm", "--", img, "echo", "x"]);
    assert_eq!(stdout(&out), "x\n", "{}", text(&out));
    // After the image everything is the command's, flags included.
    let out = s.run(&["run", "--rm", img, "echo", "--foo", "-e=1", "--rm"]);
    assert_eq!(stdout(&out), "--foo -e=1 --rm\n", "{}", text(&out));
    // docker keeps a `--` after the image as the command's first word.
    let out = s.run(&["run", "--rm", img, "--", "echo", "x"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn unknown_flag_before_the_image_is_an_error_not_the_image() {
    let (s, img) = store_with_busybox();
    for (cmd, flag, first_line) in [
        ("run", "--foo", "unknown flag: --foo"),
        ("run", "--foo=1", "unknown flag: --foo"),
        ("run", "-x", "unknown shorthand flag: 'x' in -x"),
        ("create", "--foo", "unknown flag: --foo"),
        ("create", "-d", "unknown shorthand flag: 'd' in -d"),
    ] {
        let out = s.run(&[cmd, flag, img, "true"]);
        assert_eq!(out.status.code(), Some(125), "{cmd} {flag}: {}", text(&out));
        let err = stderr(&out);
        let mut lines = err.lines();
        assert_eq!(lines.next(), Some(first_line), "{err}");
        assert_eq!(
            lines.next(),
            Some(format!("See 'skiff {cmd} --help'.").as_str()),
            "{err}"
        );
        assert!(!err.contains("Unable to find image"), "{err}");
    }
    // Through the management group the help path says so.
    let out = s.run(&["container", "run", "--bogus", img]);
    assert_fails(&out, 125, &["See 'skiff container run --help'."]);
    assert!(
        s.ok(&["ps", "-aq"]).trim().is_empty(),
        "nothing was created"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn exec_takes_the_same_grammar() {
    let (s, img) = store_with_busybox();
    let id = created_id(&s.run(&["run", "-d", img, "sleep", "60"]));
    let out = s.run(&[
        "exec",
        "-e=K=V",
        "-w=/tmp",
        &id,
        "sh",
        "-c",
        "echo $K $(pwd)",
    ]);
    assert_eq!(stdout(&out), "V /tmp\n", "{}", text(&out));
    let out = s.run(&["exec", &id, "echo", "--foo", "-it"]);
    assert_eq!(stdout(&out), "--foo -it\n", "{}", text(&out));
    let out = s.run(&["exec", "--foo", &id, "true"]);
    assert_fails_starting(&out, 125, "unknown flag: --foo\nSee 'skiff exec --help'.");
    s.ok(&["rm", "-f", &id]);
}

/// faas-cli's local-run argv, word for word in its shape (--network=none
/// instead of the default bridge, so no host-wide network is touched).
#[test]
#[ignore = "needs the test ground: scripts/test"]
fn faas_cli_local_run_argv() {
    let (s, img) = store_with_busybox();
    let secrets = tempfile::tempdir().unwrap();
    std::fs::write(secrets.path().join("api-key"), "k").unwrap();
    let volume = format!(
        "--volume={}:/var/openfaas/secrets",
        secrets.path().display()
    );
    let out = s.run(&[
        "run",
        "--rm",
        "-i",
        "-p=18080:8080",
        "--network=none",
        "-e=write_debug=true",
        "--read-only",
        "--memory-reservation=20m",
        "--cpus=0.5",
        &volume,
        "-e=fprocess=cat",
        img,
        "sh",
        "-c",
        "echo $write_debug $fprocess; cat /var/openfaas/secrets/api-key",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out), "true cat\nk", "{}", text(&out));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn boolean_flags_take_an_optional_value() {
    let (s, img) = store_with_busybox();
    // --rm=false keeps the container; --rm=true removes it.
    s.ok(&["run", "--rm=false", "--name=kept", img, "true"]);
    s.ok(&["run", "--rm=true", "--name=gone", img, "true"]);
    let names = s.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(names.trim(), "kept", "{names}");
    // -d=true detaches (only the id on stdout); -t=false is no tty.
    let out = s.run(&["run", "-d=true", "-t=false", img, "true"]);
    let id = created_id(&out);
    let tty = s.ok(&["inspect", "--format", "{{.Config.Tty}}", &id]);
    assert_eq!(tty.trim(), "false");
    // Not a boolean: refused with 125, nothing created.
    let out = s.run(&["run", "--privileged=maybe", img, "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 2);
}
