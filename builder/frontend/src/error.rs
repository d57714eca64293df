//! The frontend's error type: a message plus the Dockerfile lines it is about.

use std::fmt;

/// A 1-based, inclusive range of physical lines in the Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct LineRange {
    pub start: usize,
    pub end: usize,
}

impl LineRange {
    pub fn new(start: usize, end: usize) -> LineRange {
        LineRange { start, end }
    }

    pub fn line(line: usize) -> LineRange {
        LineRange {
            start: line,
            end: line,
        }
    }
}

impl fmt::Display for LineRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.start)
    }
}

/// Any problem that stops parsing or planning. `Display` is the plain
/// message (as BuildKit's `Error()`); use [`Error::with_file`] to render
/// `file:line: message` for users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub message: String,
    pub location: Option<LineRange>,
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            location: None,
        }
    }

    pub fn at(message: impl Into<String>, location: LineRange) -> Error {
        Error {
            message: message.into(),
            location: Some(location),
        }
    }

    /// Attach a location unless the error already has one.
    pub fn located(mut self, location: LineRange) -> Error {
        if self.location.is_none() {
            self.location = Some(location);
        }
        self
    }

    /// `Dockerfile:12: message`, or `Dockerfile: message` without a line.
    pub fn with_file(&self, file: &str) -> String {
        match self.location {
            Some(l) => format!("{file}:{}: {}", l.start, self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
