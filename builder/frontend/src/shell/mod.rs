//! Shell-word expansion as BuildKit's lexer does it.

mod env;
mod lex;
mod pattern;

pub use env::{EmptyEnv, EnvGetter, EnvList, Layered};
pub use lex::{LexError, ProcessResult, ShellLex};
