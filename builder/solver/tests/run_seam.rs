//! The RUN seam: the solver asks a [`RunExecutor`] for each RUN with a
//! typed request and takes what it leaves in the upper dir as the layer.
//! A fake executor stands in for containers here, so this needs no root
//! and no runtime.

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use skiff_solver::context::ContextSpec;
use skiff_solver::progress::Quiet;
use skiff_solver::run::{RunError, RunExecutor, RunMount, RunNetwork, RunOutcome, RunRequest};
use skiff_solver::BuildOptions;

#[derive(Default)]
struct Fake {
    seen: Mutex<Vec<RunRequest>>,
}

impl RunExecutor for Fake {
    fn run(&self, req: &RunRequest, output: &mut dyn FnMut(&str)) -> Result<RunOutcome, RunError> {
        output("fake ran");
        fs::write(req.upper.join("ran"), req.args.join(" "))
            .map_err(|e| RunError(e.to_string()))?;
        self.seen.lock().unwrap().push(req.clone());
        Ok(RunOutcome { exit_code: 0 })
    }
}

#[test]
fn run_gets_a_typed_request_and_its_upper_dir_is_the_layer() {
    let d = tempfile::tempdir().unwrap();
    let ctx = d.path().join("ctx");
    fs::create_dir_all(&ctx).unwrap();
    fs::write(ctx.join("a.txt"), "a").unwrap();
    fs::write(
        ctx.join("Dockerfile"),
        // Mount values are expanded with the stage's ARGs and ENV.
        "FROM scratch\nARG T=/t\nENV C=/c\nCOPY a.txt /a.txt\n\
         RUN --network=none --mount=type=tmpfs,target=$T --mount=type=cache,target=$C,ro echo hi\n",
    )
    .unwrap();
    let store = skiff_store::Store::open(&d.path().join("store")).unwrap();
    let fake = Arc::new(Fake::default());
    let opts = BuildOptions {
        context: ContextSpec {
            context: ctx.to_string_lossy().into_owned(),
            file: None,
        },
        tags: vec!["seam:test".into()],
        network: "default".into(),
        ..Default::default()
    };
    let runner: Arc<dyn RunExecutor> = fake.clone();
    let result = skiff_solver::build(
        &store,
        &opts,
        Arc::new(Quiet),
        Some(runner),
        &mut std::io::empty(),
    )
    .unwrap();
    assert_eq!(result.layers.len(), 2, "COPY and RUN layers");

    let seen = fake.seen.lock().unwrap();
    let req = &seen[0];
    assert_eq!(req.args, vec!["/bin/sh", "-c", "echo hi"]);
    assert_eq!(req.network, RunNetwork::None);
    assert_eq!(req.lower.len(), 1);
    assert_eq!(req.mounts.len(), 2);
    assert_eq!(
        req.mounts[0],
        RunMount::Tmpfs {
            target: "/t".into(),
            size: None
        }
    );
    match &req.mounts[1] {
        RunMount::Bind {
            target, read_only, ..
        } => {
            assert_eq!(target, "/c");
            assert!(*read_only);
        }
        other => panic!("{other:?}"),
    }
    // The layer holds what the executor left in the upper dir.
    let top: &PathBuf = result.snapshots.last().unwrap();
    assert_eq!(
        fs::read_to_string(top.join("ran")).unwrap(),
        "/bin/sh -c echo hi"
    );
}
