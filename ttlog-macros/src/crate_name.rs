//! The name under which the crate being compiled depends on `ttlog`, read
//! from its Cargo.toml: `tt = { package = "ttlog", .. }` makes it `tt`.
//!
//! `#[ttlog]` and `#[derive(Record)]` expand to paths into the runtime, and
//! an attribute macro has no `$crate`. This reads only what it needs of the
//! manifest, the keys of the dependency tables and their `package`, with a
//! small scanner rather than a TOML parser: a TOML parser (`toml_edit`,
//! through `proc-macro-crate`) costs a clean build as much as syn does.
//!
//! What counts: the tables `[dependencies]`, `[dev-dependencies]`,
//! `[build-dependencies]`, their `[target.'…'.…]` forms and the dotted
//! `[dependencies.NAME]` forms, with entries `NAME = "1"`, `NAME = { … }`
//! (an inline table, also over several lines), `NAME.package = "ttlog"`; and
//! for `NAME = { workspace = true }`, the workspace's
//! `[workspace.dependencies]` entry of that name, in the nearest manifest
//! above that has a `[workspace]` table. A name given as a TOML string
//! (`"my-log" = …`) counts too. The name a crate's code uses is the key with
//! `-` as `_`.

use std::path::{Path, PathBuf};

/// A dependency entry: its key, the package it names (the key when it does
/// not say), and whether it inherits from the workspace.
#[derive(Debug, Default, PartialEq, Eq)]
struct Dep {
    key: String,
    package: Option<String>,
    workspace: bool,
}

/// What a table header is, for this.
#[derive(Debug, PartialEq, Eq)]
enum Table {
    /// A table of dependencies (`[dependencies]`, `[workspace.dependencies]`…).
    Deps {
        workspace: bool,
    },
    /// One dependency's own table (`[dependencies.NAME]`).
    Dep {
        workspace: bool,
    },
    /// `[package]`.
    Package,
    /// `[workspace]`.
    Workspace,
    Other,
}

const DEP_TABLES: [&str; 3] = ["dependencies", "dev-dependencies", "build-dependencies"];

/// The name the crate at `CARGO_MANIFEST_DIR` uses for `ttlog`, if its
/// manifest says (`None`: it is ttlog itself, has no such dependency, or the
/// manifest cannot be read: the caller uses `ttlog`).
pub(crate) fn ttlog_name() -> Option<String> {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    name_in(&dir, "ttlog", |p| std::fs::read_to_string(p).ok())
}

/// The name the crate in `dir` uses for `package`; `read` reads a file.
fn name_in(dir: &Path, package: &str, read: impl Fn(&Path) -> Option<String>) -> Option<String> {
    let text = read(&dir.join("Cargo.toml"))?;
    let manifest = scan(&text);
    if manifest.package_name.as_deref() == Some(package) {
        return None;
    }
    for d in &manifest.deps {
        if !d.workspace && d.package.as_deref().unwrap_or(&d.key) == package {
            return Some(d.key.replace('-', "_"));
        }
    }
    // Keys that inherit (`key = { workspace = true }`): the workspace's entry
    // of the key says the package.
    let keys: Vec<&str> = manifest.deps.iter().filter(|d| d.workspace).map(|d| &*d.key).collect();
    if keys.is_empty() {
        return None;
    }
    let mut up = dir.parent();
    while let Some(at) = up {
        if let Some(text) = read(&at.join("Cargo.toml")) {
            let ws = scan(&text);
            if ws.is_workspace {
                let found = ws
                    .workspace_deps
                    .iter()
                    .find(|d| keys.contains(&d.key.as_str()) && d.package.as_deref().unwrap_or(&d.key) == package);
                return found.map(|d| d.key.replace('-', "_"));
            }
        }
        up = at.parent();
    }
    None
}

/// What [`scan`] finds in a manifest.
#[derive(Debug, Default)]
struct Manifest {
    package_name: Option<String>,
    is_workspace: bool,
    deps: Vec<Dep>,
    workspace_deps: Vec<Dep>,
}

