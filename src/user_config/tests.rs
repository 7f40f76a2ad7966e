//! Tests of `user_config`.

use super::*;
use serde_json::json;

fn schema() -> Value {
    json!({"type": "object", "properties": {
        "ip_filter": {"type": "array", "items": {"type": "string"}, "title": "IP filter", "default": ["0.0.0.0/0"]},
        "service_to_fork_from": {"type": ["string", "null"]},
        "pg": {"type": "object", "properties": {
            "max_connections": {"type": "integer", "default": 100},
            "jit": {"type": "boolean"},
            "bgwriter_lru_multiplier": {"type": "number"}
        }},
        "pgbouncer": {"type": ["object", "null"], "properties": {"autodb_pool_size": {"type": "integer"}}},
        "tags": {"type": "object", "patternProperties": {"^[a-z]+$": {"type": "string"}}},
        "migration": {"type": ["object", "null"]}
    }})
}

fn run(args: &[&str]) -> Result<Value, CliError> {
    let mut m = Map::new();
    for a in args {
        let (k, v) = split(a)?;
        apply(&mut m, &schema(), "pg", k, v)?;
    }
    Ok(Value::Object(m))
}

#[test]
fn python_list_literals() {
    assert_eq!(python_list("['a', \"b\", 'c\\'d']"), Some(json!(["a", "b", "c'd"])));
    assert_eq!(python_list("[1, 2.5, True, None]"), Some(json!([1, 2.5, true, null])));
    assert_eq!(python_list("[]"), Some(json!([])));
    assert_eq!(python_list("['a',]"), Some(json!(["a"])));
    assert_eq!(python_list("['a' 'b']"), None);
    assert_eq!(python_list("['a"), None);
    assert_eq!(python_list("[x]"), None);
}

#[test]
fn types_values_by_schema() {
    let v = run(&[
        "pg.max_connections=0x10",
        "pg.jit=false",
        "pg.bgwriter_lru_multiplier=1.5",
        "ip_filter=10.0.1.0/24,10.0.2.0/24",
        "service_to_fork_from=src",
        "tags.env=prod",
        "migration={\"host\": \"h\"}",
    ])
    .unwrap();
    assert_eq!(
        v,
        json!({"pg": {"max_connections": 16, "jit": false, "bgwriter_lru_multiplier": 1.5},
            "ip_filter": ["10.0.1.0/24", "10.0.2.0/24"], "service_to_fork_from": "src",
            "tags": {"env": "prod"}, "migration": {"host": "h"}})
    );
    assert_eq!(run(&["ip_filter=[\"1.2.3.4\"]"]).unwrap()["ip_filter"], json!(["1.2.3.4"]));
}

#[test]
fn rejects_bad_values_and_keys_with_suggestions() {
    let e = run(&["pg.max_connections=abc"]).unwrap_err();
    assert!(e.message.contains("expected integer"), "{}", e.message);
    assert!(run(&["pg.jit=yes"]).unwrap_err().message.contains("boolean"));
    let e = run(&["pg.max_conections=5"]).unwrap_err();
    assert!(e.hints[0].contains("pg.max_connections"), "{:?}", e.hints);
    assert!(run(&["noequals"]).is_err());
    assert!(run(&["migration=notjson"]).is_err());
}

#[test]
fn values_outside_the_schema_limits_are_refused_before_any_request() {
    let s = json!({"type": "object", "properties": {
        "pg": {"type": "object", "properties": {
            "max_connections": {"type": "integer", "minimum": 25, "maximum": 10000},
            "ratio": {"type": "number", "exclusiveMinimum": 0},
            "mode": {"type": "string", "enum": ["on", "off"]},
            "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 5}
        }},
        "ip_filter": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 18}},
        "pg_version": {"type": ["string", "null"], "enum": ["15", null]}
    }});
    let apply1 = |arg: &str| {
        let (k, v) = split(arg).unwrap();
        apply(&mut Map::new(), &s, "pg", k, v)
    };
    for (arg, why) in [
        ("pg.max_connections=-5", "must be at least 25"),
        ("pg.max_connections=10001", "must be at most 10000"),
        ("pg.ratio=0", "must be more than 0"),
        ("pg.mode=maybe", "must be one of on, off"),
        ("pg.name=Ab", "must match the pattern ^[a-z]+$"),
        ("pg.name=abcdef", "at most 5 characters"),
        ("ip_filter=a,b,c", "at most 2 items"),
        ("ip_filter=1234567890123456789", "at most 18 characters"),
        ("pg_version=16", "must be one of 15"),
    ] {
        let e = apply1(arg).unwrap_err();
        assert_eq!(e.status, crate::error::ExitStatus::Usage, "{arg}");
        assert!(e.message.contains(why), "{arg}: {}", e.message);
    }
    for ok in ["pg.max_connections=25", "pg.mode=on", "pg.name=abc", "ip_filter=a,b", "pg_version=15"] {
        apply1(ok).unwrap();
    }
    let mut json_cfg = Map::new();
    json_cfg.insert("pg".into(), json!({"max_connections": 5}));
    assert!(check_keys(&json_cfg, &s, "pg").unwrap_err().message.contains("-c pg.max_connections=5"));
}

#[test]
fn lists_options_and_removes_nullable() {
    let keys: Vec<String> = options(&schema()).into_iter().map(|o| o.key).collect();
    assert!(keys.contains(&"pg.max_connections".to_string()));
    assert!(keys.contains(&"tags.KEY".to_string()));
    let mut m = Map::new();
    remove(&mut m, &schema(), "pg", "pgbouncer").unwrap();
    assert_eq!(m["pgbouncer"], Value::Null);
    assert!(remove(&mut m, &schema(), "pg", "pg.jit").is_err());
}
