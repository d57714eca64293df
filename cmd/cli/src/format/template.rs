//! The one Go text/template engine behind every `--format` (images, ps,
//! inspect, version, volume, stats, system df).
//!
//! Written here rather than taken from a crate: docker evaluates templates
//! against Go structs, where an unknown field is an error, and skiff's rows
//! are serde_json values; the one pure-Rust text/template crate (gtmpl) has
//! its own value model to convert into, has not been released for years and
//! would still need docker's functions (json, join, split, title, ...) added.
//! The language docker users write on a command line is small: this module
//! parses it (`parse.rs`) and evaluates it here.
//!
//! Supported: literal text, `{{.A.B}}`, `{{.}}`, `{{$}}`, `{{- trim -}}`,
//! string/number/bool literals, pipelines (`{{.A | json}}`), parenthesised
//! calls, `if`/`else if`/`else`, `range`, `with`, and the functions `json`,
//! `index`, `join`, `split`, `lower`, `upper`, `title`, `len`, `pad`,
//! `truncate`, `print`, `println`, `eq`, `ne`, `not`, `and`, `or`.

use serde_json::Value;

use super::parse::{parse, Arg, Cmd, Node, Pipeline};

/// A template error, worded like Go's (`template: ...`).
#[derive(Debug)]
pub struct TemplateError(pub String);

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TemplateError {}

pub(super) fn err(msg: impl Into<String>) -> TemplateError {
    TemplateError(format!("template: {}", msg.into()))
}

/// A parsed template, ready to render any number of values.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
}

impl Template {
    /// Parse a template as typed on the command line: docker turns a
    /// literal `\t` / `\n` into a tab / newline first.
    pub fn parse(src: &str) -> Result<Template, TemplateError> {
        let src = src.replace("\\t", "\t").replace("\\n", "\n");
        Ok(Template {
            nodes: parse(&src)?,
        })
    }

    pub fn render(&self, data: &Value) -> Result<String, TemplateError> {
        let mut out = String::new();
        let scope = Scope {
            dot: data,
            root: data,
        };
        exec(&self.nodes, &scope, &mut out)?;
        Ok(out)
    }

    /// The header line of a `table` template: each action becomes the title
    /// of the first field it names (`titles`, else the field in capitals).
    pub fn render_header(&self, titles: &dyn Fn(&str) -> String) -> String {
        let mut out = String::new();
        header(&self.nodes, titles, &mut out);
        out
    }
}

#[derive(Clone, Copy)]
struct Scope<'a> {
    dot: &'a Value,
    root: &'a Value,
}

fn exec(nodes: &[Node], s: &Scope, out: &mut String) -> Result<(), TemplateError> {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => out.push_str(&display(&pipeline(p, s)?)),
            Node::If { cond, then, other } => {
                if truthy(&pipeline(cond, s)?) {
                    exec(then, s, out)?;
                } else {
                    exec(other, s, out)?;
                }
            }
            Node::With { cond, then, other } => {
                let v = pipeline(cond, s)?;
                if truthy(&v) {
                    exec(
                        then,
                        &Scope {
                            dot: &v,
                            root: s.root,
                        },
                        out,
                    )?;
                } else {
                    exec(other, s, out)?;
                }
            }
            Node::Range { over, body, other } => {
                let v = pipeline(over, s)?;
                let items: Vec<&Value> = match &v {
                    Value::Array(a) => a.iter().collect(),
                    Value::Object(m) => m.values().collect(),
                    Value::Null => Vec::new(),
                    other => {
                        return Err(err(format!("range can't iterate over {}", display(other))))
                    }
                };
                if items.is_empty() {
                    exec(other, s, out)?;
                }
                for it in items {
                    exec(
                        body,
                        &Scope {
                            dot: it,
                            root: s.root,
                        },
                        out,
                    )?;
                }
            }
        }
    }
    Ok(())
}

fn pipeline(p: &Pipeline, s: &Scope) -> Result<Value, TemplateError> {
    let mut piped: Option<Value> = None;
    for cmd in &p.cmds {
        piped = Some(command(cmd, s, piped.take(), &p.text)?);
    }
    piped.ok_or_else(|| err(format!("missing value in {{{{{}}}}}", p.text)))
}

fn command(c: &Cmd, s: &Scope, piped: Option<Value>, text: &str) -> Result<Value, TemplateError> {
    if let Some(Arg::Func(name)) = c.args.first() {
        let mut args = c.args[1..]
            .iter()
            .map(|a| arg(a, s, text))
            .collect::<Result<Vec<_>, _>>()?;
        args.extend(piped);
        return call(name, &args, text);
    }
    if c.args.len() != 1 || piped.is_some() {
        return Err(err(format!(
            "{{{{{text}}}}}: can't give argument to non-function"
        )));
    }
    arg(&c.args[0], s, text)
}

