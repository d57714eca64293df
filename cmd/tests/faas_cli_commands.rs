//! The docker command lines OpenFaaS faas-cli 0.18.12 runs, replayed
//! through a `docker` link to skiff, exactly as a logging wrapper captured
//! them from `faas-cli build`, `push`, `publish --platforms
//! linux/amd64,linux/arm64,linux/arm/v7` and `local-run` (golang-middleware
//! and dockerfile functions). faas-cli itself is not needed: what it depends
//! on is the argv it sends, the exit status and, for local-run, a server on
//! the published port that stops on the Ctrl-C its process group gets.
//! Bases: the ground's conformance registry (127.0.0.1:5000/busybox-multi,
//! amd64 + arm64/v8 + arm/v7) and qemu binfmt handlers.

mod common;

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::faas::DockerLink;
use common::{ground, skopeo_inspect, text, write, Store};

const MULTI: &str = "127.0.0.1:5000/busybox-multi:latest";

/// A dockerfile-language function in the golang-middleware template's
/// shape: a watchdog stage and the shipped stage for the target platform,
/// a build stage on the build platform, a RUN in each (the ship stage's
/// under emulation), a build secret and faas-cli's http_proxy build-arg.
fn function_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "Dockerfile",
        &format!(
            "FROM --platform=${{TARGETPLATFORM:-linux/amd64}} {MULTI} AS watchdog\n\
             RUN echo watchdog > /fwatchdog\n\
             FROM --platform=${{BUILDPLATFORM:-linux/amd64}} {MULTI} AS build\n\
             ARG TARGETARCH\n\
             ARG ADDITIONAL_PACKAGE\n\
             RUN echo \"handler for $TARGETARCH\" > /handler\n\
             FROM --platform=${{TARGETPLATFORM:-linux/amd64}} {MULTI} AS ship\n\
             ARG http_proxy\n\
             COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog\n\
             COPY --from=build /handler /home/app/handler\n\
             RUN --mount=type=secret,id=token wc -c < /run/secrets/token > /home/app/token-len\n\
             RUN uname -m > /home/app/arch && echo \"proxy=$http_proxy\" > /home/app/proxy\n\
             ENV fprocess=\"cat /home/app/handler\"\n\
             EXPOSE 8080\n\
             CMD [\"sh\", \"-c\", \"cat /home/app/arch\"]\n"
        ),
    );
    write(d.path(), "token.txt", "s3cret");
    d
}

/// `--secret` for the token [`function_dir`] holds.
fn token_secret(docker: &DockerLink) -> String {
    let token = docker.dir.path().join("token.txt");
    format!("id=token,src={}", token.display())
}

