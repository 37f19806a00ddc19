//! Dependency expressions of both formats: Debian's relation fields (`a (>= 1) | b`,
//! architecture and profile restrictions, `:any` qualifiers) and rpm's, rich
//! dependencies included (`(a or b)`, `(a if b)`, `(a with b)`).

use super::ParseError;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
}

impl Op {
    /// Whether `ordering` (candidate compared with the wanted version) satisfies it.
    pub(crate) fn holds(self, ordering: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Eq => ordering == Equal,
            Op::Ge => ordering != Less,
            Op::Gt => ordering == Greater,
        }
    }

    fn deb(self) -> &'static str {
        match self {
            Op::Lt => "<<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">>",
        }
    }

    fn rpm(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// One package name with an optional version constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Atom {
    pub name: String,
    pub constraint: Option<(Op, String)>,
    /// Spelled the Debian way (`name (>= v)`) or the rpm way (`name >= v`).
    pub deb: bool,
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.constraint, self.deb) {
            (None, _) => f.write_str(&self.name),
            (Some((op, v)), true) => write!(f, "{} ({} {v})", self.name, op.deb()),
            (Some((op, v)), false) => write!(f, "{} {} {v}", self.name, op.rpm()),
        }
    }
}

/// A requirement: an atom, or rpm's boolean operators over requirements (Debian's
/// `a | b` is an `Or` of atoms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dep {
    Atom(Atom),
    And(Vec<Dep>),
    Or(Vec<Dep>),
    /// `(a if b)`, `(a if b else c)`
    If(Box<Dep>, Box<Dep>, Option<Box<Dep>>),
    /// `(a unless b)`, `(a unless b else c)`
    Unless(Box<Dep>, Box<Dep>, Option<Box<Dep>>),
    /// `(a with b)`: one package that satisfies both.
    With(Vec<Dep>),
    /// `(a without b)`: a package that satisfies `a` and not `b`.
    Without(Box<Dep>, Box<Dep>),
}

impl Dep {
    /// Every atom the expression names, in order.
    pub(crate) fn atoms(&self) -> Vec<&Atom> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    /// The atoms that must be installed for it: without the conditions of `if` and
    /// `unless`, and without what `without` excludes.
    pub(crate) fn required_atoms(&self) -> Vec<&Atom> {
        match self {
            Dep::If(a, _, c) | Dep::Unless(a, _, c) => {
                let mut v = a.required_atoms();
                if let Some(c) = c {
                    v.extend(c.required_atoms());
                }
                v
            }
            Dep::Without(a, _) => a.required_atoms(),
            Dep::And(v) | Dep::Or(v) | Dep::With(v) => {
                v.iter().flat_map(|d| d.required_atoms()).collect()
            }
            Dep::Atom(a) => vec![a],
        }
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Atom>) {
        match self {
            Dep::Atom(a) => out.push(a),
            Dep::And(v) | Dep::Or(v) | Dep::With(v) => v.iter().for_each(|d| d.collect(out)),
            Dep::If(a, b, c) | Dep::Unless(a, b, c) => {
                a.collect(out);
                b.collect(out);
                if let Some(c) = c {
                    c.collect(out);
                }
            }
            Dep::Without(a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }
}

impl fmt::Display for Dep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, v: &[Dep], sep: &str| -> fmt::Result {
            for (i, d) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{d}")?;
            }
            Ok(())
        };
        match self {
            Dep::Atom(a) => write!(f, "{a}"),
            Dep::Or(v) if v.iter().all(|d| matches!(d, Dep::Atom(a) if a.deb)) => join(f, v, " | "),
            Dep::Or(v) => {
                f.write_str("(")?;
                join(f, v, " or ")?;
                f.write_str(")")
            }
            Dep::And(v) => {
                f.write_str("(")?;
                join(f, v, " and ")?;
                f.write_str(")")
            }
            Dep::With(v) => {
                f.write_str("(")?;
                join(f, v, " with ")?;
                f.write_str(")")
            }
            Dep::Without(a, b) => write!(f, "({a} without {b})"),
            Dep::If(a, b, None) => write!(f, "({a} if {b})"),
            Dep::If(a, b, Some(c)) => write!(f, "({a} if {b} else {c})"),
            Dep::Unless(a, b, None) => write!(f, "({a} unless {b})"),
            Dep::Unless(a, b, Some(c)) => write!(f, "({a} unless {b} else {c})"),
        }
    }
}

