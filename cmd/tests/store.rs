//! The image store and the local image commands, through the real binary:
//! import/images/tag/rmi, save/load interop with podman and skopeo, hostile
//! layers, whiteouts and special files, concurrency and killed unpacks.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{ground, Store};

// ---------------------------------------------------------------------------
// A minimal tar writer, so tests can build exactly the (hostile) layers they
// need without extra dev-dependencies.

#[derive(Default)]
struct Tar {
    buf: Vec<u8>,
}

struct Entry<'a> {
    name: &'a str,
    kind: u8,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
    data: &'a [u8],
    link: &'a str,
    dev: (u32, u32),
}

impl Default for Entry<'_> {
    fn default() -> Self {
        Entry {
            name: "",
            kind: b'0',
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 1_600_000_000,
            data: b"",
            link: "",
            dev: (0, 0),
        }
    }
}

fn octal(field: &mut [u8], v: u64) {
    let s = format!("{:0w$o}\0", v, w = field.len() - 1);
    field.copy_from_slice(s.as_bytes());
}

impl Tar {
    fn add(&mut self, e: Entry<'_>) -> &mut Self {
        let mut h = [0u8; 512];
        assert!(
            e.name.len() < 100 && e.link.len() < 100,
            "names too long for the test tar writer"
        );
        h[..e.name.len()].copy_from_slice(e.name.as_bytes());
        octal(&mut h[100..108], e.mode as u64);
        octal(&mut h[108..116], e.uid as u64);
        octal(&mut h[116..124], e.gid as u64);
        octal(&mut h[124..136], e.data.len() as u64);
        octal(&mut h[136..148], e.mtime);
        h[148..156].copy_from_slice(b"        ");
        h[156] = e.kind;
        h[157..157 + e.link.len()].copy_from_slice(e.link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        octal(&mut h[329..337], e.dev.0 as u64);
        octal(&mut h[337..345], e.dev.1 as u64);
        let sum: u32 = h.iter().map(|b| *b as u32).sum();
        let s = format!("{sum:06o}\0 ");
        h[148..156].copy_from_slice(s.as_bytes());
        self.buf.extend_from_slice(&h);
        self.buf.extend_from_slice(e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        self.buf.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.add(Entry {
            name,
            data,
            ..Default::default()
        })
    }
    fn dir(&mut self, name: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'5',
            mode: 0o755,
            ..Default::default()
        })
    }
    fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'2',
            mode: 0o777,
            link: target,
            ..Default::default()
        })
    }
    fn hardlink(&mut self, name: &str, target: &str) -> &mut Self {
        self.add(Entry {
            name,
            kind: b'1',
            link: target,
            ..Default::default()
        })
    }
    /// A PAX extended header applying to the next entry.
    fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
        let mut data = Vec::new();
        for (k, v) in records {
            let body_len = 1 + k.len() + 1 + v.len() + 1;
            let mut len = body_len + 1;
            while len != body_len + len.to_string().len() {
                len = body_len + len.to_string().len();
            }
            data.extend_from_slice(format!("{len} {k}=").as_bytes());
            data.extend_from_slice(v);
            data.push(b'\n');
        }
        self.add(Entry {
            name: "PaxHeader",
            kind: b'x',
            data: &data,
            ..Default::default()
        })
    }
    fn finish(&mut self) -> Vec<u8> {
        let mut v = std::mem::take(&mut self.buf);
        v.extend(std::iter::repeat_n(0u8, 1024));
        v
    }
}

fn write_tar(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The image's snapshot dirs (top first), from `image inspect`.
fn lower_dirs(s: &Store, image: &str) -> Vec<PathBuf> {
    let out = s.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.GraphDriver.Data.LowerDir}}",
        image,
    ]);
    out.trim().split(':').map(PathBuf::from).collect()
}

