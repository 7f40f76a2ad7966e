//! Property tests over every parser of user input: any input gives a value or a clean error,
//! never a panic (durations, PITR times, `-c KEY=VALUE` typed by a schema, `--format` templates).

use proptest::prelude::*;
use serde_json::json;

/// Strings made of the characters these parsers care about, plus anything at all.
fn input() -> impl Strategy<Value = String> {
    let interesting = prop_oneof![
        Just("-".to_string()),
        Just(" ".to_string()),
        Just("ago".to_string()),
        Just("@".to_string()),
        Just(":".to_string()),
        Just("=".to_string()),
        Just(",".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(".".to_string()),
        Just("e".to_string()),
        Just("Z".to_string()),
        Just("T".to_string()),
        "[0-9]{1,25}".prop_map(|s| s),
        prop_oneof![Just("s"), Just("m"), Just("h"), Just("d"), Just("w"), Just("y"), Just("mo")]
            .prop_map(String::from),
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![proptest::collection::vec(interesting, 0..12).prop_map(|v| v.concat()), any::<String>()]
}

fn schema() -> serde_json::Value {
    json!({"type": "object", "properties": {
        "n": {"type": "integer", "minimum": 0, "maximum": 100},
        "f": {"type": "number"},
        "b": {"type": "boolean"},
        "s": {"type": "string", "maxLength": 5},
        "a": {"type": "array", "items": {"type": "string"}},
        "o": {"type": "object", "properties": {"x": {"type": ["integer", "null"]}}},
    }})
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn durations_never_panic(s in input()) {
        let _ = crate::time::parse_duration(&s);
    }

    #[test]
    fn pitr_times_never_panic(s in input()) {
        let _ = crate::time::parse_target(&s, jiff::Timestamp::now());
    }

    #[test]
    fn config_options_never_panic(key in prop_oneof![Just("n"), Just("f"), Just("b"), Just("s"), Just("a"), Just("o.x"), Just("zz")], raw in input(), whole in input()) {
        let schema = schema();
        let mut config = serde_json::Map::new();
        let _ = crate::user_config::apply(&mut config, &schema, "pg", key, &raw);
        if let Ok((k, v)) = crate::user_config::split(&whole) {
            let _ = crate::user_config::apply(&mut config, &schema, "pg", k, v);
        }
    }

    #[test]
    fn format_templates_never_panic(s in input()) {
        if let Ok(t) = crate::output::template::Template::parse(&s) {
            let _ = t.render(&json!({"service_name": "db1", "state": "RUNNING", "n": 1, "nested": {"a": [1, 2]}}));
        }
    }
}
