//! Word expansion while planning, collecting warnings for undefined
//! variables on the way.

use std::collections::BTreeSet;

use crate::error::{Error, LineRange};
use crate::instructions::CopyFiles;
use crate::shell::{EnvGetter, ShellLex};

use super::{Warning, IMAGE_ENV};

pub(super) struct Walker {
    pub lex: ShellLex,
    pub warnings: Vec<Warning>,
    /// Every ARG name declared anywhere (for unused build args).
    pub declared_anywhere: BTreeSet<String>,
}

impl Walker {
    /// Expand `word` against `env`; report names not in `known`.
    pub fn expand(
        &mut self,
        word: &str,
        env: &dyn EnvGetter,
        known: &BTreeSet<String>,
        at: LineRange,
    ) -> Result<String, Error> {
        if !word.contains(['$', '\'', '"', '<', self.lex.escape]) {
            return Ok(word.to_string());
        }
        let r = self
            .lex
            .process(word, env)
            .map_err(|e| Error::at(e.message, at))?;
        for name in &r.unmatched {
            if !known.contains(name) && !IMAGE_ENV.contains(&name.as_str()) {
                self.warnings.push(Warning::undefined_var(name, at));
            }
        }
        Ok(r.result)
    }

    /// Expand the words COPY and ADD share (for their warnings); returns
    /// `--chmod` expanded, for COPY to check.
    pub fn expand_files(
        &mut self,
        f: &CopyFiles,
        env: &dyn EnvGetter,
        known: &BTreeSet<String>,
        at: LineRange,
    ) -> Result<Option<String>, Error> {
        let words = f.sources.iter().chain([&f.dest]).chain(&f.excludes);
        for s in words.chain(&f.chown) {
            self.expand(s, env, known, at)?;
        }
        f.chmod
            .as_ref()
            .map(|c| self.expand(c, env, known, at))
            .transpose()
    }
}
