//! BuildKit's step numbers in progress titles (`[build 2/4] RUN ...`), as
//! its dockerfile2llb counts them: only the instructions that make a
//! vertex of their own are numbered steps (FROM an image, RUN, COPY, ADD,
//! WORKDIR); ARG, ENV, LABEL, CMD and the other metadata instructions
//! change the image config inside the build and show no step at all.
//! ONBUILD triggers all count toward the total, as BuildKit adds them.

use skiff_frontend::instructions::{Command, Instruction};

/// Whether BuildKit shows `c` as a numbered step.
pub(super) fn makes_step(c: &Command) -> bool {
    matches!(
        c,
        Command::Run(_) | Command::Copy(_) | Command::Add(_) | Command::Workdir(_)
    )
}

/// A stage's titles: `[{platform }{stage} k/n] ...`.
pub(super) struct Numbering {
    label: String,
    index: usize,
    total: usize,
}

impl Numbering {
    /// `label` is the platform prefix and stage name; `from_image` says
    /// whether FROM is a step (an image: not scratch, not another stage);
    /// `steps` are the stage's instructions after its `triggers` ONBUILD
    /// triggers.
    pub(super) fn new(
        label: String,
        from_image: bool,
        triggers: usize,
        steps: &[Instruction],
    ) -> Self {
        let rest = steps
            .iter()
            .skip(triggers)
            .filter(|i| makes_step(&i.command));
        Numbering {
            label,
            index: 0,
            total: usize::from(from_image) + triggers + rest.count(),
        }
    }

    /// The next step's title. BuildKit pads the number to the total's
    /// width (`[build  2/22]`), and leaves a stage with no steps unnumbered.
    pub(super) fn next(&mut self, text: &str) -> String {
        if self.total == 0 {
            return text.to_string();
        }
        self.index += 1;
        let width = self.total.to_string().len();
        format!(
            "[{} {:>width$}/{}] {text}",
            self.label, self.index, self.total
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instructions(src: &str) -> Vec<Instruction> {
        let ast = skiff_frontend::parse(src.as_bytes()).unwrap();
        ast.children
            .iter()
            .filter_map(|n| match skiff_frontend::instructions::parse_node(n) {
                Ok(skiff_frontend::instructions::Parsed::Command(i)) => Some(i),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn counts_only_buildkits_steps_and_pads_the_number() {
        let steps = instructions("ARG A\nENV B=1\nWORKDIR /w\nRUN x\nLABEL l=1\nCOPY a b\n");
        let mut n = Numbering::new("build".into(), true, 0, &steps);
        assert_eq!(n.next("FROM busybox"), "[build 1/4] FROM busybox");
        assert_eq!(n.next("WORKDIR /w"), "[build 2/4] WORKDIR /w");
        let many = instructions(&"RUN x\n".repeat(11));
        let mut n = Numbering::new("linux/arm64 stage-1".into(), false, 0, &many);
        assert_eq!(n.next("RUN x"), "[linux/arm64 stage-1  1/11] RUN x");
        let none = instructions("ENV A=1\n");
        assert_eq!(
            Numbering::new("s".into(), false, 0, &none).next("ENV A=1"),
            "ENV A=1"
        );
        // ONBUILD triggers all count, whatever they are.
        assert_eq!(Numbering::new("s".into(), true, 1, &none).total, 2);
    }
}
