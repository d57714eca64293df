//! docker CLI parity, side by side: the same command lines run by skiff and
//! by podman (the CI peer), each on its own store holding the test
//! ground's busybox image, compared by exit code and output shape (see
//! common/parity.rs). docker is the reference: a row where podman is known
//! to answer otherwise holds skiff to docker's answer, written in the row,
//! with the podman difference in words. The docker key lists are in
//! common/docker_keys.rs.

mod common;

use common::docker_keys::*;
use common::parity::{Docker, Matrix, Shape, PODMAN_NO_CONTAINER};

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
fn run_matches_podman_and_docker() {
    let mut m = Matrix::new();
    m.same(
        "run: exit code passes through",
        &["run", "--rm", "IMG", "sh", "-c", "exit 3"],
        Shape::Exit,
    );
    m.same(
        "run -e -w",
        &[
            "run",
            "--rm",
            "-e",
            "A=1",
            "-w",
            "/tmp",
            "IMG",
            "sh",
            "-c",
            "echo $A; pwd",
        ],
        Shape::Stdout,
    );
    m.same(
        "run --name --rm",
        &["run", "--rm", "--name", "prm", "IMG", "echo", "x"],
        Shape::Stdout,
    );
    m.same(
        "run --rm leaves no container",
        &["ps", "-aq", "--filter", "name=prm"],
        Shape::Stdout,
    );
    m.same(
        "run -d prints the id",
        &["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"],
        Shape::Lines,
    );
    m.same(
        "run: missing image is 125",
        &["run", "--rm", "127.0.0.1:1/nosuch:1", "true"],
        Shape::Exit,
    );
    m.same(
        "run: command not found is 127",
        &["run", "--rm", "IMG", "nosuchcmd"],
        Shape::Exit,
    );
    m.same(
        "run: not executable is 126",
        &["run", "--rm", "IMG", "/etc/passwd"],
        Shape::Exit,
    );
    m.same(
        "run: a directory is 126",
        &["run", "--rm", "IMG", "/etc"],
        Shape::Exit,
    );
    m.same(
        "run ::bad:: is 125",
        &["run", "--rm", "::bad::", "true"],
        Shape::Exit,
    );
    m.same_saying(
        "run --bogus is 125",
        &["run", "--bogus", "IMG"],
        Shape::Exit,
        "unknown flag: --bogus",
    );
    m.same(
        "run -l k=v",
        &["run", "--name", "pl", "-l", "k=v", "IMG", "true"],
        Shape::Exit,
    );
    let label = ["inspect", "-f", "{{index .Config.Labels \"k\"}}", "pl"];
    m.same("run -l is --label", &label, Shape::Stdout);
    m.docker(
        "run with no image",
        &["run"],
        Docker::Fails(1, "requires at least 1 argument"),
        "exit 125, \"requires at least 1 arg\"",
    );
    m.finish();
}

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
fn lists_and_inspect_match() {
    let mut m = Matrix::new();
    m.peers
        .setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]);
    m.peers
        .setup(&["create", "--name", "pc2", "IMG", "echo", "hi"]);
    m.same("ps", &["ps"], Shape::Table);
    m.same("ps -a", &["ps", "-a"], Shape::Table);
    m.same("ps -q", &["ps", "-q"], Shape::Lines);
    m.docker(
        "ps --format {{.State}}",
        &["ps", "--format", "{{.Names}} {{.State}}"],
        Docker::Stdout(0, "pc1 running\n"),
        "podman's .State is the status text (Up 1 second ago)",
    );
    m.docker(
        "ps -a lists the newest first",
        &["ps", "-a", "--format", "{{.Names}}"],
        Docker::Stdout(0, "pc2\npc1\n"),
        "podman lists the oldest first",
    );
    m.docker(
        "ps --format json",
        &["ps", "-a", "--format", "json"],
        Docker::Keys("", PS_JSON_KEYS),
        "podman prints one array of its own keys (Id, Names as a list...)",
    );
    m.same("ps -l", &["ps", "-l"], Shape::Table);
    m.same(
        "ps -n 1",
        &["ps", "-n", "1", "--format", "{{.Names}}"],
        Shape::Stdout,
    );
    m.same(
        "ps --filter status=created",
        &["ps", "-a", "--filter", "status=created", "-q"],
        Shape::Lines,
    );
    m.same("ps -s", &["ps", "-s"], Shape::Table);
    m.docker(
        "top",
        &["top", "pc1"],
        Docker::Header(&["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]),
        "podman's columns are USER PID PPID %CPU ELAPSED TTY TIME COMMAND",
    );
    m.docker(
        "stats --no-stream",
        &["stats", "--no-stream", "pc1"],
        Docker::Header(&[
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS",
        ]),
        "podman says ID, NET IO, BLOCK IO and adds CPU TIME, AVG CPU %",
    );
    m.same(
        "port with nothing published",
        &["port", "pc1"],
        Shape::Stdout,
    );
    m.same("images", &["images"], Shape::Table);
    m.same("images --digests", &["images", "--digests"], Shape::Table);
    m.same(
        "images --no-trunc -q",
        &["images", "--no-trunc", "-q"],
        Shape::Stdout,
    );
    m.same("images -q", &["images", "-q"], Shape::Stdout);
    m.same(
        "images --format",
        &["images", "--format", "{{.Repository}}:{{.Tag}}"],
        Shape::Stdout,
    );
    m.docker(
        "images --format json",
        &["images", "--format", "json"],
        Docker::Keys("", IMAGES_JSON_KEYS),
        "podman prints one array of its own keys",
    );
    m.docker(
        "inspect container: keys",
        &["inspect", "pc1"],
        Docker::Keys("", CONTAINER_KEYS),
        "podman adds its own and lacks none of these but ExecIDs' shape",
    );
    m.docker(
        "inspect container: State",
        &["inspect", "pc1"],
        Docker::Keys("State", STATE_KEYS),
        "podman adds CgroupPath, ConmonPid...",
    );
    m.docker(
        "inspect container: Config",
        &["inspect", "pc1"],
        Docker::Keys("Config", CONFIG_KEYS),
        "podman adds CreateCommand, Umask...",
    );
    m.docker(
        "inspect container: HostConfig",
        &["inspect", "pc1"],
        Docker::Keys("HostConfig", HOST_CONFIG_KEYS),
        "podman's HostConfig has its own extras",
    );
    m.docker(
        "inspect container: NetworkSettings",
        &["inspect", "pc1"],
        Docker::Keys("NetworkSettings", NETWORK_SETTINGS_KEYS),
        "podman's has its own extras",
    );
    m.same(
        "inspect -f .State.Running",
        &["inspect", "-f", "{{.State.Running}}", "pc1"],
        Shape::Stdout,
    );
    m.same(
        "inspect -f .Config.Cmd",
        &["inspect", "-f", "{{json .Config.Cmd}}", "pc2"],
        Shape::Stdout,
    );
    m.docker(
        "inspect -f .Name",
        &["inspect", "-f", "{{.Name}}", "pc2"],
        Docker::Stdout(0, "/pc2\n"),
        "podman's Name has no leading slash",
    );
    m.docker(
        "image inspect: keys",
        &["image", "inspect", "IMG"],
        Docker::Keys("", IMAGE_KEYS),
        "podman lacks DockerVersion and Metadata",
    );
    m.same(
        "image inspect -f .Os",
        &["image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "IMG"],
        Shape::Stdout,
    );
    m.docker(
        "inspect of a missing object",
        &["inspect", "nosuch"],
        Docker::Fails(1, "Error: No such object: nosuch"),
        "exit 125, \"no such object\"",
    );
    m.docker(
        "history",
        &["history", "IMG"],
        Docker::Header(&["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]),
        "podman's first column is ID",
    );
    m.same("history -q", &["history", "-q", "IMG"], Shape::Stdout);
    m.docker(
        "history --format json",
        &["history", "--format", "json", "IMG"],
        Docker::Keys("", HISTORY_JSON_KEYS),
        "podman prints an array with lowercase keys",
    );
    m.same(
        "version --format .Client.Version",
        &["version", "--format", "{{.Client.Version}}"],
        Shape::Lines,
    );
    m.docker(
        "version --format json .Client",
        &["version", "--format", "{{json .Client}}"],
        Docker::Keys("", VERSION_KEYS),
        "podman's Client has APIVersion, Built, OsArch...",
    );
    m.docker(
        "version --format .Server.APIVersion",
        &["version", "--format", "{{.Server.APIVersion}}"],
        Docker::Stdout(0, "1.47\n"),
        "podman has no Server without a remote service",
    );
    m.docker(
        "info --format .OSType",
        &["info", "--format", "{{.OSType}}"],
        Docker::Stdout(0, "linux\n"),
        "podman's info has no OSType (125)",
    );
    m.docker(
        "info --format json",
        &["info", "--format", "{{json .}}"],
        Docker::Keys("", INFO_KEYS),
        "podman's info is host/store/registries",
    );
    m.same_saying(
        "ps --bogus is 125",
        &["ps", "--bogus"],
        Shape::Exit,
        "unknown flag: --bogus",
    );
    m.same_saying(
        "images --bogus is 125",
        &["images", "--bogus"],
        Shape::Exit,
        "unknown flag: --bogus",
    );
    m.finish();
}

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
fn lifecycle_commands_match() {
    let mut m = Matrix::new();
    m.same(
        "create prints the id",
        &[
            "create",
            "--name",
            "pc2",
            "IMG",
            "sh",
            "-c",
            "echo out; echo err >&2",
        ],
        Shape::Lines,
    );
    m.same("start prints the name", &["start", "pc2"], Shape::Stdout);
    m.same("wait prints the code", &["wait", "pc2"], Shape::Stdout);
    m.same("logs: stdout and stderr", &["logs", "pc2"], Shape::Stdout);
    m.docker(
        "logs of a missing container",
        &["logs", "nosuch"],
        Docker::Fails(1, "Error response from daemon: No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.peers
        .setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]);
    m.same(
        "exec: output and exit code",
        &["exec", "pc1", "sh", "-c", "echo out; exit 4"],
        Shape::Stdout,
    );
    m.same(
        "exec -w -e",
        &[
            "exec",
            "-w",
            "/tmp",
            "-e",
            "X=1",
            "pc1",
            "sh",
            "-c",
            "echo $X; pwd",
        ],
        Shape::Stdout,
    );
    m.same(
        "exec: not found is 127",
        &["exec", "pc1", "nosuch"],
        Shape::Exit,
    );
    m.same(
        "exec: not executable is 126",
        &["exec", "pc1", "/etc"],
        Shape::Exit,
    );
    m.docker(
        "exec in a missing container",
        &["exec", "nosuch", "true"],
        Docker::Fails(1, "No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.docker(
        "start of a missing container",
        &["start", "nosuch"],
        Docker::Fails(1, "No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.docker(
        "stop of a missing container",
        &["stop", "nosuch"],
        Docker::Fails(1, "No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.docker(
        "kill of a stopped container",
        &["kill", "pc2"],
        Docker::Fails(1, "is not running"),
        "exit 125, \"can only kill running containers\"",
    );
    m.same(
        "stop -t prints the name",
        &["stop", "-t", "1", "pc1"],
        Shape::Stdout,
    );
    m.same(
        "stopped: exited",
        &[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.ExitCode}}",
            "pc1",
        ],
        Shape::Stdout,
    );
    m.same("start again", &["start", "pc1"], Shape::Stdout);
    m.same("kill prints the name", &["kill", "pc1"], Shape::Stdout);
    m.same("rm right after kill", &["rm", "pc1"], Shape::Stdout);
    m.peers
        .setup(&["run", "-d", "--name", "pc3", "IMG", "sleep", "1000"]);
    m.docker(
        "rm of a running container",
        &["rm", "pc3"],
        Docker::Fails(
            1,
            "container is running: stop the container before removing or force remove",
        ),
        "exit 2, \"cannot remove container ... as it is running\"",
    );
    m.same("rename", &["rename", "pc3", "pc4"], Shape::Stdout);
    m.docker(
        "rename of a missing container",
        &["rename", "nosuch", "x"],
        Docker::Fails(1, "No such container: nosuch"),
        PODMAN_NO_CONTAINER,
    );
    m.docker(
        "rename to a name in use",
        &["rename", "pc4", "pc2"],
        Docker::Fails(1, "The container name \"/pc2\" is already in use"),
        "exit 125, \"name pc2 already in use\"",
    );
    m.same("pause", &["pause", "pc4"], Shape::Stdout);
    m.same(
        "paused state",
        &[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.Paused}}",
            "pc4",
        ],
        Shape::Stdout,
    );
    m.docker(
        "pause twice",
        &["pause", "pc4"],
        Docker::Fails(1, "is already paused"),
        "exit 125, \"container state improper\"",
    );
    m.same("unpause", &["unpause", "pc4"], Shape::Stdout);
    m.docker(
        "unpause twice",
        &["unpause", "pc4"],
        Docker::Fails(1, "is not paused"),
        "exit 125, \"container state improper\"",
    );
    m.same(
        "rm -f of a running container",
        &["rm", "-f", "pc4"],
        Shape::Stdout,
    );
    m.peers.setup(&[
        "run",
        "-d",
        "--name",
        "pq",
        "IMG",
        "sh",
        "-c",
        "echo \"a b\"; sleep 1000",
    ]);
    m.docker(
        "ps quotes and truncates COMMAND",
        &["ps", "--filter", "name=pq", "--format", "{{.Command}}"],
        Docker::Stdout(0, "\"sh -c echo \\\"a b\\\"; s…\"\n"),
        "podman shows the whole command, unquoted",
    );
    m.same("rm -f", &["rm", "-f", "pq"], Shape::Stdout);
    m.docker(
        "rm -f of a missing container",
        &["rm", "-f", "nosuch"],
        Docker::Fails(0, "No such container: nosuch"),
        "podman says nothing",
    );
    m.docker(
        "logs with no container",
        &["logs"],
        Docker::Fails(1, "requires 1 argument"),
        "exit 125, \"requires exactly 1 arg\"",
    );
    m.finish();
}
