//! What Python's `str.format` does with a JSON value, as the official client's `--format` shows
//! it (`format.format(**item)`): `str()` of the decoded value (`True`, `None`, `['a', 'b']`,
//! `{'k': 1}`, `1.0`), `!r`/`!s`/`!a` conversions, and the format-spec mini-language
//! (`[[fill]align][sign][#][0][width][,|_][.precision][type]`) for text, integers and floats.

use serde_json::Value;

/// `repr()` of a value, as Python shows a decoded JSON value.
pub fn repr(v: &Value) -> String {
    match v {
        Value::String(s) => repr_str(s),
        other => str_of(other),
    }
}

/// `str()` of a value.
pub fn str_of(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => float_repr(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            format!(
                "{{{}}}",
                m.iter().map(|(k, v)| format!("{}: {}", repr_str(k), repr(v))).collect::<Vec<_>>().join(", ")
            )
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has one and no double quote.
fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: the shortest text that reads back, exponent form below 1e-4 and from
/// 1e16 (`1e-05`, `1.5e+16`), and `.0` on whole numbers.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's Debug switches to the exponent form at the same magnitudes as Python.
    let d = format!("{f:?}");
    match d.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => d,
    }
}

/// A parsed format spec.
#[derive(Debug, Default, PartialEq)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    alternate: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn parse_spec(s: &str) -> Result<Spec, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut spec = Spec::default();
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        spec.fill = Some(chars[0]);
        spec.align = Some(chars[1]);
        i = 2;
    } else if chars.first().is_some_and(|c| is_align(*c)) {
        spec.align = Some(chars[0]);
        i = 1;
    }
    if let Some(c @ ('+' | '-' | ' ')) = chars.get(i) {
        spec.sign = Some(*c);
        i += 1;
    }
    if chars.get(i) == Some(&'#') {
        spec.alternate = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        spec.zero = true;
        i += 1;
    }
    let start = i;
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    spec.width = chars[start..i].iter().collect::<String>().parse().unwrap_or(0);
    if let Some(c @ (',' | '_')) = chars.get(i) {
        spec.grouping = Some(*c);
        i += 1;
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let start = i;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        if start == i {
            return Err("format spec: '.' without a precision".into());
        }
        spec.precision = chars[start..i].iter().collect::<String>().parse().ok();
    }
    if let Some(c) = chars.get(i) {
        if !"bcdeEfFgGnosxX%".contains(*c) {
            return Err(format!("unknown format code '{c}'"));
        }
        spec.kind = Some(*c);
        i += 1;
    }
    if i != chars.len() {
        return Err(format!("invalid format specifier '{s}'"));
    }
    Ok(spec)
}

/// `format(value, spec)` as Python does it for the value's decoded type.
pub fn format_value(v: &Value, spec: &str) -> Result<String, String> {
    if spec.is_empty() {
        return Ok(str_of(v));
    }
    let s = parse_spec(spec)?;
    match v {
        Value::String(text) => format_text(text, &s),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let i = n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)).unwrap_or(0);
            format_int(i, &s)
        }
        Value::Number(n) => format_float(n.as_f64().unwrap_or(0.0), &s),
        Value::Bool(b) => format_int(i128::from(*b), &s),
        other => Err(format!("unsupported format string passed to {}.__format__", type_name(other))),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
        _ => "object",
    }
}

fn pad(body: String, s: &Spec, default_align: char, sign_len: usize) -> String {
    let len = body.chars().count();
    if len >= s.width {
        return body;
    }
    let (fill, align) = match (s.fill, s.align, s.zero) {
        (f, Some(a), _) => (f.unwrap_or(' '), a),
        (None, None, true) => ('0', '='),
        _ => (' ', default_align),
    };
    let n = s.width - len;
    let fills = |k: usize| std::iter::repeat_n(fill, k).collect::<String>();
    match align {
        '<' => format!("{body}{}", fills(n)),
        '^' => format!("{}{body}{}", fills(n / 2), fills(n - n / 2)),
        '=' => {
            let (head, tail) = body.split_at(sign_len);
            format!("{head}{}{tail}", fills(n))
        }
        _ => format!("{}{body}", fills(n)),
    }
}

fn format_text(text: &str, s: &Spec) -> Result<String, String> {
    if s.kind.is_some_and(|k| k != 's') || s.sign.is_some() || s.grouping.is_some() {
        return Err(format!("format spec not valid for text: '{}'", text));
    }
    let body: String = match s.precision {
        Some(p) => text.chars().take(p).collect(),
        None => text.to_string(),
    };
    Ok(pad(body, s, '<', 0))
}

fn group(digits: &str, sep: Option<char>, every: usize) -> String {
    let Some(sep) = sep else { return digits.to_string() };
    let chars: Vec<char> = digits.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (chars.len() - i) % every == 0 {
            out.push(sep);
        }
        out.push(*c);
    }
    out
}

