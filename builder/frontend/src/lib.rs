//! Dockerfile frontend: everything between the bytes of a Dockerfile and a
//! typed, validated build plan, conformant with BuildKit's frontend
//! (Dockerfile syntax 1.x).
//!
//! # Public API
//!
//! * [`parse`]`(bytes) -> Result<`[`Ast`]`>`: the parse tree (one
//!   [`parser::Node`] per instruction, with flags, JSON/shell form, heredocs
//!   and line ranges). [`Ast::dump`] prints BuildKit's `Node.Dump()` format
//!   (`skiff debug parse`).
//! * [`plan`]`(&ast, &`[`PlanOptions`]`) -> Result<`[`BuildPlan`]`>`: typed
//!   instructions ([`instructions::Command`]) grouped into [`Stage`]s with the
//!   resolved base ([`Base`]: image, stage or scratch), platform, stage
//!   dependencies, the target stage, `skipped` marks for stages the target
//!   does not need, and [`Warning`]s (undefined variables, unused build
//!   args, `FROM x as y` casing, ...). Values inside instructions are kept as
//!   written: the solver expands them at build time against the stage's
//!   environment (base image ENV included) with [`ShellLex`].
//! * [`ShellLex`]: BuildKit's shell lexer. `process_word` (one word, quotes
//!   removed, variables expanded), `process_words` (split like the shell),
//!   `process_word_with_matches` (plus the names used). Environments
//!   implement [`EnvGetter`]; [`EnvList`] is an ordered `KEY=VALUE` list.
//!   Which instructions expand: ADD, COPY, ENV, EXPOSE (split), FROM (global
//!   ARGs only), LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR, ARG defaults, and
//!   the flags `--from`, `--chown`, `--chmod`, `--exclude`, `--checksum`,
//!   `--platform`, `--mount` values. RUN, CMD, ENTRYPOINT, SHELL,
//!   HEALTHCHECK and ONBUILD are left to the shell / to the child build.
//! * [`BuildPlan::resolve_arg`] gives the value an `ARG` takes in a stage
//!   (build arg > default > global ARG > automatic platform arg).
//!
//! Errors are [`Error`]: a message plus the Dockerfile lines; render them
//! with [`Error::with_file`].
//!
//! ```
//! let ast = skiff_frontend::parse(b"FROM alpine AS base\nRUN echo hi\n").unwrap();
//! let plan = skiff_frontend::plan(&ast, &Default::default()).unwrap();
//! assert_eq!(plan.stages[0].name.as_deref(), Some("base"));
//! ```

pub mod change;
pub mod error;
pub mod instructions;
pub mod parser;
pub mod plan;
pub mod quote;
pub mod shell;
mod suggest;
pub mod syntax;

pub use error::{Error, LineRange, Result};
pub use parser::{parse, parse_str, Ast};
pub use plan::{plan, Base, BuildPlan, PlanOptions, Platform, Stage, Warning};
pub use shell::{EmptyEnv, EnvGetter, EnvList, Layered, LexError, ProcessResult, ShellLex};
pub use suggest::did_you_mean;

/// Parse and plan in one go.
pub fn parse_and_plan(bytes: &[u8], opts: &PlanOptions) -> Result<BuildPlan> {
    plan(&parse(bytes)?, opts)
}
