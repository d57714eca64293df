//! One Dockerfile instruction on its own, as `docker import --change` (and
//! `docker commit --change`) take them: read by the same parser and typed
//! by the same rules as a Dockerfile line, limited to the instructions that
//! only change an image's config.

use crate::error::Error;
use crate::instructions::{parse_node, Command, Parsed};

/// The instructions `--change` accepts.
pub const CHANGE_INSTRUCTIONS: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "ONBUILD",
    "USER",
    "VOLUME",
    "WORKDIR",
    "STOPSIGNAL",
];

/// Parse one `--change` instruction (`CMD ["sh"]`, `ENV A=1`, ...).
pub fn parse_change(text: &str) -> Result<Command, Error> {
    let ast = crate::parse_str(text)?;
    let [node] = ast.children.as_slice() else {
        return Err(Error::new(format!(
            "{text:?}: expected exactly one instruction"
        )));
    };
    let keyword = node.value.to_uppercase();
    if !CHANGE_INSTRUCTIONS.contains(&keyword.as_str()) {
        return Err(Error::new(format!(
            "{keyword} is not a valid change command (valid: {})",
            CHANGE_INSTRUCTIONS.join(", ")
        )));
    }
    match parse_node(node)? {
        Parsed::Command(i) => Ok(i.command),
        Parsed::From(_) => Err(Error::new("FROM is not a valid change command")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_config_instruction() {
        assert!(matches!(parse_change("CMD [\"sh\"]"), Ok(Command::Cmd(c)) if c.args == ["sh"]));
        assert!(matches!(parse_change("env A=1"), Ok(Command::Env(_))));
        let e = parse_change("RUN x").unwrap_err().to_string();
        assert!(e.contains("RUN is not a valid change command"), "{e}");
        assert!(parse_change("FOO x").is_err());
        assert!(parse_change("CMD a\nCMD b").is_err());
        assert!(parse_change("USER").is_err());
        assert!(parse_change("").is_err());
    }
}