fn arg(a: &Arg, s: &Scope, text: &str) -> Result<Value, TemplateError> {
    match a {
        Arg::Dot(path) => field(s.dot, path, text),
        Arg::Root(path) => field(s.root, path, text),
        Arg::Str(v) => Ok(Value::String(v.clone())),
        Arg::Num(n) => Ok(n.clone()),
        Arg::Bool(b) => Ok(Value::Bool(*b)),
        Arg::Sub(p) => pipeline(p, s),
        Arg::Func(name) => call(name, &[], text),
    }
}

/// `.A.B`: an unknown field is an error, as on docker's Go structs.
fn field(v: &Value, path: &[String], text: &str) -> Result<Value, TemplateError> {
    let mut cur = v;
    for f in path {
        // docker's templates see Go field names, its JSON has keys whose
        // acronyms are cased otherwise (`.Server.APIVersion`, "ApiVersion").
        let go_name = || match cur {
            Value::Object(m) => m
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(f))
                .map(|e| e.1),
            _ => None,
        };
        cur = cur.get(f).or_else(go_name).ok_or_else(|| {
            err(format!(
                "executing {{{{{text}}}}}: can't evaluate field {f}"
            ))
        })?;
    }
    Ok(cur.clone())
}

fn call(name: &str, args: &[Value], text: &str) -> Result<Value, TemplateError> {
    let want = |n: usize| -> Result<(), TemplateError> {
        if args.len() == n {
            Ok(())
        } else {
            Err(err(format!(
                "{{{{{text}}}}}: wrong number of args for {name}: want {n} got {}",
                args.len()
            )))
        }
    };
    let text_of = |v: &Value| display(v);
    Ok(match name {
        "json" => {
            want(1)?;
            Value::String(serde_json::to_string(&args[0]).map_err(|e| err(e.to_string()))?)
        }
        "index" => {
            let Some((base, keys)) = args.split_first() else {
                return Err(err("index of nothing"));
            };
            let mut cur = base.clone();
            for k in keys {
                cur = match (&cur, k) {
                    (Value::Object(m), k) => m.get(&text_of(k)).cloned().unwrap_or(Value::Null),
                    (Value::Array(a), Value::Number(n)) => n
                        .as_u64()
                        .and_then(|i| a.get(i as usize))
                        .cloned()
                        .ok_or_else(|| err(format!("index out of range: {n}")))?,
                    (Value::Null, _) => Value::Null,
                    _ => {
                        return Err(err(format!(
                            "can't index {} with {}",
                            display(&cur),
                            text_of(k)
                        )))
                    }
                };
            }
            cur
        }
        "join" => {
            want(2)?;
            let items = match &args[0] {
                Value::Array(a) => a.iter().map(display).collect::<Vec<_>>(),
                other => vec![display(other)],
            };
            Value::String(items.join(&text_of(&args[1])))
        }
        "split" => {
            want(2)?;
            let sep = text_of(&args[1]);
            let s = text_of(&args[0]);
            Value::Array(
                s.split(sep.as_str())
                    .map(|p| Value::String(p.into()))
                    .collect(),
            )
        }
        "lower" => {
            want(1)?;
            Value::String(text_of(&args[0]).to_lowercase())
        }
        "upper" => {
            want(1)?;
            Value::String(text_of(&args[0]).to_uppercase())
        }
        "title" => {
            want(1)?;
            Value::String(title(&text_of(&args[0])))
        }
        "len" => {
            want(1)?;
            let n = match &args[0] {
                Value::Array(a) => a.len(),
                Value::Object(m) => m.len(),
                Value::String(s) => s.len(),
                other => return Err(err(format!("len of {}", display(other)))),
            };
            Value::from(n)
        }
        "pad" => {
            want(3)?;
            let n = |v: &Value| v.as_u64().unwrap_or(0) as usize;
            Value::String(format!(
                "{}{}{}",
                " ".repeat(n(&args[1])),
                text_of(&args[0]),
                " ".repeat(n(&args[2]))
            ))
        }
        "truncate" => {
            want(2)?;
            let n = args[1].as_u64().unwrap_or(0) as usize;
            Value::String(text_of(&args[0]).chars().take(n).collect())
        }
        "print" => Value::String(args.iter().map(display).collect::<Vec<_>>().concat()),
        "println" => Value::String(args.iter().map(display).collect::<Vec<_>>().join(" ") + "\n"),
        "eq" | "ne" => {
            want(2)?;
            Value::Bool((args[0] == args[1]) == (name == "eq"))
        }
        "not" => {
            want(1)?;
            Value::Bool(!truthy(&args[0]))
        }
        "and" => args
            .iter()
            .find(|v| !truthy(v))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        "or" => args
            .iter()
            .find(|v| truthy(v))
            .or(args.last())
            .cloned()
            .unwrap_or(Value::Null),
        other => return Err(err(format!("function {other:?} not defined"))),
    })
}

/// Go's strings.Title: the first letter of each word in capitals.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

/// Go's truth: false, 0, empty and nil are false.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

