//! Flags the object groups (`volume`, `network`) share.

use clap::Args as ClapArgs;

/// `ls`: IDs/names only, or docker's `--format`.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct ListArgs {
    /// Only display names or IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format output using a custom template: 'table', 'table TEMPLATE', 'json', 'TEMPLATE'
    #[arg(long)]
    pub format: Option<String>,
}

/// `inspect NAME...`: docker's JSON array, or a Go template per object.
#[derive(Debug, Default, Clone, ClapArgs)]
pub struct InspectArgs {
    /// Format output using a Go template
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    #[arg(required = true)]
    pub names: Vec<String>,
}
