//! The command tree's flags are made only for the subcommand argv names
//! (cli.rs defers the rest, so `skiff ps` does not build `run`'s hundred
//! flags). Whatever needs the whole tree still sees all of it: help of
//! nested commands, completion scripts and man pages; and the commands whose
//! boolean flags take pflag's `=VALUE` keep it, at the top level and under
//! `container`.

mod common;

use std::process::Command;

use common::skiff_bin;

fn skiff(args: &[&str]) -> std::process::Output {
    Command::new(skiff_bin()).args(args).output().unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = skiff(args);
    assert!(out.status.success(), "skiff {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completion_scripts_list_every_nested_commands_flags() {
    let bash = stdout_of(&["completion", "bash"]);
    let opts_of = |case: &str| -> String {
        let at = bash
            .find(&format!("\n        {case})"))
            .unwrap_or_else(|| panic!("no {case} in the bash script"));
        let opts = &bash[at..];
        let line = opts.lines().find(|l| l.contains("opts=")).unwrap();
        line.to_string()
    };
    let ls = opts_of("skiff__subcmd__image__subcmd__ls");
    for flag in [
        "--digests",
        "--no-trunc",
        "--tree",
        "--root",
        "--debug-timing",
    ] {
        assert!(ls.contains(flag), "{flag} not in image ls: {ls}");
    }
    let run = opts_of("skiff__subcmd__container__subcmd__run");
    for flag in ["--publish", "--rm", "--health-cmd", "--root"] {
        assert!(run.contains(flag), "{flag} not in container run: {run}");
    }
    let create = opts_of("skiff__subcmd__volume__subcmd__create");
    assert!(create.contains("--label"), "volume create: {create}");
}

#[test]
fn man_pages_are_written_for_every_command_with_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    stdout_of(&["completion", "--man-dir", d]);
    let page = |name: &str| {
        std::fs::read_to_string(dir.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    assert!(page("skiff-run.1").contains(r"\-\-publish"));
    assert!(page("skiff-container-run.1").contains(r"\-\-health\-cmd"));
    assert!(page("skiff-image-ls.1").contains(r"\-\-digests"));
    assert!(page("skiff-network-create.1").contains(r"\-\-subnet"));
}

#[test]
fn help_of_nested_commands_shows_their_flags_and_the_global_ones() {
    let help = stdout_of(&["image", "ls", "--help"]);
    assert!(
        help.contains("--digests") && help.contains("--root <DIR>"),
        "{help}"
    );
    let help = stdout_of(&["help", "container", "run"]);
    assert!(help.contains("--publish"), "{help}");
    // A group alone: its commands, exit 0.
    let help = stdout_of(&["system"]);
    assert!(help.contains("prune"), "{help}");
}

/// Every command's own help opens with the about its group lists for it
/// (a deferred command's flags, made late, must not bring another about
/// with them: a flattened struct's doc comment would).
#[test]
fn every_commands_help_opens_with_the_about_its_group_lists() {
    fn walk(path: Vec<String>, checked: &mut usize) {
        let help = stdout_of(
            &path
                .iter()
                .map(String::as_str)
                .chain(["--help"])
                .collect::<Vec<_>>(),
        );
        let mut in_list = false;
        for line in help.lines() {
            if line.starts_with("Commands:") {
                in_list = true;
                continue;
            }
            if !in_list || !line.starts_with("  ") || line.starts_with("   ") {
                in_list = in_list && line.starts_with("  ");
                continue;
            }
            let mut words = line.split_whitespace();
            let name = words.next().unwrap().trim_end_matches(',');
            if name == "help" {
                continue;
            }
            let listed: String = words.collect::<Vec<_>>().join(" ");
            // Without the aliases clap appends (`[alias: list]`).
            let listed = listed
                .split(" [alias")
                .next()
                .unwrap_or_default()
                .to_string();
            let mut sub = path.clone();
            sub.push(name.to_string());
            let own = stdout_of(
                &sub.iter()
                    .map(String::as_str)
                    .chain(["--help"])
                    .collect::<Vec<_>>(),
            );
            let first = own.lines().next().unwrap_or_default();
            let want: String = listed.chars().take(30).collect();
            assert!(
                first.starts_with(&want),
                "skiff {} --help opens with {first:?}, its group lists {listed:?}",
                sub.join(" ")
            );
            *checked += 1;
            walk(sub, checked);
        }
    }
    let mut checked = 0;
    walk(Vec::new(), &mut checked);
    assert!(checked > 90, "only {checked} commands found");
}

#[test]
fn run_create_exec_bool_flags_take_a_value_at_both_levels() {
    for argv in [
        ["run", "--rm=maybe", "img"].as_slice(),
        &["container", "create", "--rm=maybe", "img"],
        &["exec", "-i=maybe", "c", "sh"],
        &["container", "exec", "--tty=maybe", "c", "sh"],
    ] {
        let out = skiff(argv);
        let err = String::from_utf8_lossy(&out.stderr);
        // pflag's optional value refuses a non-boolean; a plain clap flag
        // would say it takes no value at all.
        assert_eq!(out.status.code(), Some(125), "{argv:?}: {err}");
        assert!(err.contains("invalid value 'maybe'"), "{argv:?}: {err}");
    }
}