/// Reads the parts of a manifest that [`name_in`] needs.
fn scan(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut table = Table::Other;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = strip_comment(line);
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('[') {
            table = header(t, &mut m);
            continue;
        }
        let Some((key, value)) = split_key(t) else { continue };
        // An inline table may go on over the next lines (TOML 1.1).
        let mut value = value.to_owned();
        while value.starts_with('{') && !balanced(&value) {
            match lines.next() {
                Some(more) => {
                    value.push(' ');
                    value.push_str(strip_comment(more).trim());
                }
                None => break,
            }
        }
        match &table {
            Table::Package if key == ["name"] => m.package_name = string_value(&value),
            Table::Deps { workspace } => {
                let dep = match key.as_slice() {
                    [name] => Some(entry(name, &value)),
                    [name, field] if field == "package" => {
                        Some(Dep { key: name.clone(), package: string_value(&value), workspace: false })
                    }
                    [name, field] if field == "workspace" => {
                        Some(Dep { key: name.clone(), package: None, workspace: value.trim() == "true" })
                    }
                    _ => None,
                };
                if let Some(dep) = dep {
                    push(&mut m, *workspace, dep);
                }
            }
            Table::Dep { workspace } => {
                let list = if *workspace { &mut m.workspace_deps } else { &mut m.deps };
                if let Some(d) = list.last_mut() {
                    match key.as_slice() {
                        [k] if k == "package" => d.package = string_value(&value),
                        [k] if k == "workspace" => d.workspace = value.trim() == "true",
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    m
}

/// Adds `dep`, or what it says to the entry of the same key (dotted keys
/// give one entry in several lines).
fn push(m: &mut Manifest, workspace: bool, dep: Dep) {
    let list = if workspace { &mut m.workspace_deps } else { &mut m.deps };
    match list.iter_mut().find(|d| d.key == dep.key) {
        Some(d) => {
            d.package = d.package.take().or(dep.package);
            d.workspace |= dep.workspace;
        }
        None => list.push(dep),
    }
}

/// What a table header starts.
fn header(t: &str, m: &mut Manifest) -> Table {
    let inner = t.trim_start_matches('[').trim_end_matches(']');
    let parts = split_dotted(inner);
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    match parts.as_slice() {
        ["package"] => Table::Package,
        ["workspace"] => {
            m.is_workspace = true;
            Table::Workspace
        }
        ["workspace", "dependencies"] => {
            m.is_workspace = true;
            Table::Deps { workspace: true }
        }
        ["workspace", "dependencies", name] => {
            m.is_workspace = true;
            push(m, true, Dep { key: (*name).to_owned(), ..Dep::default() });
            Table::Dep { workspace: true }
        }
        [table] | ["target", _, table] if DEP_TABLES.contains(table) => Table::Deps { workspace: false },
        [table, name] | ["target", _, table, name] if DEP_TABLES.contains(table) => {
            push(m, false, Dep { key: (*name).to_owned(), ..Dep::default() });
            Table::Dep { workspace: false }
        }
        ["workspace", ..] => {
            m.is_workspace = true;
            Table::Other
        }
        _ => Table::Other,
    }
}

/// A dependency given as `name = VALUE`.
fn entry(name: &str, value: &str) -> Dep {
    let v = value.trim();
    let mut d = Dep { key: name.to_owned(), ..Dep::default() };
    if let Some(inner) = v.strip_prefix('{') {
        let inner = inner.trim_end().trim_end_matches('}');
        for field in split_top(inner, ',') {
            if let Some((k, v)) = split_key(field.trim()) {
                match k.as_slice() {
                    [k] if k == "package" => d.package = string_value(v),
                    [k] if k == "workspace" => d.workspace = v.trim() == "true",
                    _ => {}
                }
            }
        }
    }
    d
}

/// `line` without its comment (a `#` outside strings).
fn strip_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '#') => return &line[..i],
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    line
}

/// Whether the braces of `s` (outside strings) close.
fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut quote = None;
    for c in s.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '{') => depth += 1,
            (None, '}') => depth -= 1,
            _ => {}
        }
    }
    depth <= 0
}

/// `KEY = VALUE`: the key's dotted parts, unquoted, and the value's text.
fn split_key(t: &str) -> Option<(Vec<String>, &str)> {
    let mut quote = None;
    for (i, c) in t.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => {
                let key = split_dotted(t[..i].trim());
                return (!key.is_empty()).then(|| (key, t[i + 1..].trim()));
            }
            _ => {}
        }
    }
    None
}

/// The parts of a dotted key or table name, unquoted.
fn split_dotted(s: &str) -> Vec<String> {
    split_top(s, '.').into_iter().map(|p| unquote(p.trim())).filter(|p| !p.is_empty()).collect()
}

/// `s` split at `sep` outside strings and brackets.
fn split_top(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote = None;
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '{' | '[') => depth += 1,
            (None, '}' | ']') => depth -= 1,
            (None, c) if c == sep && depth == 0 => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_owned();
        }
    }
    s.to_owned()
}