fn count_files(dir: &Path) -> usize {
    fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

/// Sum of regular file sizes in a tar, from GNU tar's listing (what docker
/// reports as an image's size).
fn tar_content_size(tar: &Path) -> u64 {
    let out = Command::new("tar").arg("-tvf").arg(tar).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum()
}

/// go-units' HumanSizeWithPrecision(size, 3), written independently of skiff's.
fn docker_size(size: u64) -> String {
    let units = ["B", "kB", "MB", "GB"];
    let mut v = size as f64;
    let mut i = 0;
    while v >= 1000.0 {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    format!("{s}{}", units[i])
}

fn podman(tmp: &Path) -> Command {
    let conf = tmp.join("containers.conf");
    if !conf.exists() {
        fs::write(
            &conf,
            "[containers]\ndefault_ulimits = [\"nofile=1024:1024\",\"nproc=1024:1024\"]\n\
             [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n",
        )
        .unwrap();
    }
    let mut c = Command::new("podman");
    c.env("CONTAINERS_CONF", &conf)
        .arg("--root")
        .arg(tmp.join("storage"))
        .arg("--runroot")
        .arg(tmp.join("run"))
        .arg("--storage-driver")
        .arg("vfs");
    c
}

fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        stderr_of(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn inspect_json(s: &Store, image: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&s.ok(&["image", "inspect", image])).unwrap();
    v[0].clone()
}

// ---------------------------------------------------------------------------
// import, images, tag, rmi

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn import_then_images_lists_it_with_size_and_id() {
    let bb = PathBuf::from(ground("SKIFF_TEST_BUSYBOX_TAR"));
    let s = Store::new();
    let out = s.ok(&[
        "import",
        "-c",
        "CMD [\"sh\"]",
        "-c",
        "ENV A=1",
        bb.to_str().unwrap(),
        "busybox",
    ]);
    let id = out.trim().to_string();
    assert!(
        id.starts_with("sha256:") && id.len() == 71,
        "import printed {out:?}"
    );

    let table = s.ok(&["images"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|x| !x.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    let row: Vec<&str> = lines[1]
        .split("  ")
        .filter(|x| !x.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(row[0], "busybox");
    assert_eq!(row[1], "latest");
    assert_eq!(row[2], &id[7..19]);
    assert!(row[3].ends_with("ago"), "{row:?}");
    assert_eq!(row[4], docker_size(tar_content_size(&bb)), "{table}");

    assert_eq!(s.ok(&["images", "-q"]).trim(), &id[7..19]);
    assert_eq!(s.ok(&["images", "-q", "--no-trunc"]).trim(), id);
    let j: serde_json::Value =
        serde_json::from_str(s.ok(&["images", "--format", "json"]).trim()).unwrap();
    assert_eq!(j["Repository"], "busybox");
    assert_eq!(j["Tag"], "latest");
    assert_eq!(j["ID"], &id[7..19]);
    let mut j2: serde_json::Value =
        serde_json::from_str(s.ok(&["images", "--format", "{{json .}}"]).trim()).unwrap();
    j2["CreatedSince"] = j["CreatedSince"].clone();
    assert_eq!(j, j2);
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .trim(),
        "busybox:latest"
    );
    assert!(s
        .ok(&["images", "--digests"])
        .lines()
        .next()
        .unwrap()
        .contains("DIGEST"));
    assert_eq!(s.ok(&["images", "other"]).lines().count(), 1);

    let ins = inspect_json(&s, "busybox");
    assert_eq!(ins["Id"], id.as_str());
    assert_eq!(ins["RepoTags"], serde_json::json!(["busybox:latest"]));
    assert_eq!(ins["Config"]["Cmd"], serde_json::json!(["sh"]));
    assert_eq!(ins["Config"]["Env"], serde_json::json!(["A=1"]));
    assert_eq!(ins["Os"], "linux");
    assert_eq!(ins["Size"].as_u64().unwrap(), tar_content_size(&bb));
    assert_eq!(ins["RootFS"]["Layers"].as_array().unwrap().len(), 1);
    // The snapshot holds the rootfs, with busybox runnable.
    let lower = lower_dirs(&s, "busybox");
    assert_eq!(lower.len(), 1);
    assert!(lower[0].join("bin/busybox").is_file());
    assert_eq!(
        fs::read_link(lower[0].join("bin/sh")).unwrap(),
        Path::new("busybox")
    );
    assert_eq!(
        fs::metadata(lower[0].join("tmp"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o1777
    );
    assert_eq!(
        fs::metadata(lower[0].join("home/user")).unwrap().uid(),
        1000
    );
    // By short ID and by full ID too.
    assert_eq!(inspect_json(&s, &id[7..15])["Id"], id.as_str());
    assert_eq!(inspect_json(&s, &id)["Id"], id.as_str());
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn tag_and_rmi_behave_like_docker() {
    let bb = ground("SKIFF_TEST_BUSYBOX_TAR");
    let s = Store::new();
    let id = s.ok(&["import", &bb, "busybox:1"]).trim().to_string();
    s.ok(&["tag", "busybox:1", "127.0.0.1:5000/bb:x"]);
    s.ok(&["tag", &id[7..19], "other"]);
    let repos = s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    let mut repos: Vec<&str> = repos.lines().collect();
    repos.sort();
    assert_eq!(repos, ["127.0.0.1:5000/bb:x", "busybox:1", "other:latest"]);

    // By ID with several tags: refused without -f.
    let out = s.run(&["rmi", &id[7..19]]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("must be forced"),
        "{}",
        stderr_of(&out)
    );

    assert_eq!(s.ok(&["rmi", "other"]).trim(), "Untagged: other:latest");
    assert_eq!(
        s.ok(&["rmi", "127.0.0.1:5000/bb:x"]).trim(),
        "Untagged: 127.0.0.1:5000/bb:x"
    );
    let out = s.ok(&["rmi", "busybox:1"]);
    assert_eq!(out, format!("Untagged: busybox:1\nDeleted: {id}\n"));
    assert_eq!(s.ok(&["images", "-q"]), "");
    // Its content went with it.
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);

    let out = s.run(&["rmi", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr_of(&out).contains("No such image: nope"));
    let out = s.run(&["tag", "nope", "x"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr_of(&out).contains("No such image: nope"));
    let out = s.run(&["tag", "busybox", "Bad:Name"]);
    assert_eq!(out.status.code(), Some(125));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn image_prune_removes_dangling_then_all() {
    let bb = ground("SKIFF_TEST_BUSYBOX_TAR");
    let s = Store::new();
    let id1 = s.ok(&["import", &bb, "keep"]).trim().to_string();
    let id2 = s
        .ok(&["import", "-m", "second", &bb, "keep"])
        .trim()
        .to_string();
    assert_ne!(id1, id2);
    // id1 lost its tag: dangling.
    let out = s.ok(&["image", "prune", "-f"]);
    assert!(out.contains(&format!("deleted: {id1}")), "{out}");
    assert!(!out.contains(&id2));
    assert_eq!(s.ok(&["images", "-q", "--no-trunc"]).trim(), id2);
    let out = s.ok(&["image", "prune", "-a", "-f"]);
    assert!(
        out.contains("untagged: keep:latest") && out.contains(&format!("deleted: {id2}")),
        "{out}"
    );
    assert!(out.contains("Total reclaimed space: "), "{out}");
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    let df = s.ok(&["system", "df"]);
    assert!(df.starts_with("TYPE") && df.contains("Images"), "{df}");
}

// ---------------------------------------------------------------------------
// save / load interop

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn save_is_loadable_by_podman_and_podman_save_by_skiff() {
    let bb = ground("SKIFF_TEST_BUSYBOX_TAR");
    let tmp = tempfile::tempdir().unwrap();
    let s = Store::new();
    let id = s
        .ok(&["import", "-c", "CMD [\"sh\"]", &bb, "bbsave:1"])
        .trim()
        .to_string();
    let x = tmp.path().join("x.tar");
    s.ok(&["save", "-o", x.to_str().unwrap(), "bbsave:1"]);

    let out = run_ok(podman(tmp.path()).args(["load", "-i", x.to_str().unwrap()]));
    assert!(out.contains("bbsave:1"), "{out}");
    let pid = run_ok(podman(tmp.path()).args(["image", "inspect", "-f", "{{.Id}}", "bbsave:1"]));
    assert_eq!(format!("sha256:{}", pid.trim()), id);

    // podman save (docker-archive) -> skiff load: same image ID and layers.
    let p = tmp.path().join("p.tar");
    run_ok(podman(tmp.path()).args(["save", "-o", p.to_str().unwrap(), "localhost/bbsave:1"]));
    let s2 = Store::new();
    let out = s2.ok(&["load", "-i", p.to_str().unwrap()]);
    assert_eq!(out.trim(), "Loaded image: localhost/bbsave:1");
    let a = inspect_json(&s, "bbsave:1");
    let b = inspect_json(&s2, "localhost/bbsave:1");
    assert_eq!(a["Id"], b["Id"]);
    assert_eq!(a["RootFS"], b["RootFS"]);
    assert_eq!(a["Size"], b["Size"]);

    // stdin works too, and loading twice is idempotent.
    let f = fs::File::open(&p).unwrap();
    let out = s2.skiff().arg("load").stdin(f).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(s2.ok(&["images", "-q"]).lines().count(), 1);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn oci_archives_round_trip_through_skopeo_with_the_same_digests() {
    let bb = ground("SKIFF_TEST_BUSYBOX_TAR");
    let tmp = tempfile::tempdir().unwrap();
    let s = Store::new();
    s.ok(&["import", &bb, "bboci:1"]);
    let d = tmp.path().join("d.tar");
    s.ok(&["save", "-o", d.to_str().unwrap(), "bboci:1"]);
    // skopeo turns skiff's docker-archive into an OCI archive...
    let o = tmp.path().join("o.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!("docker-archive:{}", d.display()),
        &format!("oci-archive:{}:bboci:2", o.display()),
    ]));
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--raw",
        &format!("oci-archive:{}", o.display()),
    ]));
    let sk: serde_json::Value = serde_json::from_str(&run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci-archive:{}", o.display())]),
    ))
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&raw).unwrap();

    // ...which skiff loads keeping every digest.
    let s2 = Store::new();
    assert_eq!(
        s2.ok(&["load", "-i", o.to_str().unwrap()]).trim(),
        "Loaded image: bboci:2"
    );
    let ins = inspect_json(&s2, "bboci:2");
    assert_eq!(ins["Descriptor"]["digest"], sk["Digest"]);
    assert_eq!(ins["Id"], manifest["config"]["digest"]);
    let config: serde_json::Value = serde_json::from_str(&run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        &format!("oci-archive:{}", o.display()),
    ])))
    .unwrap();
    assert_eq!(ins["RootFS"]["Layers"], config["rootfs"]["diff_ids"]);
    assert_eq!(ins["RootFS"]["Layers"].as_array().unwrap().len(), 1);

    // skiff's own OCI archive: skopeo reads it, same manifest digest.
    let so = tmp.path().join("so.tar");
    s2.ok(&[
        "save",
        "--format",
        "oci",
        "-o",
        so.to_str().unwrap(),
        "bboci:2",
    ]);
    let sk2: serde_json::Value = serde_json::from_str(&run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci-archive:{}", so.display())]),
    ))
    .unwrap();
    assert_eq!(sk2["Digest"], sk["Digest"]);
    // And a skiff load of it into a fresh store is the same image again.
    let s3 = Store::new();
    s3.ok(&["load", "-i", so.to_str().unwrap()]);
    assert_eq!(
        inspect_json(&s3, "bboci:2")["Descriptor"],
        ins["Descriptor"]
    );
}

