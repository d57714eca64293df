//! `restart`: stop (the stop signal, SIGKILL after the timeout), count the
//! restart, start detached again. One call for the CLI, so it does not
//! reach into container state itself.

use crate::lifecycle::{self, StopOptions};
use crate::{state, Error, Layout, Result};

/// Restart container `id`, stopping it as `stop` would.
pub fn restart(layout: &Layout, id: &str, how: StopOptions) -> Result<()> {
    lifecycle::stop(layout, id, how)?;
    if !lifecycle::prepare_start(layout, id)? {
        return Err(Error::Invalid(format!("container {id} did not stop")));
    }
    state::update_state(&layout.container(id), true, |s| s.restart_count += 1)?;
    lifecycle::start_detached(layout, id)?;
    Ok(())
}
