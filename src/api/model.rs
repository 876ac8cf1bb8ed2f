//! Request validation driven by Cognito's service models, kept in `src/api/model/`:
//! `cognito-idp` (`model/idp_shapes.txt`, `model/idp_ops.txt`) and `cognito-identity`
//! (`model/identity_ops.txt`, whose request members are spelled out per operation, with
//! `model/identity_shapes.txt` for the nested and named shapes it refers to). Checks required
//! members, string lengths, patterns and enums, integer ranges, list and map sizes, map keys and
//! values, nested structures — with AWS's wording ("1 validation error detected: Value … at '…'
//! failed to satisfy constraint: …"). Also says which actions each service signs with SigV4.

use regex::Regex;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

const SHAPES: &str = include_str!("model/idp_shapes.txt");
const OPS: &str = include_str!("model/idp_ops.txt");
const IDENTITY_SHAPES: &str = include_str!("model/identity_shapes.txt");
const IDENTITY_OPS: &str = include_str!("model/identity_ops.txt");
/// `DomainType` holds a prefix (`myapp`) or, with `CustomDomainConfig`, a custom domain's full
/// name (`auth.example.com`): so says the model's own documentation of the member, and Cognito
/// takes both, but the model's pattern and `max=63` describe one label only. Here each
/// dot-separated label must match the pattern, the whole name at most 253 characters (a DNS
/// name); the service decides which form a request may use.
const DOMAIN_TYPE: &str = "DomainType";

/// The string shapes AWS's models mark sensitive: a broken constraint's message leaves their
/// value out ("Value at 'password' …"); every other value is quoted ("Value 'x' at 'name' …").
const SENSITIVE_TYPES: &[&str] = &[
    "AttributeValueType",
    "ClientIdType",
    "ClientSecretType",
    "ConfirmationCodeType",
    "PasswordType",
    "SecretCodeType",
    "SecretHashType",
    "SessionType",
    "SoftwareTokenMFAUserCodeType",
    "TokenModelType",
    "UsernameType",
    "IdentityProviderToken",
    "OIDCToken",
    "SecretKeyString",
];

/// How a message names a string member's value: quoted, unless the member is sensitive.
fn value_of(m: &Member, s: &str) -> String {
    if SENSITIVE_TYPES.contains(&m.type_name.as_str()) { "Value".into() } else { format!("Value '{s}'") }
}
const MAX_DOMAIN_NAME: i64 = 253;

#[derive(Debug)]
struct Member {
    name: String,
    required: bool,
    type_name: String,
    kind: String,
    min: Option<i64>,
    max: Option<i64>,
    pattern: Option<Arc<Pattern>>,
    enum_values: Option<Vec<String>>,
    /// For lists: the element shape; for maps: the value shape (when known).
    element: Option<String>,
    /// For maps: the key shape, when known.
    key: Option<String>,
}

#[derive(Debug, Default)]
pub struct Model {
    structs: HashMap<String, Vec<Member>>,
    enums: HashMap<String, Vec<String>>,
    /// Named string shapes (map keys and values, list elements).
    scalars: HashMap<String, Member>,
    /// action → (signed with SigV4, request shape)
    ops: HashMap<String, (bool, String)>,
}

/// Why a request was rejected before reaching a service.
#[derive(Debug, PartialEq)]
pub enum Invalid {
    /// Wrong JSON type for a member (`SerializationException`).
    Serialization(String),
    /// Constraint violations (`InvalidParameterException`).
    Constraints(String),
}

fn attr<'a>(rest: &'a str, key: &str) -> Option<&'a str> {
    let start = rest.find(&format!("{key}="))? + key.len() + 1;
    let tail = &rest[start..];
    let end =
        if key == "pattern" { tail.find(" enum=").unwrap_or(tail.len()) } else { tail.find(' ').unwrap_or(tail.len()) };
    Some(&tail[..end])
}