#[test]
fn load_rejects_a_blob_that_does_not_match_its_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // sha256("")
    let name = format!("blobs/sha256/{hex}");
    let bytes = Tar::default()
        .file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)
        .file(&name, b"not empty")
        .file("index.json", br#"{"schemaVersion":2,"manifests":[]}"#)
        .finish();
    let p = write_tar(tmp.path(), "bad.tar", &bytes);
    let s = Store::new();
    let out = s.run(&["load", "-i", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(125));
    assert!(stderr_of(&out).contains(hex), "{}", stderr_of(&out));
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
}

// ---------------------------------------------------------------------------
// unpacking: hostile layers, whiteouts, special files

/// A fresh dir outside every store, for "did anything land here" checks.
fn outside() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("skiff-outside-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    d
}

#[test]
fn dotdot_entries_are_refused_by_name() {
    let out_dir = outside();
    let rel = out_dir
        .path()
        .strip_prefix("/")
        .unwrap()
        .display()
        .to_string();
    let name = format!("{}{rel}/escape", "../".repeat(12));
    let tmp = tempfile::tempdir().unwrap();
    let p = write_tar(
        tmp.path(),
        "l.tar",
        &Tar::default()
            .file("ok", b"x")
            .file(&name, b"pwned")
            .finish(),
    );
    let s = Store::new();
    let out = s.run(&["import", p.to_str().unwrap(), "hostile"]);
    assert_eq!(out.status.code(), Some(125));
    let err = stderr_of(&out);
    assert!(err.contains(&name) && err.contains("refused"), "{err}");
    assert!(!out_dir.path().join("escape").exists());
    assert_eq!(count_files(out_dir.path()), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
    assert_eq!(s.ok(&["images", "-q"]), "");
}

#[test]
fn absolute_paths_and_symlinks_out_stay_inside_the_snapshot() {
    let out_dir = outside();
    let rel = out_dir
        .path()
        .strip_prefix("/")
        .unwrap()
        .display()
        .to_string();
    let abs = format!("/{rel}/abs");
    let through_root = format!("evil/{rel}/through");
    let through_dots = format!("up/{rel}/through2");
    let tmp = tempfile::tempdir().unwrap();
    let bytes = Tar::default()
        .file(&abs, b"abs")
        .symlink("evil", "/")
        .file(&through_root, b"through /")
        .symlink("up", "../../../../../../../..")
        .file(&through_dots, b"through ..")
        // A directory later replaced by a symlink out: its deferred
        // metadata must not be applied through the link.
        .add(Entry {
            name: "victim",
            kind: b'5',
            mode: 0o700,
            mtime: 1000,
            ..Default::default()
        })
        .symlink("victim", out_dir.path().to_str().unwrap())
        // A valid image shape: var/run -> /run with files under it.
        .dir("run")
        .symlink("var/run", "/run")
        .file("var/run/app.pid", b"1")
        .finish();
    let p = write_tar(tmp.path(), "l.tar", &bytes);
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "contained"]);
    assert_eq!(
        count_files(out_dir.path()),
        0,
        "something was written outside the snapshot"
    );
    let m = fs::metadata(out_dir.path()).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o755, "chmod went through a symlink");
    assert_ne!(m.mtime(), 1000, "utimes went through a symlink");
    let snap = &lower_dirs(&s, "contained")[0];
    assert_eq!(fs::read(snap.join(&rel).join("abs")).unwrap(), b"abs");
    assert_eq!(
        fs::read(snap.join(&rel).join("through")).unwrap(),
        b"through /"
    );
    assert_eq!(
        fs::read(snap.join(&rel).join("through2")).unwrap(),
        b"through .."
    );
    assert_eq!(fs::read(snap.join("run/app.pid")).unwrap(), b"1");
    assert_eq!(
        fs::read_link(snap.join("var/run")).unwrap(),
        Path::new("/run")
    );
}

