//! What the word under the cursor can be, read off the clap definition.
//!
//! The words before the cursor are walked the way clap parses them (subcommands, `--long`,
//! `--long=value`, `-s`, `-svalue`, clustered short flags, `--`), collecting every value given so
//! far. The word under the cursor is then a value of one argument (after `--plan`, in
//! `--plan=st`, or a positional), an option (it starts with `-`), or a subcommand or positional.
//! Hidden options, hidden subcommands and hidden possible values are never offered.

use std::collections::HashMap;

use clap::Arg;
use clap::Command;
use clap::ValueHint;

/// One thing to offer: the text that replaces the current word, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub help: String,
}

impl Candidate {
    pub fn new(value: impl Into<String>, help: impl Into<String>) -> Candidate {
        Candidate { value: value.into(), help: help.into() }
    }
}

/// The answer for the word under the cursor.
#[derive(Debug, Default, PartialEq, Eq)]
pub enum Reply {
    #[default]
    Nothing,
    Words(Vec<Candidate>),
    /// A path: the shell's own file completion does it best (quoting, `~`, directories).
    Files,
}

/// The command line up to the cursor, walked.
pub struct Walk<'c> {
    /// Subcommand names from the root, e.g. `["service", "fork"]`.
    pub path: Vec<String>,
    /// The innermost command.
    pub cmd: &'c Command,
    /// Every value given before the cursor, by argument id (flags as `"true"`).
    pub values: HashMap<String, Vec<String>>,
    pub slot: Slot<'c>,
}

/// What the word under the cursor is.
pub enum Slot<'c> {
    /// A value of `arg`; `prefix` is the part of the word before the value (`--plan=`, `-p`).
    Value { arg: &'c Arg, prefix: String, current: String },
    /// A subcommand, the positional `positional`, or (when it starts with `-`) an option.
    Word { positional: Option<&'c Arg>, subcommands: bool, escaped: bool, current: String },
}

impl Walk<'_> {
    /// The values given for an argument id.
    pub fn get(&self, id: &str) -> &[String] {
        self.values.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first value given for an argument id.
    pub fn first(&self, id: &str) -> Option<&str> {
        self.get(id).first().map(String::as_str).filter(|v| !v.is_empty())
    }

    /// The command path as one string, e.g. `"service fork"`.
    pub fn command(&self) -> String {
        self.path.join(" ")
    }
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_num_args().is_some_and(|n| n.takes_values())
}

fn repeatable(arg: &Arg) -> bool {
    matches!(arg.get_action(), clap::ArgAction::Append | clap::ArgAction::Count)
}

fn find_long<'c>(cmd: &'c Command, name: &str) -> Option<&'c Arg> {
    cmd.get_arguments().find(|a| a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|v| v.contains(&name)))
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|v| v.contains(&c)))
}

fn find_subcommand<'c>(cmd: &'c Command, name: &str) -> Option<&'c Command> {
    cmd.get_subcommands().find(|s| s.get_name() == name || s.get_all_aliases().any(|a| a == name))
}

/// The `n`th positional (0-based); the last one repeats when it takes many values.
fn positional(cmd: &Command, n: usize) -> Option<&Arg> {
    let all: Vec<&Arg> = cmd.get_positionals().collect();
    match all.get(n) {
        Some(a) => Some(a),
        None => all.last().copied().filter(|a| a.get_num_args().is_some_and(|r| r.max_values() > 1)),
    }
}

/// A word that is a negative number, not a flag (`-90m` is a flag cluster to clap too).
fn is_number(w: &str) -> bool {
    w[1..].parse::<f64>().is_ok()
}

/// Walk `words` (the first is the program) up to `index`, the word under the cursor.
/// `root` must be built (`Command::build`), so global options are on every subcommand.
pub fn walk<'c>(root: &'c Command, words: &[String], index: usize) -> Walk<'c> {
    let mut cmd = root;
    let mut path = Vec::new();
    let mut values: HashMap<String, Vec<String>> = HashMap::new();
    let mut record = |arg: &Arg, v: &str| values.entry(arg.get_id().to_string()).or_default().push(v.to_string());
    let mut pending: Option<&Arg> = None;
    let mut escaped = false;
    let mut npos = 0;
    let end = index.min(words.len());
    for i in 1..end {
        let w = words[i].as_str();
        if let Some(arg) = pending.take() {
            // bash splits `--plan=startup` into `--plan`, `=`, `startup`
            if w == "=" && words[i - 1].starts_with("--") {
                pending = Some(arg);
            } else {
                record(arg, w);
            }
            continue;
        }
        if !escaped && w == "--" {
            escaped = true;
            continue;
        }
        if !escaped {
            if let Some(long) = w.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v)),
                    None => (long, None),
                };
                if let Some(arg) = find_long(cmd, name) {
                    match (takes_value(arg), value) {
                        (true, Some(v)) => record(arg, v),
                        (true, None) => pending = Some(arg),
                        (false, _) => record(arg, "true"),
                    }
                }
                continue;
            }
            if w.len() > 1 && w.starts_with('-') && !is_number(w) {
                for (j, c) in w.char_indices().skip(1) {
                    let Some(arg) = find_short(cmd, c) else { break };
                    if takes_value(arg) {
                        let rest = &w[j + c.len_utf8()..];
                        let rest = rest.strip_prefix('=').unwrap_or(rest);
                        if rest.is_empty() {
                            pending = Some(arg);
                        } else {
                            record(arg, rest);
                        }
                        break;
                    }
                    record(arg, "true");
                }
                continue;
            }
            if npos == 0 {
                if let Some(sub) = find_subcommand(cmd, w) {
                    cmd = sub;
                    path.push(sub.get_name().to_string());
                    continue;
                }
            }
        }
        if let Some(arg) = positional(cmd, npos) {
            record(arg, w);
        }
        npos += 1;
    }
    let current = words.get(index).cloned().unwrap_or_default();
    let slot = match pending {
        Some(arg) => Slot::Value { arg, prefix: String::new(), current },
        None => current_slot(cmd, current, escaped, npos),
    };
    Walk { path, cmd, values, slot }
}

