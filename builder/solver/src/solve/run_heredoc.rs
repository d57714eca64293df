//! RUN with heredocs, as BuildKit's Dockerfile frontend runs them: a RUN
//! that is one heredoc alone runs its body with the shell (or, when the
//! body starts with `#!`, as an executable file); any other RUN with
//! heredocs goes whole to the shell, which reads the heredocs itself.

use skiff_frontend::instructions::CommandLine;
use skiff_frontend::parser::{chomp_heredoc_content, parse_heredoc};

/// Where a shebang heredoc's file is mounted (plus its name).
pub(super) const HEREDOC_DIR: &str = "/dev/pipes";

/// How a heredoc RUN runs.
#[derive(Debug, PartialEq)]
pub(super) struct HeredocRun {
    /// The command line, before the SHELL is prepended.
    pub word: String,
    /// A file to mount read-only and executable at `HEREDOC_DIR/name`:
    /// (name, content).
    pub file: Option<(String, String)>,
}

/// None when the RUN has no heredocs or is in exec form (where BuildKit
/// ignores them too).
pub(super) fn plan(cmd: &CommandLine) -> Option<HeredocRun> {
    let first = cmd.files.first()?;
    if !cmd.prepend_shell || cmd.args.len() != 1 {
        return None;
    }
    let line = &cmd.args[0];
    let alone = matches!(parse_heredoc(line), Ok(Some(_)));
    if !alone {
        let mut full = line.clone();
        for f in &cmd.files {
            full.push('\n');
            full.push_str(&f.content);
            full.push_str(&f.name);
        }
        return Some(HeredocRun {
            word: full,
            file: None,
        });
    }
    let data = if first.chomp {
        chomp_heredoc_content(&first.content)
    } else {
        first.content.clone()
    };
    if data.starts_with("#!") {
        let name = first.name.clone();
        return Some(HeredocRun {
            word: format!("{HEREDOC_DIR}/{name}"),
            file: Some((name, data)),
        });
    }
    Some(HeredocRun {
        word: data,
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_frontend::parser::Heredoc;

    fn doc(name: &str, content: &str, chomp: bool) -> Heredoc {
        Heredoc {
            name: name.into(),
            file_descriptor: 0,
            expand: true,
            chomp,
            content: content.into(),
        }
    }

    fn line(args: &str, files: Vec<Heredoc>) -> CommandLine {
        CommandLine {
            args: vec![args.into()],
            prepend_shell: true,
            files,
        }
    }

    #[test]
    fn a_lone_heredoc_is_the_script() {
        let c = line("<<-EOF", vec![doc("EOF", "\techo hi\n", true)]);
        assert_eq!(plan(&c).unwrap().word, "echo hi\n");
    }

    #[test]
    fn a_shebang_heredoc_becomes_a_file() {
        let c = line("<<EOF", vec![doc("EOF", "#!/bin/awk -f\nBEGIN{}\n", false)]);
        let p = plan(&c).unwrap();
        assert_eq!(p.word, "/dev/pipes/EOF");
        assert_eq!(p.file.unwrap().1, "#!/bin/awk -f\nBEGIN{}\n");
    }

    #[test]
    fn other_heredocs_go_to_the_shell_whole() {
        let c = line(
            "<<A cat > /a && <<B cat > /b",
            vec![doc("A", "first\n", false), doc("B", "second\n", false)],
        );
        let p = plan(&c).unwrap();
        assert_eq!(p.word, "<<A cat > /a && <<B cat > /b\nfirst\nA\nsecond\nB");
        assert!(p.file.is_none());
        assert!(plan(&line("echo", vec![])).is_none());
    }
}