#[test]
fn hardlinks_to_host_files_are_refused_by_name() {
    let out_dir = outside();
    let host_file = out_dir.path().join("hostfile");
    fs::write(&host_file, b"host").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (i, (entries, bad)) in [
        (
            Tar::default()
                .hardlink("hl", host_file.to_str().unwrap())
                .finish(),
            "hl",
        ),
        (
            Tar::default()
                .symlink("evil", "/")
                .hardlink("hl2", &format!("evil{}", host_file.display()))
                .finish(),
            "hl2",
        ),
        (
            Tar::default()
                .hardlink("hl3", "../../../../../../../etc/passwd")
                .finish(),
            "hl3",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = write_tar(tmp.path(), &format!("l{i}.tar"), &entries);
        let s = Store::new();
        let out = s.run(&["import", p.to_str().unwrap(), "hl"]);
        assert_eq!(out.status.code(), Some(125), "case {i}");
        let err = stderr_of(&out);
        assert!(
            err.contains(&format!("refused entry \"{bad}\"")),
            "case {i}: {err}"
        );
        assert_eq!(
            fs::metadata(&host_file).unwrap().nlink(),
            1,
            "case {i}: the host file got a link"
        );
        assert_eq!(count_files(&s.root().join("snapshots")), 0);
    }
    // A hardlink to a file of the layer itself is fine.
    let p = write_tar(
        tmp.path(),
        "ok.tar",
        &Tar::default()
            .file("a", b"data")
            .hardlink("b", "a")
            .finish(),
    );
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "hlok"]);
    let snap = &lower_dirs(&s, "hlok")[0];
    assert_eq!(
        fs::metadata(snap.join("a")).unwrap().ino(),
        fs::metadata(snap.join("b")).unwrap().ino()
    );
}

