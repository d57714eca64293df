//! Output the docker way, in one place: the Go-template engine behind every
//! `--format`, docker's tables, human-readable sizes and durations, and
//! writing to stdout without dying on a closed pipe.

mod parse;
mod table;
mod template;
mod units;

use std::io::Write;

use serde_json::Value;

pub use table::{render_each, render_list, Columns};
pub use template::Template;
pub use units::{bytes_size, human_duration, human_size, human_size_prec, since_rfc3339};

/// `inspect`-style output: docker's 4-space indented JSON array, or one
/// rendered template per item (no `table` here, as in docker).
pub fn render_inspect(items: &[Value], format: Option<&str>) -> anyhow::Result<String> {
    match format {
        None | Some("json") | Some("") => {
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(items, &mut ser)?;
            buf.push(b'\n');
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        Some(t) => render_each(&Template::parse(t)?, items),
    }
}

/// Write to stdout. A closed pipe (`skiff images | head -1`) is not an
/// error worth reporting: the reader has all it wanted.
pub fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A listing's `--format` output (see [`render_list`]) on stdout, marked as
/// the end of the command's work for `--debug-timing`.
pub fn print_list(format: Option<&str>, cols: &Columns, rows: &[Value]) -> anyhow::Result<()> {
    emit(&render_list(format, cols, rows)?);
    skiff_core::timing::mark("table written");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Every inspect (image, container, volume, network) prints docker's
    /// 4-space array; network inspect used to print 2 spaces.
    #[test]
    fn inspect_is_a_four_space_array_or_one_line_per_item() {
        let items = [json!({"Id": "a"}), json!({"Id": "b"})];
        let out = render_inspect(&items, None).unwrap();
        assert!(out.starts_with("[\n    {\n        \"Id\": \"a\""), "{out}");
        assert!(out.ends_with("]\n"));
        assert_eq!(render_inspect(&items, Some("{{.Id}}")).unwrap(), "a\nb\n");
        // No table prefix for inspect: docker treats it as literal text.
        assert_eq!(
            render_inspect(&items[..1], Some("table {{.Id}}")).unwrap(),
            "table a\n"
        );
    }
}
