//! faas-cli's side of the tests: it shells out to `docker`, here a link
//! to skiff on PATH, in the function's directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{skiff_bin, Store};

/// `docker -> skiff` in a directory of its own (as users put it on PATH),
/// run in `dir` against `store`.
pub struct DockerLink<'a> {
    _bin: tempfile::TempDir,
    pub path: PathBuf,
    store: &'a Store,
    dir: &'a Path,
}

impl<'a> DockerLink<'a> {
    pub fn new(store: &'a Store, dir: &'a Path) -> DockerLink<'a> {
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
        c.env("SKIFF_ROOT", self.store.root()).current_dir(self.dir);
        c
    }

    /// `docker ARGS` with `env` set; the whole output.
    pub fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        self.command()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap()
    }
}