/// A value printed the way Go's text/template prints it.
pub fn display(v: &Value) -> String {
    match v {
        Value::Null => "<no value>".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(display).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", display(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
        other => other.to_string(),
    }
}

fn header(nodes: &[Node], titles: &dyn Fn(&str) -> String, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) => {
                out.push_str(&p.first_field().map(|f| titles(&f)).unwrap_or_default())
            }
            Node::If { then, .. } => header(then, titles, out),
            Node::With { cond: p, .. } | Node::Range { over: p, .. } => {
                out.push_str(&p.first_field().map(|f| titles(&f)).unwrap_or_default())
            }
        }
    }
}

/// A column title from a field name: `CreatedSince` -> `CREATED SINCE`.
pub fn auto_title(field: &str) -> String {
    let mut h = String::new();
    let mut prev: Option<char> = None;
    for c in field.chars() {
        if c.is_uppercase() && prev.is_some_and(|p| !p.is_uppercase() && p != '.') {
            h.push(' ');
        }
        h.extend(c.to_uppercase());
        prev = Some(c);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(t: &str, v: &Value) -> String {
        Template::parse(t).unwrap().render(v).unwrap()
    }

    #[test]
    fn fields_json_and_go_printing() {
        let v = json!({"Repository": "busybox", "Tag": "latest", "Config": {"Cmd": ["sh"], "Labels": {"a": "b"}}, "N": 0, "Z": null});
        assert_eq!(r("{{.Repository}}:{{.Tag}}", &v), "busybox:latest");
        assert_eq!(r("{{json .Config.Cmd}}", &v), r#"["sh"]"#);
        assert_eq!(r("{{.Config.Cmd}}", &v), "[sh]");
        assert_eq!(r("{{.Config.Labels}}", &v), "map[a:b]");
        assert_eq!(r("{{ .N }} {{.Z}}", &v), "0 <no value>");
        assert_eq!(r("{{.Config.Cmd | json}}", &v), r#"["sh"]"#);
        assert_eq!(
            r(
                "{{index .Config.Labels \"a\"}}{{index .Config.Labels \"x\"}}",
                &v
            ),
            "b<no value>"
        );
        assert_eq!(r("{{$.Tag}}", &v), "latest");
    }

    #[test]
    fn functions() {
        let v = json!({"S": "a,b", "L": ["x", "y"], "W": "hello world"});
        assert_eq!(r("{{join .L \", \"}}", &v), "x, y");
        assert_eq!(r("{{split .S \",\"}}", &v), "[a b]");
        assert_eq!(r("{{join (split .S \",\") \"+\"}}", &v), "a+b");
        assert_eq!(
            r("{{upper .W}} {{lower \"AB\"}} {{title .W}}", &v),
            "HELLO WORLD ab Hello World"
        );
        assert_eq!(r("{{len .L}} {{truncate .W 4}}", &v), "2 hell");
    }

    #[test]
    fn control_structures() {
        let v = json!({"L": [{"N": "a"}, {"N": "b"}], "E": [], "T": true, "M": {"K": "v"}});
        assert_eq!(r("{{range .L}}{{.N}};{{end}}", &v), "a;b;");
        assert_eq!(r("{{range .E}}x{{else}}none{{end}}", &v), "none");
        assert_eq!(r("{{if .T}}yes{{else}}no{{end}}", &v), "yes");
        assert_eq!(r("{{if .E}}1{{else if .T}}2{{else}}3{{end}}", &v), "2");
        assert_eq!(r("{{with .M}}{{.K}}{{end}}", &v), "v");
        assert_eq!(r("a  {{- .M.K -}}  b", &v), "avb");
        assert_eq!(r("{{if eq .M.K \"v\"}}same{{end}}", &v), "same");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let v = json!({"A": 1});
        let e = Template::parse("{{.Nope}}")
            .unwrap()
            .render(&v)
            .unwrap_err();
        assert!(e.to_string().contains("Nope"), "{e}");
        assert!(Template::parse("{{range .}}").is_err());
        assert!(Template::parse("{{.A").is_err());
        assert!(Template::parse("{{end}}").is_err());
        let e = Template::parse("{{nosuch .A}}")
            .unwrap()
            .render(&v)
            .unwrap_err();
        assert!(e.to_string().contains("nosuch"), "{e}");
    }

    #[test]
    fn escapes_and_headers() {
        let t = Template::parse("{{.ID}}\\t{{json .CreatedSince}}\\n").unwrap();
        assert_eq!(t.render_header(&|f| auto_title(f)), "ID\tCREATED SINCE\n");
        assert_eq!(auto_title("Repository"), "REPOSITORY");
        assert_eq!(auto_title("PIDs"), "PIDS");
        assert_eq!(auto_title("Config.WorkingDir"), "CONFIG.WORKING DIR");
        assert_eq!(auto_title("ÉtéÀ"), "ÉTÉ À");
    }
}
