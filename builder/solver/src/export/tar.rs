//! `type=tar`: the final filesystem as one tar (`-` is stdout).

use std::fs;
use std::io::Write;

use skiff_store::Store;

use crate::error::{io_at, Result};
use crate::layer::{write_dir_tar, TarOptions};
use crate::solve::BuildResult;

use super::{export_rootfs, writer};

/// The final filesystem as a tar.
pub fn export_tar(store: &Store, result: &BuildResult, dest: &str) -> Result<()> {
    let tmp = store.create_temp_dir("export")?;
    let r = (|| -> Result<()> {
        export_rootfs(result, &tmp)?;
        let w = writer(dest)?;
        let (mut w, _) = write_dir_tar(&tmp, w, &TarOptions::default())?;
        w.flush().map_err(io_at(dest))
    })();
    let _ = fs::remove_dir_all(&tmp);
    r
}