fn sign_of(negative: bool, s: &Spec) -> &'static str {
    match (negative, s.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

fn format_int(i: i128, s: &Spec) -> Result<String, String> {
    let kind = s.kind.unwrap_or('d');
    if "eEfFgG%".contains(kind) {
        return format_float(i as f64, s);
    }
    let magnitude = i.unsigned_abs();
    let (digits, prefix, every) = match kind {
        'd' | 'n' => (magnitude.to_string(), "", 3),
        'x' => (format!("{magnitude:x}"), "0x", 4),
        'X' => (format!("{magnitude:X}"), "0X", 4),
        'o' => (format!("{magnitude:o}"), "0o", 4),
        'b' => (format!("{magnitude:b}"), "0b", 4),
        'c' => {
            return char::from_u32(magnitude as u32)
                .map(|c| pad(c.to_string(), s, '<', 0))
                .ok_or("%c arg not in range".into())
        }
        other => return Err(format!("unknown format code '{other}' for an integer")),
    };
    let sign = sign_of(i < 0, s);
    let head = format!("{sign}{}", if s.alternate { prefix } else { "" });
    let body = format!("{head}{}", group(&digits, s.grouping, every));
    Ok(pad(body, s, '>', head.len()))
}

fn format_float(f: f64, s: &Spec) -> Result<String, String> {
    let negative = f.is_sign_negative() && f != 0.0;
    let a = f.abs();
    let body = match s.kind {
        None if s.precision.is_none() => float_repr(a),
        Some('f' | 'F') => format!("{a:.*}", s.precision.unwrap_or(6)),
        Some('%') => format!("{:.*}%", s.precision.unwrap_or(6), a * 100.0),
        Some(k @ ('e' | 'E')) => {
            let t = exponent_form(a, s.precision.unwrap_or(6));
            if k == 'E' {
                t.to_uppercase()
            } else {
                t
            }
        }
        Some('g' | 'G') | None => general(a, s.precision.unwrap_or(if s.kind.is_none() { 12 } else { 6 }).max(1)),
        Some(other) => return Err(format!("unknown format code '{other}' for a float")),
    };
    let (int_part, rest) = match body.find(['.', 'e', '%']) {
        Some(i) => body.split_at(i),
        None => (body.as_str(), ""),
    };
    let sign = sign_of(negative, s);
    let text = format!("{sign}{}{rest}", group(int_part, s.grouping, 3));
    Ok(pad(text, s, '>', sign.len()))
}

/// `1.234560e+03`.
fn exponent_form(a: f64, precision: usize) -> String {
    let t = format!("{a:.precision$e}");
    let (m, e) = t.split_once('e').unwrap_or((&t, "0"));
    let (sign, digits) = match e.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', e),
    };
    format!("{m}e{sign}{digits:0>2}")
}

/// Python's `g`: `precision` significant digits, the exponent form when the exponent is below -4
/// or at least `precision`, trailing zeros removed.
fn general(a: f64, precision: usize) -> String {
    if a == 0.0 {
        return "0".into();
    }
    let exp = format!("{a:.*e}", precision - 1).split_once('e').and_then(|(_, e)| e.parse::<i32>().ok()).unwrap_or(0);
    let trim = |t: String| {
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    };
    if exp < -4 || exp >= precision as i32 {
        let t = exponent_form(a, precision - 1);
        let (m, e) = t.split_once('e').unwrap_or((&t, ""));
        format!("{}e{e}", trim(m.to_string()))
    } else {
        trim(format!("{a:.*}", (precision as i32 - 1 - exp).max(0) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_print_as_python_prints_them() {
        assert_eq!(str_of(&json!(false)), "False");
        assert_eq!(str_of(&json!(null)), "None");
        assert_eq!(str_of(&json!(["appdb", "defaultdb"])), "['appdb', 'defaultdb']");
        assert_eq!(str_of(&json!({"a": 1, "b": "it's"})), "{'a': 1, 'b': \"it's\"}");
        assert_eq!(str_of(&json!(1.0)), "1.0");
        assert_eq!(str_of(&json!(0.00001)), "1e-05");
        assert_eq!(str_of(&json!(1.5e16)), "1.5e+16");
        assert_eq!(str_of(&json!(0.1)), "0.1");
        assert_eq!(repr(&json!("a\nb")), "'a\\nb'");
    }

    #[test]
    fn format_specs_follow_pythons_mini_language() {
        let f = |v: Value, s: &str| format_value(&v, s).unwrap();
        assert_eq!(f(json!("db1"), ">10"), "       db1");
        assert_eq!(f(json!("db1"), "<6"), "db1   ");
        assert_eq!(f(json!("db1"), "*^7"), "**db1**");
        assert_eq!(f(json!("abcdef"), ".3"), "abc");
        assert_eq!(f(json!(42), "05d"), "00042");
        assert_eq!(f(json!(-42), "06"), "-00042");
        assert_eq!(f(json!(1234567), ","), "1,234,567");
        assert_eq!(f(json!(255), "#x"), "0xff");
        assert_eq!(f(json!(3), ">4"), "   3");
        assert_eq!(f(json!(2.5), ".2f"), "2.50");
        assert_eq!(f(json!(1234.5), ",.1f"), "1,234.5");
        assert_eq!(f(json!(0.25), ".0%"), "25%");
        assert_eq!(f(json!(1234.5), ".3e"), "1.234e+03");
        assert_eq!(f(json!(0.0001234), "g"), "0.0001234");
        assert_eq!(f(json!(123456789.0), "g"), "1.23457e+08");
        assert_eq!(f(json!(7), "+d"), "+7");
        assert!(format_value(&json!(null), ">5").is_err());
        assert!(format_value(&json!("x"), "d").is_err());
        assert!(format_value(&json!(1), "q").is_err());
    }
}