fn current_slot(cmd: &Command, current: String, escaped: bool, npos: usize) -> Slot<'_> {
    if !escaped {
        if let Some((name, value)) = current.strip_prefix("--").and_then(|l| l.split_once('=')) {
            if let Some(arg) = find_long(cmd, name).filter(|a| takes_value(a)) {
                return Slot::Value { arg, prefix: format!("--{name}="), current: value.to_string() };
            }
        }
        if current.len() > 1 && current.starts_with('-') && !current.starts_with("--") && !is_number(&current) {
            for (j, c) in current.char_indices().skip(1) {
                let Some(arg) = find_short(cmd, c) else { break };
                if takes_value(arg) {
                    let mut at = j + c.len_utf8();
                    if current[at..].starts_with('=') {
                        at += 1;
                    }
                    if at == current.len() {
                        break; // `-p` itself: offer it as an option
                    }
                    return Slot::Value { arg, prefix: current[..at].to_string(), current: current[at..].to_string() };
                }
            }
        }
    }
    Slot::Word { positional: positional(cmd, npos), subcommands: npos == 0, escaped, current }
}

/// Offer the visible options of `cmd` that start with `current`, leaving out those already given
/// that cannot be repeated.
pub fn options(cmd: &Command, current: &str, given: &HashMap<String, Vec<String>>) -> Vec<Candidate> {
    let mut out = Vec::new();
    for arg in cmd.get_arguments().filter(|a| !a.is_positional() && !a.is_hide_set()) {
        if given.contains_key(arg.get_id().as_str()) && !repeatable(arg) {
            continue;
        }
        let help = first_line(arg.get_help().map(|h| h.to_string()));
        let mut names: Vec<String> = Vec::new();
        if let Some(l) = arg.get_long() {
            names.push(format!("--{l}"));
        }
        for l in arg.get_visible_aliases().unwrap_or_default() {
            names.push(format!("--{l}"));
        }
        if let Some(s) = arg.get_short() {
            names.push(format!("-{s}"));
        }
        for s in arg.get_visible_short_aliases().unwrap_or_default() {
            names.push(format!("-{s}"));
        }
        out.extend(names.into_iter().filter(|n| n.starts_with(current)).map(|n| Candidate::new(n, help.clone())));
    }
    out
}

/// Offer the visible subcommands of `cmd` that start with `current`.
pub fn subcommands(cmd: &Command, current: &str) -> Vec<Candidate> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .flat_map(|s| {
            let help = first_line(s.get_about().map(|h| h.to_string()));
            std::iter::once(s.get_name().to_string())
                .chain(s.get_visible_aliases().map(str::to_string))
                .map(move |n| Candidate::new(n, help.clone()))
        })
        .filter(|c| c.value.starts_with(current))
        .collect()
}

/// What a value of `arg` can be without asking the API: its visible possible values, or a path.
pub fn static_values(arg: &Arg, current: &str) -> Reply {
    let possible: Vec<Candidate> = arg
        .get_possible_values()
        .into_iter()
        .filter(|p| !p.is_hide_set())
        .map(|p| Candidate::new(p.get_name(), first_line(p.get_help().map(|h| h.to_string()))))
        .filter(|c| c.value.starts_with(current))
        .collect();
    if !possible.is_empty() {
        return Reply::Words(possible);
    }
    match arg.get_value_hint() {
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath | ValueHint::ExecutablePath => Reply::Files,
        _ => Reply::Nothing,
    }
}

