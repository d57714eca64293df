//! What pull and push report while they work, for the CLI to render as
//! docker does (`a46fbb00284b: Pull complete`).

use std::sync::Arc;

/// The state of one layer (or config) during a transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    // pull
    PullingFsLayer,
    AlreadyExists,
    Downloading { done: u64, total: u64 },
    DownloadComplete,
    PullComplete,
    // push
    Preparing,
    Waiting,
    Pushing { done: u64, total: u64 },
    Pushed,
    LayerAlreadyExists,
    MountedFrom(String),
}

impl Status {
    /// docker's wording, without the progress bar.
    pub fn text(&self) -> String {
        match self {
            Status::PullingFsLayer => "Pulling fs layer".into(),
            Status::AlreadyExists => "Already exists".into(),
            Status::Downloading { .. } => "Downloading".into(),
            Status::DownloadComplete => "Download complete".into(),
            Status::PullComplete => "Pull complete".into(),
            Status::Preparing => "Preparing".into(),
            Status::Waiting => "Waiting".into(),
            Status::Pushing { .. } => "Pushing".into(),
            Status::Pushed => "Pushed".into(),
            Status::LayerAlreadyExists => "Layer already exists".into(),
            Status::MountedFrom(r) => format!("Mounted from {r}"),
        }
    }

    /// Byte counts are frequent; renderers without a progress bar skip them.
    pub fn is_progress(&self) -> bool {
        matches!(self, Status::Downloading { .. } | Status::Pushing { .. })
    }
}

#[derive(Debug, Clone)]
pub enum Event {
    /// A free-form line (`latest: Pulling from library/busybox`).
    Line(String),
    /// `<12 hex of the digest>: <status>`.
    Layer { id: String, status: Status },
}

/// Where events go; must be cheap and thread-safe (called from workers).
pub type Reporter = Arc<dyn Fn(Event) + Send + Sync>;

/// docker's 12-hex short form of a digest.
pub fn short(digest: &str) -> String {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    hex.chars().take(12).collect()
}

pub fn layer(report: &Reporter, digest: &str, status: Status) {
    report(Event::Layer {
        id: short(digest),
        status,
    });
}
