//! `skiff build --progress plain` numbers steps as BuildKit does: only the
//! instructions that make a vertex (FROM an image, RUN, COPY, ADD,
//! WORKDIR) are `[stage k/n]` steps; ARG, ENV, LABEL and the other config
//! instructions show no step; the number is padded to the total's width.

mod common;

use common::build::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn plain_progress_numbers_only_buildkits_steps() {
    let store = busybox_store();
    let workdirs: String = (0..10).map(|n| format!("WORKDIR /w{n}\n")).collect();
    let ctx = dockerfile_context(&format!(
        "FROM busybox AS build\nARG A=1\nENV B=2\nWORKDIR /w\nRUN echo hi > f\n\
         LABEL l=1\nCOPY Dockerfile /d\nCMD [\"true\"]\n\
         FROM scratch\nCOPY --from=build /w/f /f\n{workdirs}"
    ));
    let (progress, _) = build(&store, &["-t", "numbered", ctx.path().to_str().unwrap()]);
    let titles: Vec<&str> = progress
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, t)| t))
        .filter(|t| t.starts_with("[build ") || t.starts_with("[stage-1 "))
        .collect();
    let first: Vec<&str> = titles
        .iter()
        .copied()
        .filter(|t| t.starts_with("[build "))
        .collect();
    assert_eq!(
        first,
        [
            "[build 1/4] FROM busybox",
            "[build 2/4] WORKDIR /w",
            "[build 3/4] RUN echo hi > f",
            "[build 4/4] COPY Dockerfile /d",
        ],
        "{progress}"
    );
    // FROM scratch is no step; eleven steps pad the number to two places.
    let last: Vec<&str> = titles
        .iter()
        .copied()
        .filter(|t| t.starts_with("[stage-1 "))
        .collect();
    assert_eq!(last.len(), 11, "{progress}");
    assert_eq!(
        last[0], "[stage-1  1/11] COPY --from=build /w/f /f",
        "{progress}"
    );
    assert_eq!(last[10], "[stage-1 11/11] WORKDIR /w9", "{progress}");
    for hidden in ["ARG A=1", "ENV B=2", "LABEL l=1", "CMD [", "FROM scratch"] {
        assert!(!progress.contains(hidden), "{hidden}: {progress}");
    }
    // The config instructions still apply, silently.
    let c = ctx.path().to_str().unwrap();
    let (progress, _) = build(&store, &["--target", "build", "-t", "numbered-build", c]);
    assert!(!progress.contains("ENV B=2"), "{progress}");
    let config = store.inspect(
        "numbered-build",
        "{{json .Config.Env}} {{json .Config.Labels}} {{json .Config.Cmd}}",
    );
    assert!(config.contains("\"B=2\""), "{config}");
    assert!(config.contains(r#"{"l":"1"}"#), "{config}");
    assert!(config.ends_with(r#"["true"]"#), "{config}");
}
