//! The layering, checked by reading `src/`: calls go surface → service → store, never back.
//!
//! - **Surfaces** parse HTTP and render: `api`, `oauth`, `hosted_ui`, `admin`, `health`, `uploads`, with the shared
//!   web toolkit `web`. A surface never imports another surface; `web` imports none. Surfaces
//!   call services, never the store (they may name its row types, to render them).
//! - **Services** hold the rules: `userpool`, `authorization`, `tokens`, `federation`,
//!   `identity_pools`, `iam`, `events`, `operators`, `triggers`, `transfer` and `services.rs`. They import no web
//!   framework (actix-web), no template engine (askama) and no surface.
//! - **Adapters** talk to the outside below the services: `store` (the only place SQL is
//!   written) and `mail` (which renders and delivers mails). The store imports no service.
//! - No source file is longer than [`MAX_LINES`] lines.

#![cfg(test)]

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 600;

const SURFACES: &[&str] = &["api", "oauth", "hosted_ui", "admin", "health", "uploads"];
const SERVICES: &[&str] = &[
    "userpool",
    "authorization",
    "tokens",
    "federation",
    "identity_pools",
    "iam",
    "events",
    "operators",
    "transfer",
    "services",
    "triggers",
];

/// The top-level module a file belongs to (`src/userpool/auth.rs` → `userpool`).
fn module_of(path: &str) -> &str {
    let rest = path.strip_prefix("src/").unwrap_or(path);
    let first = rest.split('/').next().unwrap_or(rest);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// The code of a file without its comment lines (doc comments name other layers on purpose).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")).map(|(i, l)| (i + 1, l))
}

/// Whether `line` refers to module `m` of this crate (`crate::m::…`, `crate::m;`, `crate::m}`).
fn names_module(line: &str, m: &str) -> bool {
    let needle = format!("crate::{m}");
    line.match_indices(&needle).any(|(at, _)| {
        let next = line[at + needle.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Whether `line` holds SQL in a string literal.
fn has_sql(line: &str) -> bool {
    line.split('"').skip(1).step_by(2).any(|lit| {
        let upper = lit.trim_start();
        ["SELECT ", "INSERT INTO ", "DELETE FROM ", "CREATE TABLE ", "ALTER TABLE "]
            .iter()
            .any(|k| upper.starts_with(k))
            || (upper.starts_with("UPDATE ") && upper.contains(" SET "))
    }) || line.contains("sqlx::")
}

/// What is wrong with one file, as `path:line: reason` lines.
fn violations(path: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let module = module_of(path);
    let lines = text.lines().count();
    if lines > MAX_LINES {
        out.push(format!("{path}: {lines} lines, more than {MAX_LINES}"));
    }
    let is_surface = SURFACES.contains(&module);
    let is_service = SERVICES.contains(&module);
    for (n, line) in code_lines(text) {
        let mut bad = |why: String| out.push(format!("{path}:{n}: {why}"));
        if is_service || module == "store" {
            for lib in ["actix_web", "askama"] {
                if line.contains(&format!("{lib}::")) {
                    bad(format!("a {module} module imports {lib}"));
                }
            }
        }
        if is_service || module == "store" || module == "mail" || module == "web" {
            for s in SURFACES.iter().chain(["web", "startup"].iter()) {
                if *s != module && names_module(line, s) {
                    bad(format!("{module} imports the surface module {s}"));
                }
            }
        }
        if is_surface {
            for s in SURFACES.iter().filter(|s| **s != module) {
                if names_module(line, s) {
                    bad(format!("the surface {module} imports the surface {s}"));
                }
            }
        }
        if (is_surface || module == "web") && (line.contains(".store.") || line.trim_end().ends_with(".store")) {
            bad(format!("the surface {module} calls the store"));
        }
        if module == "store" {
            for s in SERVICES {
                if names_module(line, s) {
                    bad(format!("the store imports the service {s}"));
                }
            }
        }
        if module != "store" && has_sql(line) {
            bad("SQL outside src/store".into());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn src_follows_the_layering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "only {} files found under src/", files.len());
    let mut all = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("architecture.rs")) {
        let rel = file.strip_prefix(root).expect("under the crate").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(file).expect("a source file is UTF-8");
        all.extend(violations(&rel, &text));
    }
    assert!(all.is_empty(), "layering violations:\n{}", all.join("\n"));
}

#[test]
fn the_checker_catches_each_kind_of_violation() {
    let cases = [
        ("src/userpool/x.rs", "use actix_web::HttpResponse;", "imports actix_web"),
        ("src/tokens/x.rs", "    let t = askama::Template;", "imports askama"),
        ("src/identity_pools/x.rs", "use crate::api::ApiError;", "imports the surface module api"),
        ("src/federation/x.rs", "use crate::web::{cookie};", "imports the surface module web"),
        ("src/store/x.rs", "use crate::userpool::model::Pool;", "the store imports the service userpool"),
        ("src/api/x.rs", "use crate::hosted_ui::login;", "the surface api imports the surface hosted_ui"),
        ("src/hosted_ui/x.rs", "crate::oauth::POOL", "the surface hosted_ui imports the surface oauth"),
        ("src/web.rs", "use crate::oauth::POOL;", "web imports the surface module oauth"),
        ("src/userpool/x.rs", r#"let q = "SELECT id FROM users";"#, "SQL outside src/store"),
        ("src/api/x.rs", r#"x("UPDATE users SET a = 1")"#, "SQL outside src/store"),
        ("src/api/x.rs", "    let g = svc.store.groups_for_user(&id).await?;", "the surface api calls the store"),
        ("src/web.rs", "svc.store.get_domain(name)", "the surface web calls the store"),
        ("src/hosted_ui/x.rs", "    let user = svc.store", "the surface hosted_ui calls the store"),
    ];
    for (path, line, want) in cases {
        let found = violations(path, line);
        assert!(found.iter().any(|v| v.contains(want)), "{path}: {line:?} should be refused ({want}); got {found:?}");
    }
    let long = "fn f() {}\n".repeat(MAX_LINES + 1);
    assert!(violations("src/api/x.rs", &long).iter().any(|v| v.contains("more than")));
}

#[test]
fn allowed_references_pass() {
    let fine = [
        ("src/userpool/x.rs", "// see crate::web::client for the address"),
        ("src/userpool/x.rs", "use crate::store::users::UserRow;"),
        ("src/api/x.rs", "use crate::userpool::step::SELECT_MFA_TYPE;"),
        ("src/api/x.rs", r#"m.insert("SELECT_MFA_TYPE", v);"#),
        ("src/api/x.rs", "use crate::store::users::UserRow;"),
        ("src/oauth/x.rs", r#".insert_header(("Cache-Control", "no-store"))"#),
        ("src/oauth/x.rs", "crate::oauth::MAX_FORM"),
        ("src/hosted_ui/x.rs", "use crate::web::redirect;"),
        ("src/store/x.rs", r#"sqlx::query("SELECT 1")"#),
        ("src/userpool/x.rs", "use crate::apiary::Hive;"),
    ];
    for (path, line) in fine {
        assert_eq!(violations(path, line), Vec::<String>::new(), "{path}: {line:?}");
    }
}