// ---------------------------------------------------------------------------------
// Debian

/// A Debian relation field (`Depends`, `Build-Depends`, ...) as it applies on `arch`
/// with no build profile active: alternatives restricted away are dropped, and a
/// relation left without any is dropped whole. `${...}` substitution variables are
/// skipped (dpkg-gencontrol fills them at build time).
pub(crate) fn parse_deb(field: &str, arch: &str) -> Result<Vec<Dep>, ParseError> {
    let mut out = Vec::new();
    for relation in field.split(',') {
        let relation = relation.trim();
        if relation.is_empty() || relation.starts_with("${") {
            continue;
        }
        let mut alternatives = Vec::new();
        let mut restricted_away = false;
        for alt in relation.split('|') {
            match parse_deb_atom(alt.trim(), arch)? {
                Some(a) => alternatives.push(Dep::Atom(a)),
                None => restricted_away = true,
            }
        }
        match alternatives.len() {
            0 if restricted_away => {}
            0 => return Err(format!("`{relation}` names no package").into()),
            1 => out.extend(alternatives),
            _ => out.push(Dep::Or(alternatives)),
        }
    }
    Ok(out)
}

/// `name[:qualifier] [(op version)] [[archs]] [<profiles>]`; `None` when the
/// architecture or profile restrictions exclude it.
fn parse_deb_atom(text: &str, arch: &str) -> Result<Option<Atom>, ParseError> {
    let mut rest = text;
    let name_end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '(' | '[' | '<'))
        .unwrap_or(rest.len());
    let mut name = &rest[..name_end];
    rest = rest[name_end..].trim_start();
    if let Some((n, _qualifier)) = name.split_once(':') {
        name = n;
    }
    if name.is_empty() || name.starts_with("${") {
        return if name.is_empty() {
            Err(format!("`{text}` names no package").into())
        } else {
            Ok(None)
        };
    }
    let mut constraint = None;
    if let Some(r) = rest.strip_prefix('(') {
        let end = r
            .find(')')
            .ok_or_else(|| format!("`{text}`: unclosed `(`"))?;
        let inner = r[..end].trim();
        let (op, version) = if let Some(v) = inner.strip_prefix("<<") {
            (Op::Lt, v)
        } else if let Some(v) = inner.strip_prefix("<=") {
            (Op::Le, v)
        } else if let Some(v) = inner.strip_prefix(">>") {
            (Op::Gt, v)
        } else if let Some(v) = inner.strip_prefix(">=") {
            (Op::Ge, v)
        } else if let Some(v) = inner.strip_prefix('=') {
            (Op::Eq, v)
        } else if let Some(v) = inner.strip_prefix('<') {
            (Op::Le, v)
        } else if let Some(v) = inner.strip_prefix('>') {
            (Op::Ge, v)
        } else {
            return Err(format!("`{text}`: unknown relation in `({inner})`").into());
        };
        constraint = Some((op, version.trim().to_string()));
        rest = r[end + 1..].trim_start();
    }
    if let Some(r) = rest.strip_prefix('[') {
        let end = r
            .find(']')
            .ok_or_else(|| format!("`{text}`: unclosed `[`"))?;
        if !arch_matches(&r[..end], arch) {
            return Ok(None);
        }
        rest = r[end + 1..].trim_start();
    }
    if rest.starts_with('<') {
        // Each `<...>` group is a conjunction, the groups alternatives; with no
        // profile active, `!p` holds and `p` does not.
        let mut any = false;
        for group in rest.split('<').skip(1) {
            let terms = group.trim_end().trim_end_matches('>');
            if terms.split_whitespace().all(|t| t.starts_with('!')) {
                any = true;
            }
        }
        if !any {
            return Ok(None);
        }
    }
    Ok(Some(Atom {
        name: name.to_string(),
        constraint,
        deb: true,
    }))
}

