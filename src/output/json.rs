//! `--json` writer: sorted keys, four-space indent (as the official client), trailing newline.

use serde::Serialize;
use serde_json::ser::PrettyFormatter;
use serde_json::Value;

pub fn to_pretty(v: &Value) -> String {
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, PrettyFormatter::with_indent(b"    "));
    v.serialize(&mut ser).expect("serializing a Value cannot fail");
    buf.push(b'\n');
    String::from_utf8(buf).expect("serde_json writes UTF-8")
}

/// Any serializable API object as a `Value` (keys sorted).
pub fn value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorted_and_indented() {
        let v = serde_json::json!({"b": 1, "a": [1]});
        assert_eq!(super::to_pretty(&v), "{\n    \"a\": [\n        1\n    ],\n    \"b\": 1\n}\n");
    }
}