/// A member's pattern, compiled on first use and shared by every member with the same text.
/// The model repeats a few dozen patterns ~400 times, several with large Unicode classes:
/// compiling every occurrence up front cost ~34 MB of RSS; most are never used by a deployment.
#[derive(Debug)]
struct Pattern {
    text: String,
    regex: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// `None` for the few patterns the regex crate cannot express (look-behind): not checked.
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| {
                let p = self.text.trim_start_matches('^').trim_end_matches('$');
                Regex::new(&format!("^(?:{p})$")).ok()
            })
            .as_ref()
    }
}

type Patterns = HashMap<String, Arc<Pattern>>;

fn parse_member(line: &str, patterns: &mut Patterns) -> Option<Member> {
    let t = line.trim_start();
    let (required, t) = match t.strip_prefix('*') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (name, rest) = t.split_once(": ")?;
    let (type_name, rest) = rest.split_once('(')?;
    let (kind, rest) = rest.split_once(')')?;
    let pattern = attr(rest, "pattern").map(|text| {
        patterns
            .entry(text.to_string())
            .or_insert_with(|| Arc::new(Pattern { text: text.to_string(), regex: OnceLock::new() }))
            .clone()
    });
    Some(Member {
        name: name.to_string(),
        required,
        type_name: type_name.to_string(),
        kind: kind.to_string(),
        min: attr(rest, "min").and_then(|v| v.parse().ok()),
        max: attr(rest, "max").and_then(|v| v.parse().ok()),
        pattern,
        enum_values: attr(rest, "enum").map(|e| e.split('|').map(str::to_string).collect()),
        element: rest.split_once(" of ").map(|(_, e)| e.split_whitespace().next().unwrap_or("").to_string()),
        key: None,
    })
}

