//! faas-cli's side of the tests: it shells out to `docker`, here a link
//! to skiff on PATH, in the function's directory.

use std::path::PathBuf;
use std::process::{Command, Output};

use super::{skiff_bin, text, Store};

/// `docker -> skiff` in a directory of its own (as users put it on PATH),
/// run in the function's directory `dir` against `store`; it holds both,
/// so they live as long as the link.
pub struct DockerLink {
    _bin: tempfile::TempDir,
    pub path: PathBuf,
    pub store: Store,
    pub dir: tempfile::TempDir,
}

impl DockerLink {
    pub fn new(store: Store, dir: tempfile::TempDir) -> DockerLink {
        let bin = tempfile::tempdir().unwrap();
        let path = bin.path().join("docker");
        std::os::unix::fs::symlink(skiff_bin(), &path).unwrap();
        DockerLink {
            _bin: bin,
            path,
            store,
            dir,
        }
    }

    /// `docker`, no arguments yet, on the store and in the directory.
    pub fn command(&self) -> Command {
        let mut c = Command::new(&self.path);
        c.env("SKIFF_ROOT", self.store.root())
            .current_dir(self.dir.path());
        c
    }

    /// `docker ARGS` with `env` set, which must succeed (as every call
    /// faas-cli makes must, for it to go on); the whole output.
    pub fn ok(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let out = self
            .command()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker {args:?}: {}", text(&out));
        out
    }
}
