//! An OpenFaaS-style three-stage function image: RUN, COPY --from,
//! --chown, cache invalidation by stage, push, podman running the pushed
//! image, and faas-cli's argv through a `docker` link.

mod common;

use common::build::*;
use common::faas::DockerLink;
use common::podman::{podman, podman_run};
use common::*;

const FUNCTION_DOCKERFILE: &str = "\
FROM busybox AS watchdog
RUN echo '#!/bin/sh' > /fwatchdog && echo 'exec \"$@\"' >> /fwatchdog && chmod 755 /fwatchdog

FROM busybox AS build
ARG ADDITIONAL_PACKAGE
WORKDIR /src
COPY handler/ ./
RUN cat main.txt > /src/handler.bin && chmod 750 /src/handler.bin

FROM busybox
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
RUN mkdir -p /home/app && chown user:user /home/app && rm /www/index.html && rm -rf /var && mkdir /var && echo new > /var/only
WORKDIR /home/app
COPY --from=build --chown=user /src/handler.bin ./handler
USER user
EXPOSE 8080
HEALTHCHECK --interval=2s CMD [\"true\"]
ENV fprocess=./handler
CMD [\"fwatchdog\", \"sh\", \"-c\", \"id -u; pwd; cat handler; ls -ln handler\"]
";

fn function_context() -> tempfile::TempDir {
    let d = dockerfile_context(FUNCTION_DOCKERFILE);
    write(d.path(), "handler/main.txt", "hello from the handler\n");
    write(d.path(), "handler/debug.log", "must not be copied\n");
    write(d.path(), ".dockerignore", "**/*.log\n");
    d
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn three_stage_function_runs_caches_and_pushes() {
    let store = busybox_store();
    let ctx = function_context();
    let c = ctx.path().to_str().unwrap();
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    assert!(progress.contains("RUN cat main.txt"), "{progress}");
    let img = inspect_json(&store, "fn:latest");
    assert_eq!(img["Config"]["User"], "user");
    assert_eq!(img["Config"]["WorkingDir"], "/home/app");
    assert!(img["Config"]["Healthcheck"].is_object());

    // skiff run: user, workdir, files, owners, modes.
    let run = store.run(&["run", "--rm", "fn:latest"]);
    assert!(run.status.success(), "{}", text(&run));
    let o = String::from_utf8_lossy(&run.stdout);
    assert!(
        o.contains("1000\n/home/app\nhello from the handler\n"),
        "{o}"
    );
    assert!(o.contains("-rwxr-x---") && o.contains(" 1000 "), "{o}");
    let check = store.run(&[
        "run",
        "--rm",
        "--user",
        "0",
        "fn:latest",
        "sh",
        "-c",
        "test ! -e /www/index.html && ls /var && ls /src 2>&1; ls /home/app",
    ]);
    let o = String::from_utf8_lossy(&check.stdout);
    assert_eq!(o.lines().next(), Some("only"), "{}", text(&check));
    assert!(!o.contains("debug.log"), "{o}");

    // Fully cached rebuild: same ID, every step CACHED.
    let id = image_id(&store, "fn:latest");
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    assert!(
        steps(&progress).iter().all(|(_, cached)| *cached),
        "{progress}"
    );
    assert_eq!(image_id(&store, "fn:latest"), id);

    // Changing the handler reruns the build stage's COPY/RUN and the final
    // COPY --from=build, not the watchdog stage nor the final RUN.
    write(ctx.path(), "handler/main.txt", "changed\n");
    let (progress, _) = build(
        &store,
        &["--build-arg", "ADDITIONAL_PACKAGE=", "-t", "fn:latest", c],
    );
    for (title, cached) in steps(&progress) {
        let reruns = title.contains("COPY handler/")
            || title.contains("RUN cat main.txt")
            || title.contains("--from=build");
        if reruns {
            assert!(!cached, "{title} should rerun\n{progress}");
        } else {
            assert!(cached, "{title} should be cached\n{progress}");
        }
    }

    // Push, then podman pulls and runs it: the deleted file is gone, the
    // replaced directory holds only the new content.
    let target = format!("{}/build-test/fn:latest", ground("SKIFF_TEST_REGISTRY"));
    build(&store, &["-t", &target, "--push", c]);
    let p = tempfile::tempdir().unwrap();
    run_ok(podman(p.path()).args(["pull", "-q", "--tls-verify=false", &target]));
    let ran = run_ok(podman(p.path()).args([
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "0",
        &target,
        "sh",
        "-c",
        "test ! -e /www/index.html && echo gone; ls /var; cat /home/app/handler",
    ]));
    assert_eq!(ran, "gone\nonly\nchanged\n");
    let _ = podman_run(p.path(), &["rmi", "-a", "-f"]);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn faas_cli_argv_through_a_docker_link() {
    let docker = DockerLink::new(busybox_store(), function_context());
    let target = format!("{}/faas/fn:latest", ground("SKIFF_TEST_REGISTRY"));
    // faas-cli's calls in turn, each of which must succeed.
    let steps: [&[&str]; 4] = [
        &[
            "build",
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            "--tag",
            &target,
            ".",
        ],
        &["push", &target],
        &[
            "buildx",
            "create",
            "--use",
            "--name=multiarch",
            "--node=multiarch",
        ],
        &[
            "buildx",
            "build",
            "--progress=plain",
            "--platform=linux/amd64",
            "--output=type=registry,push=true",
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            "--tag",
            &target,
            ".",
        ],
    ];
    for args in steps {
        docker.ok(&[], args);
    }
}