#[test]
fn whiteouts_devices_xattrs_modes_and_mtimes() {
    // security.capability v2 with cap_net_raw (13) permitted + effective.
    let cap: [u8; 20] = [
        1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let big = vec![0u8; 8 << 20];
    let tmp = tempfile::tempdir().unwrap();
    let bytes = Tar::default()
        .dir("d")
        .file("d/.wh.gone", b"")
        .dir("o")
        .file("o/.wh..wh..opq", b"")
        .file("o/keep", b"kept")
        .add(Entry {
            name: "fifo",
            kind: b'6',
            mode: 0o600,
            ..Default::default()
        })
        .add(Entry {
            name: "null",
            kind: b'3',
            mode: 0o666,
            dev: (1, 3),
            ..Default::default()
        })
        .add(Entry {
            name: "suid",
            mode: 0o4755,
            uid: 1000,
            gid: 1000,
            data: b"#!/bin/sh\n",
            ..Default::default()
        })
        .pax(&[
            ("SCHILY.xattr.security.capability", &cap),
            ("SCHILY.xattr.user.note", b"hello"),
        ])
        .add(Entry {
            name: "ping",
            mode: 0o755,
            data: b"\x7fELF",
            ..Default::default()
        })
        .add(Entry {
            name: "m",
            kind: b'5',
            mode: 0o700,
            mtime: 1_000_000,
            ..Default::default()
        })
        .add(Entry {
            name: "m/f",
            data: b"f",
            mtime: 2_000_000,
            ..Default::default()
        })
        .file("big", &big)
        .symlink("link", "/etc/passwd")
        .finish();
    let p = write_tar(tmp.path(), "l.tar", &bytes);
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "special"]);
    let snap = &lower_dirs(&s, "special")[0];

    let gone = fs::symlink_metadata(snap.join("d/gone")).unwrap();
    assert!(
        gone.file_type().is_char_device() && gone.rdev() == 0,
        "whiteout must be a 0/0 char device"
    );
    assert!(!snap.join("d/.wh.gone").exists());
    let opq = Command::new("python3")
        .args(["-c", "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], 'trusted.overlay.opaque').decode())"])
        .arg(snap.join("o"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&opq.stdout),
        "y",
        "{}",
        stderr_of(&opq)
    );
    assert!(!snap.join("o/.wh..wh..opq").exists());
    assert_eq!(fs::read(snap.join("o/keep")).unwrap(), b"kept");

    assert!(fs::symlink_metadata(snap.join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
    let null = fs::symlink_metadata(snap.join("null")).unwrap();
    assert!(null.file_type().is_char_device());
    assert_eq!(null.rdev(), libc_makedev(1, 3));
    assert_eq!(
        null.mode() & 0o7777,
        0o666,
        "device mode must not go through the umask"
    );

    let suid = fs::metadata(snap.join("suid")).unwrap();
    assert_eq!(suid.mode() & 0o7777, 0o4755, "setuid survives the chown");
    assert_eq!((suid.uid(), suid.gid()), (1000, 1000));

    let getcap = Command::new("python3")
        .args(["-c", "import os,sys; sys.stdout.write(os.getxattr(sys.argv[1], 'security.capability').hex() + ' ' + os.getxattr(sys.argv[1], 'user.note').decode())"])
        .arg(snap.join("ping"))
        .output()
        .unwrap();
    let caps_hex: String = cap.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        String::from_utf8_lossy(&getcap.stdout),
        format!("{caps_hex} hello"),
        "{}",
        stderr_of(&getcap)
    );

    assert_eq!(
        fs::metadata(snap.join("m")).unwrap().mtime(),
        1_000_000,
        "dir mtime applied after its content"
    );
    assert_eq!(fs::metadata(snap.join("m")).unwrap().mode() & 0o7777, 0o700);
    assert_eq!(fs::metadata(snap.join("m/f")).unwrap().mtime(), 2_000_000);

    let bigm = fs::metadata(snap.join("big")).unwrap();
    assert_eq!(bigm.len(), 8 << 20);
    assert!(
        bigm.blocks() * 512 < (1 << 20),
        "zero-filled file should be sparse, uses {} blocks",
        bigm.blocks()
    );

    assert_eq!(
        fs::read_link(snap.join("link")).unwrap(),
        Path::new("/etc/passwd")
    );
}