fn first_line(s: Option<String>) -> String {
    s.unwrap_or_default().lines().next().unwrap_or("").trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Command {
        let mut c = crate::cli::command();
        c.build();
        c
    }

    fn words(line: &str) -> (Vec<String>, usize) {
        let mut w: Vec<String> = line.split(' ').map(str::to_string).collect();
        if w.last().is_some_and(|l| l.is_empty()) {
            w.pop();
            w.push(String::new());
        }
        let i = w.len() - 1;
        (w, i)
    }

    /// (command path, slot description) for a line whose last word is under the cursor.
    fn slot(line: &str) -> (String, String) {
        let root = built();
        let (w, i) = words(line);
        let walk = walk(&root, &w, i);
        let s = match &walk.slot {
            Slot::Value { arg, prefix, current } => format!("value {} [{prefix}] [{current}]", arg.get_id()),
            Slot::Word { positional, current, .. } => {
                format!("word {} [{current}]", positional.map(|p| p.get_id().to_string()).unwrap_or("-".into()))
            }
        };
        (walk.command(), s)
    }

    #[test]
    fn finds_the_argument_under_the_cursor() {
        let cases = [
            ("avn service get ", "service get", "word name []"),
            ("avn service get db", "service get", "word name [db]"),
            ("avn --json service get db", "service get", "word name [db]"),
            ("avn service get db1 ", "service get", "word - []"),
            ("avn service fork src ", "service fork", "word new []"),
            ("avn service fork src new -p st", "service fork", "value plan [] [st]"),
            ("avn service fork src new --plan=st", "service fork", "value plan [--plan=] [st]"),
            ("avn service fork src new --plan = st", "service fork", "value plan [] [st]"),
            ("avn service fork src new -pst", "service fork", "value plan [-p] [st]"),
            ("avn service fork src new -p", "service fork", "word - [-p]"),
            ("avn service fork --pitr -90m src ", "service fork", "word new []"),
            ("avn service wait a b ", "service wait", "word names []"),
            ("avn service get --project ", "service get", "value project [] []"),
            ("avn --project p service ", "service", "word - []"),
            ("avn service create x --fork-from ", "service create", "value fork_from [] []"),
            ("avn service get -- -x", "service get", "word name [-x]"),
            ("avn completion ", "completion", "word shell []"),
        ];
        for (line, path, want) in cases {
            assert_eq!(slot(line), (path.to_string(), want.to_string()), "{line:?}");
        }
    }

    #[test]
    fn collects_values_before_the_cursor() {
        let root = built();
        let (w, i) = words("avn service fork src new --source-project other -t pg -vv --url=http://x -p ");
        let walk = walk(&root, &w, i);
        assert_eq!(walk.first("source"), Some("src"));
        assert_eq!(walk.first("new"), Some("new"));
        assert_eq!(walk.first("source_project"), Some("other"));
        assert_eq!(walk.first("service_type"), Some("pg"));
        assert_eq!(walk.first("url"), Some("http://x"));
        assert_eq!(walk.get("verbose").len(), 2);
    }

    #[test]
    fn hidden_options_are_never_offered() {
        let root = built();
        let get = root.find_subcommand("service").unwrap().find_subcommand("get").unwrap();
        let all: Vec<String> = options(get, "-", &HashMap::new()).into_iter().map(|c| c.value).collect();
        assert!(all.contains(&"--project".to_string()) && all.contains(&"-v".to_string()), "{all:?}");
        for prefix in ["-", "--", "--i", "--idle", "--max", "--max-age"] {
            let got: Vec<String> = options(get, prefix, &HashMap::new()).into_iter().map(|c| c.value).collect();
            assert!(!got.iter().any(|o| o == "--idle-timeout" || o == "--max-age"), "{prefix}: {got:?}");
        }
    }

    #[test]
    fn options_already_given_are_not_offered_again() {
        let root = built();
        let fork = root.find_subcommand("service").unwrap().find_subcommand("fork").unwrap();
        let given = HashMap::from([("plan".to_string(), vec!["x".to_string()]), ("config_option".into(), vec![])]);
        let got: Vec<String> = options(fork, "-", &given).into_iter().map(|c| c.value).collect();
        assert!(!got.contains(&"--plan".to_string()) && got.contains(&"-c".to_string()), "{got:?}");
    }

    #[test]
    fn subcommands_have_their_help_line() {
        let root = built();
        let service = root.find_subcommand("service").unwrap();
        let got = subcommands(service, "fo");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].value, "fork");
        assert!(got[0].help.starts_with("Fork a service"), "{got:?}");
    }

    #[test]
    fn paths_and_possible_values() {
        let root = built();
        let config = root.get_arguments().find(|a| a.get_id() == "config").unwrap();
        assert_eq!(static_values(config, ""), Reply::Files);
        let fork = root.find_subcommand("service").unwrap().find_subcommand("fork").unwrap();
        let t = fork.get_arguments().find(|a| a.get_id() == "service_type").unwrap();
        let Reply::Words(types) = static_values(t, "p") else { panic!("no types") };
        assert!(types.iter().any(|c| c.value == "pg"));
    }
}
