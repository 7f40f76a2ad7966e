//! Tests of `journal`.

use super::*;

#[test]
fn round_trip_and_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options { keep_source: true, ..Default::default() };
    let mut j = Journal::new("http://x", "p", "a", "b", opts, "id".into());
    j.path = dir.path().join("j.json");
    j.start(StepName::Preflight).unwrap();
    j.finish(StepName::Preflight, StepStatus::Done, None).unwrap();
    j.start(StepName::StopWrites).unwrap();
    let back: Journal = serde_json::from_slice(&std::fs::read(&j.path).unwrap()).unwrap();
    assert_eq!(back.step(StepName::Preflight).status, StepStatus::Done);
    assert_eq!(back.step(StepName::StopWrites).status, StepStatus::Started);
    assert_eq!(back.next_step(), Some(StepName::StopWrites));
    assert!(back.options.keep_source);
}

/// A journal whose options do not read is refused and names its file: resuming it with
/// default options would turn `--keep-source` into a delete of OLD.
#[test]
fn a_journal_whose_options_do_not_read_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut j =
        Journal::new("http://x", "p", "a", "b", Options { keep_source: true, ..Default::default() }, "id".into());
    j.path = dir.path().join("j.json");
    j.save().unwrap();
    let load = || Journal::load_from(j.path.clone());
    let path = j.path.clone();
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert!(load().unwrap().unwrap().options.keep_source);
    for broken in [serde_json::json!("keep"), serde_json::json!({"keep_source": "yes"}), Value::Null] {
        v["options"] = broken;
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let e = load().unwrap_err().to_string();
        assert!(e.contains(&path.display().to_string()) && e.contains("cannot be read"), "{e}");
    }
    v["options"] = serde_json::to_value(Options::default()).unwrap();
    // Steps are typed too: an unknown one, or one missing, is refused.
    let steps = v["steps"].clone();
    v["steps"][2]["name"] = "fork_quickly".into();
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(load().unwrap_err().to_string().contains("cannot be read"));
    v["steps"] = Value::Array(steps.as_array().unwrap()[..6].to_vec());
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(load().unwrap_err().to_string().contains("seven steps"));
    v["steps"] = steps;
    v["version"] = 99.into();
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    assert!(load().unwrap_err().to_string().contains("newer avn"));
    std::fs::write(&path, b"").unwrap();
    assert!(load().unwrap_err().to_string().contains("cannot be read"));
}

#[test]
fn time_at_a_prompt_is_not_counted_as_the_steps_work() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = Journal::new("http://x", "p", "a", "b", Options::default(), "id".into());
    j.path = dir.path().join("j.json");
    j.start(StepName::Delete).unwrap();
    // As if the step started a minute ago and a person took 58 s to type the name.
    j.step_mut(StepName::Delete).started =
        Some((jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60)).to_string());
    j.waited(StepName::Delete, std::time::Duration::from_secs(58));
    j.finish(StepName::Delete, StepStatus::Done, None).unwrap();
    let s = j.step(StepName::Delete);
    assert_eq!(s.waited, Some(58.0));
    let secs = s.seconds.unwrap();
    assert!((2.0..10.0).contains(&secs), "{secs}");
}
