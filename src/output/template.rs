//! `--format '{service_name} {state}'`: one line per item. `{{` and `}}` are literal braces.

use serde_json::Value;

use crate::error::CliError;
use crate::output::tables;

#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Field(String),
}

impl Template {
    pub fn parse(s: &str) -> Result<Template, CliError> {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    text.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    text.push('}');
                }
                '{' => {
                    let mut field = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => field.push(c),
                            None => {
                                return Err(CliError::usage(format!("--format '{s}': '{{' without a closing '}}'"))
                                    .hint("write a field as {service_name}; a literal brace as {{ or }}"))
                            }
                        }
                    }
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(field.trim().to_string()));
                }
                '}' => return Err(CliError::usage(format!("--format '{s}': '}}' without an opening '{{'"))),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, item: &Value) -> Result<String, CliError> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Field(f) => match tables::lookup(item, f) {
                    Some(v) => out.push_str(&tables::cell(f, v)),
                    None => {
                        let mut fields: Vec<&str> =
                            item.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
                        fields.sort_unstable();
                        return Err(CliError::usage(format!("--format: unknown field '{f}'"))
                            .hint(format!("valid fields: {}", fields.join(", "))));
                    }
                },
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_rejects() {
        let v = serde_json::json!({"a": "x", "n": 3, "o": {"k": "v"}});
        let t = Template::parse("{a} {{{n}}} {o.k}").unwrap();
        assert_eq!(t.render(&v).unwrap(), "x {3} v");
        let err = Template::parse("{zz}").unwrap().render(&v).unwrap_err();
        assert!(err.message.contains("zz") && err.hints[0].contains("a, n, o"));
        assert!(Template::parse("{a").is_err());
    }
}