/// The URL of a proxy on 127.0.0.1 that nothing listens on: one that is
/// down.
fn dead_proxy() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000, the test registry, skopeo and qemu binfmt handlers"]
fn faas_cli_publish_of_three_platforms_with_secret_extra_tags_and_http_proxy() {
    let reg = ground("SKIFF_TEST_REGISTRY");
    let docker = DockerLink::new(Store::new(), function_dir());
    let repo = format!("{reg}/faas-replay/publish");
    // `http_proxy` set in the user's shell, as faas-cli passes it on as a
    // build-arg: the proxy is down, the registries are on loopback, which
    // Go-based docker never proxies. skiff sent them to the proxy.
    let proxy = dead_proxy();
    let env = [
        ("DOCKER_CLI_EXPERIMENTAL", "enabled"),
        ("http_proxy", proxy.as_str()),
        ("HTTPS_PROXY", proxy.as_str()),
    ];
    docker.ok(
        &env,
        &[
            "buildx",
            "create",
            "--use",
            "--name=multiarch",
            "--node=multiarch",
        ],
    );
    let proxy_arg = format!("http_proxy={proxy}");
    let secret_arg = token_secret(&docker);
    let tags = ["latest", "v1", "stable"].map(|t| format!("{repo}:{t}"));
    // `faas-cli publish --platforms ... --extra-tag v1 --extra-tag stable
    // --pull --no-cache`: the tag, then `.`, then the extra tags and the
    // secret, in faas-cli's order.
    docker.ok(
        &env,
        &[
            "buildx",
            "build",
            "--progress=plain",
            "--platform=linux/amd64,linux/arm64,linux/arm/v7",
            "--output=type=registry,push=true",
            "--no-cache",
            "--build-arg",
            &proxy_arg,
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            "--pull",
            "--tag",
            &tags[0],
            ".",
            "--tag",
            &tags[1],
            "--tag",
            &tags[2],
            "--secret",
            &secret_arg,
        ],
    );
    // Every tag names the same index of the three platforms.
    let mut digests = Vec::new();
    for t in &tags {
        let (raw, index) =
            skopeo_inspect(&["--raw", "--tls-verify=false", &format!("docker://{t}")]);
        assert_eq!(
            common::index_platforms(&index),
            ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
            "{raw}"
        );
        digests.push(common::sha256_hex(raw.as_bytes()));
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]), "{digests:?}");
    // Each platform: its own RUN under emulation, the build stage's
    // output for its arch, the secret read and not kept, the build-arg.
    for (platform, machine, arch) in [
        ("linux/arm/v7", "armv7l", "arm"),
        ("linux/arm64", "aarch64", "arm64"),
        ("linux/amd64", "x86_64", "amd64"),
    ] {
        let run = docker.ok(
            &env,
            &[
                "run",
                "--rm",
                "--platform",
                platform,
                &tags[1],
                "sh",
                "-c",
                "cat /home/app/arch /home/app/handler /home/app/token-len /home/app/proxy; test ! -e /run/secrets/token && echo gone",
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            format!("{machine}\nhandler for {arch}\n6\nproxy={proxy}\ngone\n"),
            "{platform}"
        );
    }
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000 and the test registry"]
fn faas_cli_build_and_push_with_http_proxy_set_reach_loopback_registries() {
    let reg = ground("SKIFF_TEST_REGISTRY");
    let docker = DockerLink::new(Store::new(), function_dir());
    let proxy = dead_proxy();
    let env = [
        ("http_proxy", proxy.as_str()),
        ("https_proxy", proxy.as_str()),
    ];
    let image = format!("{reg}/faas-replay/build:02fe8040628cedd5498bd000739361dd");
    let secret_arg = token_secret(&docker);
    // `http_proxy=... faas-cli build --no-cache --squash --pull
    // --build-arg FOO=bar --build-label team=peers --tag digest`.
    let proxy_arg = format!("http_proxy={proxy}");
    docker.ok(
        &env,
        &[
            "build",
            "--no-cache",
            "--squash",
            "--build-arg",
            &proxy_arg,
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            "--build-arg",
            "FOO=bar",
            "--label",
            "team=peers",
            "--pull",
            "--tag",
            &image,
            ".",
            "--secret",
            &secret_arg,
        ],
    );
    assert_eq!(
        docker
            .store
            .inspect(&image, "{{index .Config.Labels \"team\"}}"),
        "peers"
    );
    // `faas-cli push`: `docker push IMAGE`, the proxy still set.
    docker.ok(&env, &["push", &image]);
    let (raw, m) = skopeo_inspect(&["--raw", "--tls-verify=false", &format!("docker://{image}")]);
    assert!(
        m["layers"].as_array().is_some_and(|l| !l.is_empty()),
        "{raw}"
    );
}

/// Connect to 127.0.0.1:`port` until a GET of `path` answers, for up to a
/// minute; returns the reply's body.
fn http_get(port: u16, path: &str) -> String {
    let t = Instant::now();
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            let req = format!("GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
            let mut reply = String::new();
            if s.write_all(req.as_bytes()).is_ok() && s.read_to_string(&mut reply).is_ok() {
                if let Some((head, body)) = reply.split_once("\r\n\r\n") {
                    if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") {
                        return body.to_string();
                    }
                }
            }
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "nothing answered on port {port}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000"]
fn faas_cli_local_run_serves_then_stops_on_ctrl_c_and_is_removed() {
    let f = tempfile::tempdir().unwrap();
    // A watchdog stand-in: serves /www on 8080 in the background and exits
    // 0 on the SIGINT that Ctrl-C sends to faas-cli's process group.
    write(
        f.path(),
        "Dockerfile",
        &format!(
            "FROM {MULTI}\n\
             RUN mkdir -p /www\n\
             CMD [\"sh\", \"-c\", \"trap 'exit 0' INT TERM; cp /var/openfaas/secrets/api-key /www/key; \
             echo \\\"$fprocess $OPENFAAS_NAME $greeting\\\" > /www/env; httpd -p 8080 -h /www; \
             while :; do sleep 0.1; done\"]\n"
        ),
    );
    let docker = DockerLink::new(Store::new(), f);
    let secrets = tempfile::tempdir().unwrap();
    write(secrets.path(), "api-key", "topsecret");
    let image = "faas-replay/localrun:latest";
    docker.ok(
        &[],
        &[
            "build",
            "--build-arg",
            "ADDITIONAL_PACKAGE=",
            "--tag",
            image,
            ".",
        ],
    );
    // `docker rm -f NAME` first, to clear a previous run: no such
    // container is not an error faas-cli shows.
    let name = format!("localrun{}", std::process::id());
    docker.ok(&[], &["rm", "-f", &name]);
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let volume = format!(
        "--volume={}:/var/openfaas/secrets",
        secrets.path().display()
    );
    let publish = format!("-p={port}:8080");
    let mut run = docker.command();
    run.args([
        "run",
        "--name",
        &name,
        "--rm",
        "-i",
        &publish,
        "-e=greeting=hello world",
        "-e=OPENFAAS_NAME=localrun",
        "-e=OPENFAAS_NAMESPACE=openfaas-fn",
        "-e=jwt_auth_local=true",
        "--memory-reservation=67108864",
        "--cpus=0.5",
        &volume,
        "-e=fprocess=./handler",
        image,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    // Its own process group, as faas-cli's is when a terminal sends ^C.
    std::os::unix::process::CommandExt::process_group(&mut run, 0);
    let child = run.spawn().unwrap();
    let pid = child.id() as i32;
    assert_eq!(http_get(port, "/key"), "topsecret");
    assert_eq!(http_get(port, "/env"), "./handler localrun hello world\n");
    let limits = docker.store.inspect(
        &name,
        "{{.HostConfig.MemoryReservation}} {{.HostConfig.NanoCpus}}",
    );
    assert_eq!(limits, "67108864 500000000");
    // SAFETY: signalling the process group this test made.
    assert_eq!(unsafe { libc::kill(-pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    docker.ok(&[], &["rm", "-f", &name]);
    let ps = docker.store.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!ps.contains(&name), "{ps}");
}
