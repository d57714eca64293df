//! docker CLI parity, side by side: the same command lines run by skiff and
//! by podman (the CI peer), each on its own store holding the test
//! ground's busybox image, compared by exit code and output shape (see
//! common/parity.rs). docker is the reference: a row where podman is known
//! to answer otherwise holds skiff to docker's answer, written in the row,
//! with the podman difference in words. The docker key lists are in
//! common/docker_keys.rs.

mod common;

use common::docker_keys::*;
use common::parity::Row::{AsDocker, Same, Saying, Setup};
use common::parity::Shape::{Exit, Lines, Stdout, Table};
use common::parity::{Docker, Matrix, NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER};

const UNKNOWN_FLAG: &str = "unknown flag: --bogus";

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
#[rustfmt::skip] // a table: one row a line
fn run_matches_podman_and_docker() {
    Matrix::new().check(&[
        Same("run: exit code passes through", &["run", "--rm", "IMG", "sh", "-c", "exit 3"], Exit),
        Same("run -e -w", &["run", "--rm", "-e", "A=1", "-w", "/tmp", "IMG", "sh", "-c", "echo $A; pwd"], Stdout),
        Same("run --name --rm", &["run", "--rm", "--name", "prm", "IMG", "echo", "x"], Stdout),
        Same("run --rm leaves no container", &["ps", "-aq", "--filter", "name=prm"], Stdout),
        Same("run -d prints the id", &["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"], Lines),
        Same("run: missing image is 125", &["run", "--rm", "127.0.0.1:1/nosuch:1", "true"], Exit),
        Same("run: command not found is 127", &["run", "--rm", "IMG", "nosuchcmd"], Exit),
        Same("run: not executable is 126", &["run", "--rm", "IMG", "/etc/passwd"], Exit),
        Same("run: a directory is 126", &["run", "--rm", "IMG", "/etc"], Exit),
        Same("run ::bad:: is 125", &["run", "--rm", "::bad::", "true"], Exit),
        Saying("run --bogus is 125", &["run", "--bogus", "IMG"], Exit, UNKNOWN_FLAG),
        Same("run -l k=v", &["run", "--name", "pl", "-l", "k=v", "IMG", "true"], Exit),
        Same("run -l is --label", &["inspect", "-f", "{{index .Config.Labels \"k\"}}", "pl"], Stdout),
        AsDocker("run with no image", &["run"],
            Docker::Fails(1, "requires at least 1 argument"), "exit 125, \"requires at least 1 arg\""),
    ]);
}

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
#[rustfmt::skip] // a table: one row a line
fn lists_and_inspect_match() {
    Matrix::new().check(&[
        Setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]),
        Setup(&["create", "--name", "pc2", "IMG", "echo", "hi"]),
        Same("ps", &["ps"], Table),
        Same("ps -a", &["ps", "-a"], Table),
        Same("ps -q", &["ps", "-q"], Lines),
        AsDocker("ps --format {{.State}}", &["ps", "--format", "{{.Names}} {{.State}}"],
            Docker::Stdout(0, "pc1 running\n"), "podman's .State is the status text (Up 1 second ago)"),
        AsDocker("ps -a lists the newest first", &["ps", "-a", "--format", "{{.Names}}"],
            Docker::Stdout(0, "pc2\npc1\n"), "podman lists the oldest first"),
        AsDocker("ps --format json", &["ps", "-a", "--format", "json"],
            Docker::Keys("", PS_JSON_KEYS), "podman prints one array of its own keys (Id, Names as a list...)"),
        Same("ps -l", &["ps", "-l"], Table),
        Same("ps -n 1", &["ps", "-n", "1", "--format", "{{.Names}}"], Stdout),
        Same("ps --filter status=created", &["ps", "-a", "--filter", "status=created", "-q"], Lines),
        Same("ps -s", &["ps", "-s"], Table),
        AsDocker("top", &["top", "pc1"],
            Docker::Header(&["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]),
            "podman's columns are USER PID PPID %CPU ELAPSED TTY TIME COMMAND"),
        AsDocker("stats --no-stream", &["stats", "--no-stream", "pc1"],
            Docker::Header(&[
                "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS",
            ]),
            "podman says ID, NET IO, BLOCK IO and adds CPU TIME, AVG CPU %"),
        Same("port with nothing published", &["port", "pc1"], Stdout),
        Same("images", &["images"], Table),
        Same("images --digests", &["images", "--digests"], Table),
        Same("images --no-trunc -q", &["images", "--no-trunc", "-q"], Stdout),
        Same("images -q", &["images", "-q"], Stdout),
        Same("images --format", &["images", "--format", "{{.Repository}}:{{.Tag}}"], Stdout),
        AsDocker("images --format json", &["images", "--format", "json"],
            Docker::Keys("", IMAGES_JSON_KEYS), "podman prints one array of its own keys"),
        AsDocker("inspect container: keys", &["inspect", "pc1"],
            Docker::Keys("", CONTAINER_KEYS), "podman adds its own and lacks none of these but ExecIDs' shape"),
        AsDocker("inspect container: State", &["inspect", "pc1"],
            Docker::Keys("State", STATE_KEYS), "podman adds CgroupPath, ConmonPid..."),
        AsDocker("inspect container: Config", &["inspect", "pc1"],
            Docker::Keys("Config", CONFIG_KEYS), "podman adds CreateCommand, Umask..."),
        AsDocker("inspect container: HostConfig", &["inspect", "pc1"],
            Docker::Keys("HostConfig", HOST_CONFIG_KEYS), "podman's HostConfig has its own extras"),
        AsDocker("inspect container: NetworkSettings", &["inspect", "pc1"],
            Docker::Keys("NetworkSettings", NETWORK_SETTINGS_KEYS), "podman's has its own extras"),
        Same("inspect -f .State.Running", &["inspect", "-f", "{{.State.Running}}", "pc1"], Stdout),
        Same("inspect -f .Config.Cmd", &["inspect", "-f", "{{json .Config.Cmd}}", "pc2"], Stdout),
        AsDocker("inspect -f .Name", &["inspect", "-f", "{{.Name}}", "pc2"],
            Docker::Stdout(0, "/pc2\n"), "podman's Name has no leading slash"),
        AsDocker("image inspect: keys", &["image", "inspect", "IMG"],
            Docker::Keys("", IMAGE_KEYS), "podman lacks DockerVersion and Metadata"),
        Same("image inspect -f .Os", &["image", "inspect", "-f", "{{.Os}}/{{.Architecture}}", "IMG"], Stdout),
        AsDocker("inspect of a missing object", &["inspect", "nosuch"],
            Docker::Fails(1, "Error: No such object: nosuch"), "exit 125, \"no such object\""),
        AsDocker("history", &["history", "IMG"],
            Docker::Header(&["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]), "podman's first column is ID"),
        Same("history -q", &["history", "-q", "IMG"], Stdout),
        AsDocker("history --format json", &["history", "--format", "json", "IMG"],
            Docker::Keys("", HISTORY_JSON_KEYS), "podman prints an array with lowercase keys"),
        Same("version --format .Client.Version", &["version", "--format", "{{.Client.Version}}"], Lines),
        AsDocker("version --format json .Client", &["version", "--format", "{{json .Client}}"],
            Docker::Keys("", VERSION_KEYS), "podman's Client has APIVersion, Built, OsArch..."),
        AsDocker("version --format .Server.APIVersion", &["version", "--format", "{{.Server.APIVersion}}"],
            Docker::Stdout(0, "1.47\n"), "podman has no Server without a remote service"),
        AsDocker("info --format .OSType", &["info", "--format", "{{.OSType}}"],
            Docker::Stdout(0, "linux\n"), "podman's info has no OSType (125)"),
        AsDocker("info --format json", &["info", "--format", "{{json .}}"],
            Docker::Keys("", INFO_KEYS), "podman's info is host/store/registries"),
        Saying("ps --bogus is 125", &["ps", "--bogus"], Exit, UNKNOWN_FLAG),
        Saying("images --bogus is 125", &["images", "--bogus"], Exit, UNKNOWN_FLAG),
    ]);
}

#[test]
#[ignore = "needs the test ground and podman: scripts/test"]
#[rustfmt::skip] // a table: one row a line
fn lifecycle_commands_match() {
    Matrix::new().check(&[
        Same("create prints the id",
            &["create", "--name", "pc2", "IMG", "sh", "-c", "echo out; echo err >&2"], Lines),
        Same("start prints the name", &["start", "pc2"], Stdout),
        Same("wait prints the code", &["wait", "pc2"], Stdout),
        Same("logs: stdout and stderr", &["logs", "pc2"], Stdout),
        AsDocker("logs of a missing container", &["logs", "nosuch"],
            Docker::Fails(1, "Error response from daemon: No such container: nosuch"), PODMAN_NO_CONTAINER),
        Setup(&["run", "-d", "--name", "pc1", "IMG", "sleep", "1000"]),
        Same("exec: output and exit code", &["exec", "pc1", "sh", "-c", "echo out; exit 4"], Stdout),
        Same("exec -w -e", &["exec", "-w", "/tmp", "-e", "X=1", "pc1", "sh", "-c", "echo $X; pwd"], Stdout),
        Same("exec: not found is 127", &["exec", "pc1", "nosuch"], Exit),
        Same("exec: not executable is 126", &["exec", "pc1", "/etc"], Exit),
        AsDocker("exec in a missing container", &["exec", "nosuch", "true"],
            NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER),
        AsDocker("start of a missing container", &["start", "nosuch"], NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER),
        AsDocker("stop of a missing container", &["stop", "nosuch"], NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER),
        AsDocker("kill of a stopped container", &["kill", "pc2"],
            Docker::Fails(1, "is not running"), "exit 125, \"can only kill running containers\""),
        Same("stop -t prints the name", &["stop", "-t", "1", "pc1"], Stdout),
        Same("stopped: exited", &["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "pc1"], Stdout),
        Same("start again", &["start", "pc1"], Stdout),
        Same("kill prints the name", &["kill", "pc1"], Stdout),
        Same("rm right after kill", &["rm", "pc1"], Stdout),
        Setup(&["run", "-d", "--name", "pc3", "IMG", "sleep", "1000"]),
        AsDocker("rm of a running container", &["rm", "pc3"],
            Docker::Fails(1, "container is running: stop the container before removing or force remove"),
            "exit 2, \"cannot remove container ... as it is running\""),
        Same("rename", &["rename", "pc3", "pc4"], Stdout),
        AsDocker("rename of a missing container", &["rename", "nosuch", "x"],
            NO_SUCH_CONTAINER, PODMAN_NO_CONTAINER),
        AsDocker("rename to a name in use", &["rename", "pc4", "pc2"],
            Docker::Fails(1, "The container name \"/pc2\" is already in use"),
            "exit 125, \"name pc2 already in use\""),
        Same("pause", &["pause", "pc4"], Stdout),
        Same("paused state", &["inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "pc4"], Stdout),
        AsDocker("pause twice", &["pause", "pc4"],
            Docker::Fails(1, "is already paused"), "exit 125, \"container state improper\""),
        Same("unpause", &["unpause", "pc4"], Stdout),
        AsDocker("unpause twice", &["unpause", "pc4"],
            Docker::Fails(1, "is not paused"), "exit 125, \"container state improper\""),
        Same("rm -f of a running container", &["rm", "-f", "pc4"], Stdout),
        Setup(&["run", "-d", "--name", "pq", "IMG", "sh", "-c", "echo \"a b\"; sleep 1000"]),
        AsDocker("ps quotes and truncates COMMAND", &["ps", "--filter", "name=pq", "--format", "{{.Command}}"],
            Docker::Stdout(0, "\"sh -c echo \\\"a b\\\"; s…\"\n"), "podman shows the whole command, unquoted"),
        Same("rm -f", &["rm", "-f", "pq"], Stdout),
        AsDocker("rm -f of a missing container", &["rm", "-f", "nosuch"],
            Docker::Fails(0, "No such container: nosuch"), "podman says nothing"),
        AsDocker("logs with no container", &["logs"],
            Docker::Fails(1, "requires 1 argument"), "exit 125, \"requires exactly 1 arg\""),
    ]);
}