/// `[amd64 arm64]` or `[!i386]` (and `any`, `linux-any`, `linux-amd64` wildcards).
fn arch_matches(list: &str, arch: &str) -> bool {
    let matches = |pattern: &str| {
        pattern == arch
            || pattern == "any"
            || pattern == "linux-any"
            || pattern == format!("linux-{arch}")
            || pattern == format!("any-{arch}")
    };
    let words: Vec<&str> = list.split_whitespace().collect();
    if words.iter().all(|w| w.starts_with('!')) {
        !words.iter().any(|w| matches(&w[1..]))
    } else {
        words.iter().any(|w| matches(w))
    }
}

/// A Debian `Provides` field: names with an optional `(= version)`.
pub(crate) fn parse_deb_provides(field: &str) -> Vec<(String, Option<String>)> {
    field
        .split(',')
        .filter_map(|p| {
            let p = p.trim();
            if p.is_empty() || p.starts_with("${") {
                return None;
            }
            let (name, version) = match p.split_once('(') {
                Some((n, v)) => {
                    let v = v.trim_end_matches(')').trim();
                    (n.trim(), v.strip_prefix('=').map(|v| v.trim().to_string()))
                }
                None => (p, None),
            };
            let name = name.split(':').next().unwrap_or(name);
            Some((name.to_string(), version))
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// rpm

/// One rpm requirement: a plain `name [op evr]`, or a rich dependency in parentheses.
pub(crate) fn parse_rpm(text: &str) -> Result<Dep, ParseError> {
    let text = text.trim();
    if text.starts_with('(') {
        let tokens = tokenize(text)?;
        let mut pos = 0;
        let dep = rich(&tokens, &mut pos)?;
        if pos != tokens.len() {
            return Err(format!("`{text}`: unexpected text after the closing `)`").into());
        }
        return Ok(dep);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [name] => Ok(Dep::Atom(rpm_atom(name, None))),
        [name, op, version] => {
            let op = rpm_op(op).ok_or_else(|| format!("`{text}`: unknown operator `{op}`"))?;
            Ok(Dep::Atom(rpm_atom(name, Some((op, version.to_string())))))
        }
        _ => Err(format!("`{text}` is not `name [op version]`").into()),
    }
}

fn rpm_atom(name: &str, constraint: Option<(Op, String)>) -> Atom {
    Atom {
        name: name.to_string(),
        constraint,
        deb: false,
    }
}

pub(crate) fn rpm_op(op: &str) -> Option<Op> {
    Some(match op {
        "<" | "LT" => Op::Lt,
        "<=" | "LE" => Op::Le,
        "=" | "==" | "EQ" => Op::Eq,
        ">=" | "GE" => Op::Ge,
        ">" | "GT" => Op::Gt,
        _ => return None,
    })
}

fn tokenize(text: &str) -> Result<Vec<String>, ParseError> {
    let mut out = Vec::new();
    let mut word = String::new();
    // Parentheses right after a name belong to it: `golang(API)`, `perl(Foo::Bar)`.
    let mut inside_word = 0;
    for c in text.chars() {
        match c {
            '(' if !word.is_empty() => {
                inside_word += 1;
                word.push(c);
            }
            ')' if inside_word > 0 => {
                inside_word -= 1;
                word.push(c);
            }
            '(' | ')' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    if inside_word != 0
        || out.iter().filter(|t| *t == "(").count() != out.iter().filter(|t| *t == ")").count()
    {
        return Err(format!("`{text}`: unbalanced parentheses").into());
    }
    Ok(out)
}

const OPERATORS: &[&str] = &["and", "or", "if", "unless", "else", "with", "without"];

/// `( operand (op operand)* )` where an operand is a nested rich dependency or
/// `name [op evr]`.
fn rich(tokens: &[String], pos: &mut usize) -> Result<Dep, ParseError> {
    let at = |p: usize| tokens.get(p).map(String::as_str);
    if at(*pos) != Some("(") {
        return Err(format!("expected `(` at `{}`", at(*pos).unwrap_or("the end")).into());
    }
    *pos += 1;
    let mut operands = vec![operand(tokens, pos)?];
    let mut ops: Vec<String> = Vec::new();
    while let Some(t) = at(*pos) {
        if t == ")" {
            *pos += 1;
            return combine(operands, &ops);
        }
        if !OPERATORS.contains(&t) {
            return Err(format!("unknown operator `{t}` in a rich dependency").into());
        }
        ops.push(t.to_string());
        *pos += 1;
        operands.push(operand(tokens, pos)?);
    }
    Err("unclosed `(` in a rich dependency".to_string().into())
}

fn operand(tokens: &[String], pos: &mut usize) -> Result<Dep, ParseError> {
    let at = |p: usize| tokens.get(p).map(String::as_str);
    match at(*pos) {
        Some("(") => rich(tokens, pos),
        Some(name) if !OPERATORS.contains(&name) && name != ")" => {
            *pos += 1;
            if let (Some(op), Some(version)) = (at(*pos).and_then(rpm_op), at(*pos + 1)) {
                if version != "(" && version != ")" {
                    *pos += 2;
                    return Ok(Dep::Atom(rpm_atom(name, Some((op, version.to_string())))));
                }
            }
            Ok(Dep::Atom(rpm_atom(name, None)))
        }
        other => Err(format!(
            "expected a package name at `{}`",
            other.unwrap_or("the end")
        )
        .into()),
    }
}

fn combine(mut operands: Vec<Dep>, ops: &[String]) -> Result<Dep, ParseError> {
    if ops.is_empty() {
        return operands
            .pop()
            .ok_or_else(|| "empty parentheses".to_string().into());
    }
    let first = ops[0].as_str();
    match first {
        "and" | "or" | "with" => {
            if ops.iter().any(|o| o != first) {
                return Err(
                    format!("`{first}` mixed with other operators needs parentheses").into(),
                );
            }
            Ok(match first {
                "and" => Dep::And(operands),
                "or" => Dep::Or(operands),
                _ => Dep::With(operands),
            })
        }
        "if" | "unless" => {
            let else_ok = ops.len() == 2 && ops[1] == "else";
            if ops.len() != 1 && !else_ok {
                return Err(format!("`{first}` takes two operands and an optional `else`").into());
            }
            let mut it = operands.into_iter();
            let (Some(a), Some(b)) = (it.next(), it.next()) else {
                return Err(format!("`{first}` takes two operands").into());
            };
            let c = it.next().map(Box::new);
            Ok(if first == "if" {
                Dep::If(Box::new(a), Box::new(b), c)
            } else {
                Dep::Unless(Box::new(a), Box::new(b), c)
            })
        }
        "without" => {
            if ops.len() != 1 {
                return Err("`without` takes two operands".to_string().into());
            }
            let mut it = operands.into_iter();
            let (Some(a), Some(b)) = (it.next(), it.next()) else {
                return Err("`without` takes two operands".to_string().into());
            };
            Ok(Dep::Without(Box::new(a), Box::new(b)))
        }
        other => Err(format!("`{other}` cannot start a rich dependency").into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_relations() {
        let deps = parse_deb(
            "${misc:Depends}, golang-go (>= 2:1.22~) | golang-1.22-go, libc6:any (>= 2.34), \
             qemu-system-x86 [amd64], qemu-system-arm [arm64], dh-golang <!nocheck>, check <nocheck>",
            "amd64",
        )
        .unwrap();
        let shown: Vec<String> = deps.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "golang-go (>= 2:1.22~) | golang-1.22-go",
                "libc6 (>= 2.34)",
                "qemu-system-x86",
                "dh-golang"
            ]
        );
        assert_eq!(
            parse_deb_provides("debhelper-compat (= 13), awk, foo:any"),
            [
                ("debhelper-compat".to_string(), Some("13".to_string())),
                ("awk".to_string(), None),
                ("foo".to_string(), None)
            ]
        );
        assert!(parse_deb("foo (~ 1)", "amd64").is_err());
    }

    #[test]
    fn rpm_rich_dependencies() {
        for text in [
            "golang >= 1.22",
            "(qemu-kvm or qemu-system-x86)",
            "(kata-agent if containerd)",
            "(python3-foo >= 1.0 with python3-foo < 2.0)",
            "(golang with golang(API) >= 1.21)",
            "((a and b) or c)",
            "(a if b else c)",
            "(a without b)",
        ] {
            assert_eq!(parse_rpm(text).unwrap().to_string(), text, "{text}");
        }
        assert!(parse_rpm("(a or b and c)").is_err());
        assert!(parse_rpm("(a or b").is_err());
    }
}