/// The text of a TOML string value.
fn string_value(v: &str) -> Option<String> {
    let v = v.trim();
    let quoted = v.len() >= 2 && (v.starts_with('"') && v.ends_with('"') || v.starts_with('\'') && v.ends_with('\''));
    quoted.then(|| unquote(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn name(files: &[(&str, &str)]) -> Option<String> {
        let files: HashMap<PathBuf, String> = files.iter().map(|(p, t)| (PathBuf::from(p), (*t).to_owned())).collect();
        name_in(Path::new("/ws/app"), "ttlog", |p| files.get(p).cloned())
    }

    fn app(manifest: &str) -> Option<String> {
        name(&[("/ws/app/Cargo.toml", manifest)])
    }

    #[test]
    fn plain_and_renamed() {
        assert_eq!(app("[package]\nname = \"app\"\n[dependencies]\nttlog = \"0.2\"\n"), Some("ttlog".into()));
        assert_eq!(app("[dependencies]\ntt = { package = \"ttlog\", version = \"0.2\" }\n"), Some("tt".into()));
        assert_eq!(
            app("[dependencies]\nmy-log = { version = \"0.2\", package = 'ttlog', features = [\"log\", \"a,b\"] }\n"),
            Some("my_log".into())
        );
        assert_eq!(app("[dependencies]\n\"my-log\" = { package = \"ttlog\" }\n"), Some("my_log".into()));
        assert_eq!(app("[dependencies]\nserde = \"1\"\n"), None);
        // ttlog itself.
        assert_eq!(app("[package]\nname = \"ttlog\"\n[dev-dependencies]\nttlog-decode = \"0.2\"\n"), None);
        // Another package's key named ttlog is not ttlog.
        assert_eq!(app("[dependencies]\nttlog = { package = \"other\" }\n"), None);
    }

    #[test]
    fn every_table_form() {
        assert_eq!(app("[dev-dependencies]\nt2 = { package = \"ttlog\" }\n"), Some("t2".into()));
        assert_eq!(app("[build-dependencies]\nt3 = { package = \"ttlog\" }\n"), Some("t3".into()));
        assert_eq!(app("[target.'cfg(unix)'.dependencies]\nt4 = { package = \"ttlog\" }\n"), Some("t4".into()));
        assert_eq!(
            app("[target.\"cfg(target_os = \\\"linux\\\")\".dependencies]\nt5 = { package = \"ttlog\" }\n"),
            Some("t5".into())
        );
        assert_eq!(app("[dependencies.t6]\nversion = \"0.2\"\npackage = \"ttlog\"\n"), Some("t6".into()));
        assert_eq!(app("[dependencies]\nt7.package = \"ttlog\"\nt7.version = \"0.2\"\n"), Some("t7".into()));
        assert_eq!(
            app("[dependencies]\nt8 = {\n  version = \"0.2\", # a comment\n  package = \"ttlog\",\n}\n"),
            Some("t8".into())
        );
        // Comments and look-alikes in strings.
        assert_eq!(
            app(
                "# [dependencies]\n[package]\nname = \"a#b\" # ttlog\n[dependencies]\n# t9 = { package = \"ttlog\" }\n"
            ),
            None
        );
    }

    #[test]
    fn inherited_from_the_workspace() {
        let ws = "[workspace]\nmembers = [\"app\"]\n[workspace.dependencies]\nlogs = { package = \"ttlog\", path = \"t\" }\n";
        assert_eq!(
            name(&[("/ws/app/Cargo.toml", "[dependencies]\nlogs = { workspace = true }\n"), ("/ws/Cargo.toml", ws)]),
            Some("logs".into())
        );
        assert_eq!(
            name(&[("/ws/app/Cargo.toml", "[dependencies]\nlogs.workspace = true\n"), ("/ws/Cargo.toml", ws)]),
            Some("logs".into())
        );
        let plain = "[workspace]\n[workspace.dependencies]\nttlog = { path = \"t\" }\n";
        assert_eq!(
            name(&[
                ("/ws/app/Cargo.toml", "[dependencies]\nttlog = { workspace = true }\n"),
                ("/ws/Cargo.toml", plain)
            ]),
            Some("ttlog".into())
        );
        let dotted = "[workspace]\n[workspace.dependencies.lg]\npackage = \"ttlog\"\n";
        assert_eq!(
            name(&[("/ws/app/Cargo.toml", "[dependencies]\nlg = { workspace = true }\n"), ("/ws/Cargo.toml", dotted)]),
            Some("lg".into())
        );
        // A manifest between the crate and the workspace that is not one.
        assert_eq!(
            name(&[
                ("/ws/app/Cargo.toml", "[dependencies]\nlogs = { workspace = true }\n"),
                ("/ws/Cargo.toml", ws),
                ("/Cargo.toml", "[workspace]\n[workspace.dependencies]\nlogs = { package = \"other\" }\n"),
            ]),
            Some("logs".into())
        );
        // No workspace manifest.
        assert_eq!(name(&[("/ws/app/Cargo.toml", "[dependencies]\nlogs = { workspace = true }\n")]), None);
    }

    #[test]
    fn odd_input_does_not_panic() {
        for text in
            ["[", "]", "=", "a =", "[dependencies]\n= 1", "[dependencies]\nx = {", "\"", "[dependencies.]\n", "x.=1"]
        {
            let _ = app(text);
        }
        assert_eq!(app("[dependencies]\nt = { package = \"ttlog\""), Some("t".into()));
    }
}
