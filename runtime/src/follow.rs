//! Reading a detached container's json-file log, and following it (`logs
//! -f`) until the container stops.

use std::path::PathBuf;
use std::time::Duration;

use crate::logs::{self, Entry, ReadOptions};
use crate::{state, Layout};

/// Where the monitor writes container `id`'s log.
pub fn log_path(layout: &Layout, id: &str) -> PathBuf {
    layout.container(id).join("ctr.log")
}

/// Hand the entries `opts` selects to `sink`; with `follow`, go on handing
/// new ones until the container is no longer running (and the monitor's
/// last words are read).
pub fn read_log(
    layout: &Layout,
    id: &str,
    opts: &ReadOptions,
    follow: bool,
    mut sink: impl FnMut(&[Entry]),
) {
    let path = log_path(layout, id);
    let (entries, mut offset) = logs::read(&path, opts);
    sink(&entries);
    if !follow {
        return;
    }
    loop {
        let (more, off) = logs::read_from(&path, offset);
        offset = off;
        sink(&more);
        if more.is_empty() {
            let running = state::load(layout, id)
                .map(|r| r.is_running())
                .unwrap_or(false);
            if !running {
                let (last, _) = logs::read_from(&path, offset);
                sink(&last);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