/// A request member as an ops file spells it: `*Name: string(Type) min=1 …`,
/// `Name: list<Elem> max=…`, `Name: map<Key,Value> max=…`, `Name: struct Type`.
fn parse_op_member(line: &str, patterns: &mut Patterns) -> Option<Member> {
    let t = line.trim_start();
    let (required, t) = match t.strip_prefix('*') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let (name, rest) = t.split_once(": ")?;
    let (head, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    let (kind, type_name, key, element) = if let Some(inner) = head.strip_prefix("list<") {
        let elem = inner.trim_end_matches('>');
        ("list".to_string(), elem.to_string(), None, Some(elem.to_string()))
    } else if let Some(inner) = head.strip_prefix("map<") {
        let (k, v) = inner.trim_end_matches('>').split_once(',')?;
        ("map".to_string(), String::new(), Some(k.to_string()), Some(v.to_string()))
    } else if head == "struct" {
        ("structure".to_string(), tail.trim().to_string(), None, None)
    } else {
        let (kind, type_name) = head.split_once('(')?;
        (kind.to_string(), type_name.trim_end_matches(')').to_string(), None, None)
    };
    // Reuse the shapes-file parser for the constraints: `Type(kind) min=… pattern=…`.
    let mut m = parse_member(&format!("    {name}: {type_name}({kind}) {tail}"), patterns)?;
    m.required = required;
    m.key = key;
    m.element = element;
    Some(m)
}

impl Model {
    fn parse(shapes: &str, ops: &str) -> Model {
        let mut m = Model::default();
        let mut current: Option<String> = None;
        let mut patterns = Patterns::new();
        for line in shapes.lines() {
            if let Some((name, values)) = line.strip_prefix("ENUM ").and_then(|l| l.split_once(": ")) {
                m.enums.insert(name.trim().to_string(), values.trim().split('|').map(str::to_string).collect());
                current = None;
            } else if let Some(name) = line.strip_prefix("STRUCT ") {
                current = Some(name.trim().to_string());
                m.structs.entry(name.trim().to_string()).or_default();
            } else if let Some(rest) = line.strip_prefix("SCALAR ") {
                let name = rest.split('(').next().unwrap_or_default().to_string();
                if let Some(mem) = parse_member(&format!("    {name}: {rest}"), &mut patterns) {
                    m.scalars.insert(name, mem);
                }
                current = None;
            } else if line.starts_with("   ") {
                if let (Some(c), Some(mem)) = (&current, parse_member(line, &mut patterns)) {
                    m.structs.entry(c.clone()).or_default().push(mem);
                }
            } else {
                current = None;
            }
        }
        // The ops file names each action's request shape and list element shapes (`list<X>`);
        // a request shape the shapes file lacks is built from the members listed under `IN`.
        let mut op: Option<String> = None;
        let mut building: Option<String> = None;
        for line in ops.lines() {
            if let Some(rest) = line.strip_prefix("## ") {
                let mut parts = rest.split_whitespace();
                let name = parts.next().unwrap_or_default().to_string();
                let signed = parts.next() == Some("auth=sigv4");
                m.ops.insert(name.clone(), (signed, format!("{name}Request")));
                op = Some(name);
                building = None;
            } else if let (Some(o), Some(inner)) = (&op, line.trim_start().strip_prefix("IN ")) {
                let shape = inner.trim().to_string();
                if let Some(e) = m.ops.get_mut(o) {
                    e.1 = shape.clone();
                }
                building = (!m.structs.contains_key(&shape)).then_some(shape);
                if let Some(b) = &building {
                    m.structs.insert(b.clone(), Vec::new());
                }
            } else if line.trim_start().starts_with("OUT ") || line.trim_start().starts_with("ERR ") {
                building = None;
            } else if let Some(b) = &building {
                if let Some(mem) = parse_op_member(line, &mut patterns) {
                    m.structs.entry(b.clone()).or_default().push(mem);
                }
            } else if let Some(o) = &op
                && let Some(i) = line.find(": list<")
            {
                let member = line[..i].trim().trim_start_matches('*');
                let elem = line[i + 7..].split('>').next().unwrap_or_default();
                let shape = m.ops.get(o).map(|e| e.1.clone()).unwrap_or_default();
                if let Some(ms) = m.structs.get_mut(&shape)
                    && let Some(mem) = ms.iter_mut().find(|x| x.name == member)
                {
                    mem.element = Some(elem.to_string());
                }
            }
        }
        m
    }

    /// The `cognito-idp` model (`AWSCognitoIdentityProviderService.*`).
    pub fn get() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| Model::parse(SHAPES, OPS))
    }

    /// The `cognito-identity` model (`AWSCognitoIdentityService.*`).
    pub fn identity() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| Model::parse(IDENTITY_SHAPES, IDENTITY_OPS))
    }

    /// `Some(signed)` for a known action.
    pub fn action(&self, name: &str) -> Option<bool> {
        self.ops.get(name).map(|o| o.0)
    }

    /// Validate an action's input against its request shape.
    pub fn validate(&self, action: &str, input: &Value) -> Result<(), Invalid> {
        let Some((_, shape)) = self.ops.get(action) else {
            return Ok(());
        };
        if !input.is_object() {
            return Err(Invalid::Serialization("Start of structure or map found where not expected.".into()));
        }
        let mut errors = Vec::new();
        self.check_struct(shape, input, "", &mut errors)?;
        // Control characters anywhere (members, map keys and values, list items, members the
        // model does not describe): a member with a pattern has already said so in its words.
        let mut controls = Vec::new();
        control_characters(input, "", &mut controls);
        for p in controls {
            if !errors.iter().any(|e| e.contains(&format!("at '{p}' "))) {
                errors.push(format!(
                    "Value at '{p}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
                    crate::web::NO_CONTROLS_PATTERN
                ));
            }
        }
        if errors.is_empty() {
            return Ok(());
        }
        let n = errors.len();
        Err(Invalid::Constraints(format!(
            "{n} validation error{} detected: {}",
            if n == 1 { "" } else { "s" },
            errors.join("; ")
        )))
    }

    fn check_struct(&self, shape: &str, v: &Value, path: &str, errors: &mut Vec<String>) -> Result<(), Invalid> {
        let Some(members) = self.structs.get(shape) else {
            return Ok(());
        };
        let Some(obj) = v.as_object() else {
            return Err(Invalid::Serialization(format!("Expected a structure at '{path}'")));
        };
        for m in members {
            let p = member_path(path, &m.name);
            match obj.get(&m.name) {
                None | Some(Value::Null) => {
                    if m.required {
                        errors
                            .push(format!("Value null at '{p}' failed to satisfy constraint: Member must not be null"));
                    }
                }
                Some(val) => self.check_value(m, val, &p, errors)?,
            }
        }
        Ok(())
    }

    fn check_value(&self, m: &Member, val: &Value, p: &str, errors: &mut Vec<String>) -> Result<(), Invalid> {
        let wrong = |what: &str| Err(Invalid::Serialization(format!("Expected {what} for '{p}'")));
        match m.kind.as_str() {
            "string" => {
                let Some(s) = val.as_str() else {
                    return wrong("a string");
                };
                let domain = m.type_name == DOMAIN_TYPE;
                let (min, max) = if domain { (Some(1), Some(MAX_DOMAIN_NAME)) } else { (m.min, m.max) };
                let subject = value_of(m, s);
                bounds(min, max, s.chars().count() as i64, &subject, "length", p, errors);
                let matches = |re: &Regex| {
                    if domain {
                        s.to_ascii_lowercase().split('.').all(|label| re.is_match(label))
                    } else {
                        re.is_match(s)
                    }
                };
                if let Some(pattern) = &m.pattern
                    && let Some(re) = pattern.regex()
                    && !matches(re)
                {
                    errors.push(format!("{subject} at '{p}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}", pattern.text));
                }
                if let Some(e) = &m.enum_values
                    && !e.iter().any(|x| x == s)
                {
                    errors.push(format!(
                        "Value '{s}' at '{p}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                        e.join(", ")
                    ));
                }
            }
            "integer" | "long" => {
                let Some(n) = val.as_i64() else {
                    return wrong("an integer");
                };
                bounds(m.min, m.max, n, &format!("Value '{n}'"), "value", p, errors);
            }
            "boolean" if !val.is_boolean() => return wrong("a boolean"),
            "double" | "timestamp" if !val.is_number() => return wrong("a number"),
            "structure" => self.check_struct(&m.type_name, val, p, errors)?,
            "map" => {
                let Some(entries) = val.as_object() else {
                    return wrong("a map");
                };
                bounds(m.min, m.max, entries.len() as i64, "Value", "length", p, errors);
                let key_shape = m.key.as_deref().and_then(|k| self.scalars.get(k));
                let value_shape = m.element.as_deref().unwrap_or_default();
                for (k, v) in entries {
                    if let Some(ks) = key_shape {
                        let broken = scalar_violations(ks, k);
                        if !broken.is_empty() {
                            errors.push(format!(
                                "Value '{k}' at '{p}' failed to satisfy constraint: Map keys must satisfy constraint: [{}]",
                                broken.join(", ")
                            ));
                        }
                    }
                    let vp = format!("{p}.{k}");
                    if self.structs.contains_key(value_shape) {
                        self.check_struct(value_shape, v, &vp, errors)?;
                    } else if let Some(vs) = self.scalars.get(value_shape) {
                        let Some(text) = v.as_str() else {
                            return Err(Invalid::Serialization(format!("Expected a string for '{vp}'")));
                        };
                        let broken = scalar_violations(vs, text);
                        if !broken.is_empty() {
                            errors.push(format!(
                                "Value at '{vp}' failed to satisfy constraint: Map value must satisfy constraint: [{}]",
                                broken.join(", ")
                            ));
                        }
                    }
                }
            }
            "list" => {
                let Some(items) = val.as_array() else {
                    return wrong("a list");
                };
                bounds(m.min, m.max, items.len() as i64, "Value", "length", p, errors);
                let elem = m.element.as_deref().unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    let ip = format!("{p}.{}.member", i + 1);
                    if self.structs.contains_key(elem) {
                        self.check_struct(elem, item, &ip, errors)?;
                    } else if let Some(e) = m.enum_values.as_ref().or(self.enums.get(elem)) {
                        match item.as_str() {
                            Some(s) if e.iter().any(|x| x == s) => {}
                            Some(s) => errors.push(format!("Value '[{s}]' at '{p}' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{}]]", e.join(", "))),
                            None => return wrong("a list of strings"),
                        }
                    } else if let Some(es) = self.scalars.get(elem) {
                        let Some(text) = item.as_str() else {
                            return wrong("a list of strings");
                        };
                        let broken = scalar_violations(es, text);
                        if !broken.is_empty() {
                            errors.push(format!(
                                "Value '[{text}]' at '{p}' failed to satisfy constraint: Member must satisfy constraint: [{}]",
                                broken.join(", ")
                            ));
                        }
                    } else if !(item.is_string() || item.is_object()) {
                        return wrong("a list of strings");
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The constraints a string breaks of a named string shape (AWS's inner wording).
fn scalar_violations(shape: &Member, s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let n = s.chars().count() as i64;
    if let Some(min) = shape.min.filter(|min| n < *min) {
        out.push(format!("Member must have length greater than or equal to {min}"));
    }
    if let Some(max) = shape.max.filter(|max| n > *max) {
        out.push(format!("Member must have length less than or equal to {max}"));
    }
    if let Some(pattern) = &shape.pattern
        && let Some(re) = pattern.regex()
        && !re.is_match(s)
    {
        out.push(format!("Member must satisfy regular expression pattern: {}", pattern.text));
    }
    out
}

/// A `min`/`max` of the model for a length or a value, worded as AWS words it.
fn bounds(min: Option<i64>, max: Option<i64>, n: i64, subject: &str, what: &str, p: &str, errors: &mut Vec<String>) {
    let fail = |rel: &str, bound: i64| {
        format!("{subject} at '{p}' failed to satisfy constraint: Member must have {what} {rel} or equal to {bound}")
    };
    if let Some(min) = min.filter(|min| n < *min) {
        errors.push(fail("greater than", min));
    }
    if let Some(max) = max.filter(|max| n > *max) {
        errors.push(fail("less than", max));
    }
}

/// The paths of the strings and keys under `v` holding a forbidden control character
/// ([`crate::web::has_forbidden_control`]), named as AWS names members: `PascalCase` member
/// names in camelCase, map keys as they are, list items `.N.member`.
fn control_characters(v: &Value, path: &str, out: &mut Vec<String>) {
    match v {
        Value::String(s) if crate::web::has_forbidden_control(s) => out.push(path.to_string()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                control_characters(item, &format!("{path}.{}.member", i + 1), out);
            }
        }
        Value::Object(entries) => {
            for (k, item) in entries {
                let mut c = k.chars();
                let pascal = matches!((c.next(), c.next()), (Some(a), Some(b)) if a.is_ascii_uppercase() && b.is_ascii_lowercase());
                let p = if crate::web::has_forbidden_control(k) {
                    // Never echo the offending key itself.
                    out.push(if path.is_empty() { "<key>".to_string() } else { path.to_string() });
                    continue;
                } else if pascal || path.is_empty() {
                    member_path(path, k)
                } else {
                    format!("{path}.{k}")
                };
                control_characters(item, &p, out);
            }
        }
        _ => {}
    }
}

fn member_path(parent: &str, name: &str) -> String {
    let mut c = name.chars();
    let camel = match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    };
    if parent.is_empty() { camel } else { format!("{parent}.{camel}") }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
