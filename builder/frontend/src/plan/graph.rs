//! The stage graph: references between stages (FROM, COPY --from,
//! RUN --mount from=) and the cycle check.

use std::collections::BTreeSet;

use crate::error::{Error, LineRange};

use super::{Stage, Warning};

/// Resolve a stage reference (`--from`, `from=`, FROM base): by name
/// (case-insensitive) or, when `allow_index`, by number.
pub(super) fn find_stage(names: &[Option<String>], r: &str, allow_index: bool) -> Option<usize> {
    let lower = r.to_lowercase();
    if let Some(i) = names
        .iter()
        .position(|n| n.as_deref() == Some(lower.as_str()))
    {
        return Some(i);
    }
    if allow_index {
        if let Ok(i) = r.parse::<usize>() {
            return Some(i);
        }
    }
    None
}

/// What one stage reads from: earlier stages and images.
pub(super) struct Deps<'a> {
    current: usize,
    names: &'a [Option<String>],
    pub stages: BTreeSet<usize>,
    pub images: Vec<String>,
}

impl<'a> Deps<'a> {
    /// For stage `current` of the stages `names`.
    pub fn new(current: usize, names: &'a [Option<String>]) -> Self {
        Deps {
            current,
            names,
            stages: BTreeSet::new(),
            images: Vec::new(),
        }
    }

    /// Record a `--from` / `from=` reference: a stage (by name or index)
    /// or an image.
    pub fn add(
        &mut self,
        r: &str,
        warnings: &mut Vec<Warning>,
        at: LineRange,
        what: &str,
    ) -> Result<(), Error> {
        let (current, names) = (self.current, self.names);
        if r.is_empty() {
            return Err(Error::at(
                format!("{what}: empty stage or image reference"),
                at,
            ));
        }
        match find_stage(names, r, true) {
            Some(i) if i == current => Err(Error::at(
                format!("circular dependency detected on stage: {r}"),
                at,
            )),
            Some(i) if i >= names.len() => Err(Error::at(
                format!(
                    "{what}={r}: invalid stage index {i}, the Dockerfile has {} stages",
                    names.len()
                ),
                at,
            )),
            Some(i) if i > current && r.parse::<usize>().is_ok() => Err(Error::at(
                format!("{what}={r}: stage index {i} refers to a later stage"),
                at,
            )),
            Some(i) => {
                self.stages.insert(i);
                Ok(())
            }
            None => {
                let looks_like_image = r.contains(['/', ':', '.', '@']) || r == "scratch";
                if !looks_like_image {
                    warnings.push(Warning::unknown_stage(what, r, at));
                }
                self.images.push(r.to_string());
                Ok(())
            }
        }
    }
}

/// A stage that (through others) reads from itself is an error.
pub(super) fn check_cycles(stages: &[Stage]) -> Result<(), Error> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; stages.len()];
    fn visit(stages: &[Stage], i: usize, state: &mut [u8]) -> Result<(), Error> {
        match state[i] {
            1 => {
                return Err(Error::at(
                    format!(
                        "circular dependency detected on stage: {}",
                        stages[i].display_name()
                    ),
                    stages[i].from.lines,
                ))
            }
            2 => return Ok(()),
            _ => {}
        }
        state[i] = 1;
        for &d in &stages[i].deps {
            visit(stages, d, state)?;
        }
        state[i] = 2;
        Ok(())
    }
    for i in 0..stages.len() {
        visit(stages, i, &mut state)?;
    }
    Ok(())
}
