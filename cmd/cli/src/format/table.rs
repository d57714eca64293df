//! docker's `--format` for listings (`table`, `table TEMPLATE`, `json`,
//! `TEMPLATE`) and the aligned columns of its tabwriter. The `table` prefix
//! is docker's own convention, not Go's, so it lives here and not in the
//! template engine.

use serde_json::Value;

use super::template::{auto_title, Template};

/// What a listing prints by default and how its columns are titled.
pub struct Columns<'a> {
    /// docker's default table template for this listing.
    pub default: &'a str,
    /// Titles of the fields whose header is not just the name in capitals.
    pub titles: &'a [(&'a str, &'a str)],
}

impl Columns<'_> {
    fn title(&self, field: &str) -> String {
        self.titles
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, t)| t.to_string())
            .unwrap_or_else(|| auto_title(field))
    }
}

/// Render rows for `--format` (None is docker's default table).
pub fn render_list(format: Option<&str>, cols: &Columns, rows: &[Value]) -> anyhow::Result<String> {
    let format = format.unwrap_or("table");
    if format == "json" {
        let mut out = String::new();
        for r in rows {
            out.push_str(&serde_json::to_string(r)?);
            out.push('\n');
        }
        return Ok(out);
    }
    let Some(table) = format.strip_prefix("table") else {
        return render_each(&Template::parse(format)?, rows);
    };
    let table = table.trim_matches(' ');
    let tmpl = Template::parse(if table.is_empty() {
        cols.default
    } else {
        table
    })?;
    let mut text = tmpl.render_header(&|f| cols.title(f));
    text.push('\n');
    for r in rows {
        text.push_str(&tmpl.render(r)?);
        text.push('\n');
    }
    let cells: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect();
    Ok(tabulate(&cells))
}

/// One rendered template per item, each on its own line.
pub fn render_each(tmpl: &Template, items: &[Value]) -> anyhow::Result<String> {
    let mut out = String::new();
    for it in items {
        out.push_str(&tmpl.render(it)?);
        out.push('\n');
    }
    Ok(out)
}

/// docker's tabwriter settings (minwidth 10, padding 3): each column is as
/// wide as its widest cell plus 3, at least 10; the last is not padded.
pub fn tabulate(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max((c.chars().count() + 3).max(10));
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLS: Columns = Columns {
        default: "{{.Repository}}\t{{.ID}}",
        titles: &[("ID", "IMAGE ID")],
    };

    #[test]
    fn default_table_custom_table_json_and_plain() {
        let rows = [json!({"Repository": "busybox", "ID": "abc", "Tag": "1"})];
        let t = render_list(None, &COLS, &rows).unwrap();
        assert_eq!(t, "REPOSITORY   IMAGE ID\nbusybox      abc\n");
        assert_eq!(render_list(Some("table"), &COLS, &rows).unwrap(), t);
        let t = render_list(Some("table {{.Tag}}\\t{{.ID}}"), &COLS, &rows).unwrap();
        assert_eq!(t, "TAG       IMAGE ID\n1         abc\n");
        let j = render_list(Some("json"), &COLS, &rows).unwrap();
        assert_eq!(serde_json::from_str::<Value>(j.trim()).unwrap(), rows[0]);
        assert_eq!(render_list(Some("{{.Tag}}"), &COLS, &rows).unwrap(), "1\n");
    }

    /// ps padded its columns to the widest cell + 3 only; docker's
    /// tabwriter (minwidth 10) is what images already did and all now do.
    #[test]
    fn narrow_columns_are_at_least_ten_wide() {
        let t = tabulate(&[vec!["A".into(), "B".into()]]);
        assert_eq!(t, "A         B\n");
    }
}