fn libc_makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

// ---------------------------------------------------------------------------
// concurrency and crashes

/// A small rootfs tar with a few files.
fn small_rootfs(dir: &Path) -> PathBuf {
    let mut t = Tar::default();
    t.dir("bin").dir("etc");
    for i in 0..50 {
        t.file(
            &format!("etc/f{i}"),
            format!("file {i}\n").repeat(100).as_bytes(),
        );
    }
    write_tar(dir, "rootfs.tar", &t.finish())
}

#[test]
fn concurrent_loads_of_one_image_all_succeed_with_one_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = small_rootfs(tmp.path());
    let s = Store::new();
    let id = s
        .ok(&["import", rootfs.to_str().unwrap(), "conc:1"])
        .trim()
        .to_string();
    let archive = tmp.path().join("a.tar");
    s.ok(&["save", "-o", archive.to_str().unwrap(), "conc:1"]);

    let s2 = Store::new();
    let children: Vec<_> = (0..4)
        .map(|_| {
            s2.skiff()
                .args(["load", "-i", archive.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "Loaded image: conc:1"
        );
    }
    assert_eq!(s2.ok(&["images", "-q", "--no-trunc"]).trim(), id);
    // One layer, one config, one manifest; one snapshot; no leftovers.
    assert_eq!(count_files(&s2.root().join("blobs/sha256")), 3);
    assert_eq!(count_files(&s2.root().join("snapshots")), 1);
    assert_eq!(count_files(&s2.root().join("tmp")), 0);
}

#[test]
fn concurrent_imports_share_one_layer_and_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let rootfs = small_rootfs(tmp.path());
    let s = Store::new();
    let children: Vec<_> = (0..4)
        .map(|i| {
            s.skiff()
                .args(["import", rootfs.to_str().unwrap(), &format!("imp:{i}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    assert_eq!(s.ok(&["images", "--format", "{{.Tag}}"]).lines().count(), 4);
    assert_eq!(count_files(&s.root().join("snapshots")), 1);
    let layers: std::collections::HashSet<String> = (0..4)
        .map(|i| {
            inspect_json(&s, &format!("imp:{i}"))["RootFS"]["Layers"][0]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(layers.len(), 1);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
}

#[test]
fn a_killed_import_leaves_the_store_usable() {
    let tmp = tempfile::tempdir().unwrap();
    // 4 MiB of incompressible data; the import is killed while it waits
    // for the second half on stdin.
    let mut data = vec![0u8; 4 << 20];
    let mut x: u64 = 0x9e3779b97f4a7c15;
    for chunk in data.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    let bytes = Tar::default()
        .dir("data")
        .file("data/blob", &data)
        .file("data/after", b"end")
        .finish();
    let s = Store::new();
    let mut child = s
        .skiff()
        .args(["import", "-", "killed"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&bytes[..bytes.len() / 2]).unwrap();
        stdin.flush().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        child.kill().unwrap();
    }
    child.wait().unwrap();
    // Nothing half-done is visible...
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(s.ok(&["images", "-q"]), "");
    // ...the dead process's temp files are swept by the next skiff...
    assert_eq!(count_files(&s.root().join("tmp")), 0);
    // ...and the same import then completes.
    let p = write_tar(tmp.path(), "full.tar", &bytes);
    s.ok(&["import", p.to_str().unwrap(), "killed"]);
    let snap = &lower_dirs(&s, "killed")[0];
    assert_eq!(fs::read(snap.join("data/after")).unwrap(), b"end");
    assert_eq!(fs::metadata(snap.join("data/blob")).unwrap().len(), 4 << 20);
}

// ---------------------------------------------------------------------------
// layers stack as overlayfs lower dirs

fn sha256_hex(bytes: &[u8]) -> String {
    let mut c = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// An OCI-layout tar holding one image made of the given uncompressed layers.
fn oci_archive(layers: &[Vec<u8>], name: &str) -> Vec<u8> {
    let mut t = Tar::default();
    t.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    let mut descs = Vec::new();
    let mut diffs = Vec::new();
    for l in layers {
        let hex = sha256_hex(l);
        t.file(&format!("blobs/sha256/{hex}"), l);
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": format!("sha256:{hex}"), "size": l.len(),
        }));
        diffs.push(format!("sha256:{hex}"));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diffs},
    }))
    .unwrap();
    let chex = sha256_hex(&config);
    t.file(&format!("blobs/sha256/{chex}"), &config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": format!("sha256:{chex}"), "size": config.len()},
        "layers": descs,
    }))
    .unwrap();
    let mhex = sha256_hex(&manifest);
    t.file(&format!("blobs/sha256/{mhex}"), &manifest);
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": format!("sha256:{mhex}"), "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": name}}],
    }))
    .unwrap();
    t.file("index.json", &index);
    t.finish()
}

