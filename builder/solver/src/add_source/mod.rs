//! ADD's remote sources, told apart as BuildKit's dockerfile frontend does:
//! a git reference first (`git_ref`), then an http(s) URL (`http`), else a
//! local path. Both are fetched into a private temp dir that then serves as
//! the copy's source tree.

pub mod git;
pub mod git_ref;
pub mod http;

/// One ADD source.
#[derive(Debug, Clone)]
pub enum Remote {
    Local(String),
    Http(String),
    Git(git_ref::GitRef),
}

/// Classify `src`; a malformed git reference (a git URL with a bad query)
/// is an error, as in BuildKit.
pub fn classify(src: &str) -> Result<Remote, String> {
    match git_ref::parse(src) {
        Some(Ok(r)) => return Ok(Remote::Git(r)),
        Some(Err(e)) => return Err(format!("{src}: {e}")),
        None => {}
    }
    if http::is_http(src) {
        Ok(Remote::Http(src.to_string()))
    } else {
        Ok(Remote::Local(src.to_string()))
    }
}