#[test]
fn snapshots_stack_as_overlayfs_lower_dirs_with_whiteouts() {
    let base = Tar::default()
        .file("a", b"a")
        .file("b", b"b")
        .dir("d")
        .file("d/x", b"x")
        .finish();
    let top = Tar::default()
        .file(".wh.a", b"")
        .dir("d")
        .file("d/.wh..wh..opq", b"")
        .file("d/y", b"y")
        .finish();
    let tmp = tempfile::tempdir().unwrap();
    let p = write_tar(tmp.path(), "two.tar", &oci_archive(&[base, top], "stack:1"));
    let s = Store::new();
    assert_eq!(
        s.ok(&["load", "-i", p.to_str().unwrap()]).trim(),
        "Loaded image: stack:1"
    );
    let lower = s.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.GraphDriver.Data.LowerDir}}",
        "stack:1",
    ]);
    assert_eq!(lower.trim().split(':').count(), 2);

    // Mount the snapshots the way the runtime will and look at the result.
    let mnt = tmp.path().join("merged");
    fs::create_dir(&mnt).unwrap();
    let out = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o"])
        .arg(format!("ro,lowerdir={}", lower.trim()))
        .arg(&mnt)
        .output()
        .unwrap();
    assert!(out.status.success(), "mount: {}", stderr_of(&out));
    // Read without panicking so the mount is always undone.
    let list = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let seen = (list(&mnt), list(&mnt.join("d")));
    let _ = Command::new("umount").arg(&mnt).status();
    assert_eq!(seen.0, ["b", "d"], "the whiteout hides a");
    assert_eq!(seen.1, ["y"], "the opaque dir hides d/x");
}
