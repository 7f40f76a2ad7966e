//! Shell completion at the cursor: `avn __complete SHELL INDEX -- WORD...`.
//!
//! The scripts that `avn completion SHELL` prints (`crates/avn-cli/shell/`) call this on every Tab
//! with the words of the command line and the index of the word under the cursor. It answers with
//! one candidate per line, `VALUE` or `VALUE<TAB>DESCRIPTION`, or with the single line `@@files`
//! to ask the shell for its own file-name completion. Subcommands, options and fixed values come
//! from the clap definition ([`engine`]); service, project, plan, cloud and backup names from the
//! API through a one-minute cache ([`live`], [`cache`]).
//!
//! When the API was too slow to answer within [`live::BUDGET`], it starts
//! `avn __complete refresh INDEX -- WORD...` in the background, which makes the same request with
//! more patience and only fills the cache, so that the next Tab has the names.
//!
//! It is not a clap subcommand (so it is never offered, shown or documented as one) and it never
//! fails: anything that goes wrong means no candidates, exit status 0, and nothing on stderr.

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::process::Stdio;
use std::time::Duration;

use engine::Candidate;
use engine::Reply;
use engine::Slot;

mod cache;
pub mod engine;
pub mod live;

pub use live::forget_services;

/// The first argument that selects this protocol.
pub const ARG: &str = "__complete";
/// The line that asks the shell to complete a file name.
pub const FILES: &str = "@@files";
/// The "shell" of a background refresh: it answers nobody.
const REFRESH: &str = "refresh";

/// Whether the process was started to complete (`avn __complete ...`).
pub fn requested(args: &[OsString]) -> bool {
    args.get(1).is_some_and(|a| a == ARG)
}

/// Answer `avn __complete SHELL INDEX -- WORD...` on stdout.
pub fn main(args: &[OsString]) -> ExitCode {
    // A panic message would land on the user's command line.
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = args.iter().skip(2).map(|a| a.to_string_lossy().into_owned()).collect();
    let (shell, index, words) = match args.as_slice() {
        [shell, index, dashes, words @ ..] if dashes == "--" => (shell.as_str(), index.parse().ok(), words),
        _ => return ExitCode::SUCCESS,
    };
    let Some(index) = index else { return ExitCode::SUCCESS };
    let budget = if shell == REFRESH { live::REFRESH_BUDGET } else { live::BUDGET };
    let (mut reply, too_slow) = std::panic::catch_unwind(|| reply(words, index, budget)).unwrap_or_default();
    if shell == REFRESH {
        return ExitCode::SUCCESS;
    }
    // bash inserts the candidates' common prefix: on an empty word where only options can come
    // (`fork a b --backup NAME <Tab>`) that is a lone `-` on the line. bash users type `-` first
    // to list options; zsh and fish show them as a menu.
    let current_empty = words.get(index).is_none_or(|w| w.is_empty());
    if shell == "bash" && current_empty {
        if let Reply::Words(ws) = &reply {
            if !ws.is_empty() && ws.iter().all(|c| c.value.starts_with('-')) {
                reply = Reply::Nothing;
            }
        }
    }
    {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(render(shell, &reply).as_bytes());
        let _ = out.flush();
    }
    if too_slow {
        refresh_in_background(index, words);
    }
    ExitCode::SUCCESS
}

/// Start `avn __complete refresh` for this command line, detached: it holds none of the shell's
/// pipes (the shell does not wait for it) and is not in the terminal's process group.
fn refresh_in_background(index: usize, words: &[String]) {
    let Ok(exe) = std::env::current_exe() else { return };
    let mut cmd = std::process::Command::new(exe);
    cmd.args([ARG, REFRESH, &index.to_string(), "--"])
        .args(words)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let _ = cmd.spawn();
}

/// The candidates for word `index` of `words` (the first word is the program), waiting at most
/// `budget` for the API, and whether the API was too slow for them.
pub fn reply(words: &[String], index: usize, budget: Duration) -> (Reply, bool) {
    if index == 0 {
        return (Reply::Nothing, false);
    }
    let mut root = crate::cli::command();
    root.build();
    let walk = engine::walk(&root, words, index);
    let too_slow = std::cell::Cell::new(false);
    let values = |arg: &clap::Arg, current: &str| match live::kind_of(&walk.command(), arg.get_id().as_str()) {
        Some(kind) => {
            let answer = live::candidates(kind, &walk, current, budget);
            too_slow.set(answer.too_slow);
            Reply::Words(answer.items)
        }
        None => engine::static_values(arg, current),
    };
    let reply = match &walk.slot {
        Slot::Value { arg, prefix, current } => match values(arg, current) {
            Reply::Words(ws) => Reply::Words(
                ws.into_iter().map(|c| Candidate { value: format!("{prefix}{}", c.value), help: c.help }).collect(),
            ),
            other => other,
        },
        Slot::Word { positional, subcommands, escaped, current } => {
            if !escaped && current.starts_with('-') {
                return (Reply::Words(engine::options(walk.cmd, current, &walk.values)), false);
            }
            let mut words = if *subcommands { engine::subcommands(walk.cmd, current) } else { vec![] };
            match positional.map(|p| values(p, current)) {
                Some(Reply::Words(ws)) => words.extend(ws),
                Some(Reply::Files) if words.is_empty() => return (Reply::Files, false),
                _ => {}
            }
            // Nothing else can come here (`get db1 <Tab>`): offer the options.
            if words.is_empty() && positional.is_none() && !escaped && current.is_empty() {
                words = engine::options(walk.cmd, current, &walk.values);
            }
            Reply::Words(words)
        }
    };
    (reply, too_slow.get())
}

/// The reply as the shell's script reads it. Descriptions are one line, without tabs.
fn render(shell: &str, reply: &Reply) -> String {
    match reply {
        Reply::Nothing => String::new(),
        Reply::Files => format!("{FILES}\n"),
        Reply::Words(ws) => ws
            .iter()
            .filter(|c| !c.value.contains('\n'))
            .map(|c| {
                let help = c.help.replace(['\t', '\n'], " ");
                if help.is_empty() || shell == "bash" {
                    format!("{}\n", c.value)
                } else {
                    format!("{}\t{help}\n", c.value)
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(line: &str) -> Vec<String> {
        let words: Vec<String> = line.split(' ').map(str::to_string).collect();
        match reply(&words, words.len() - 1, live::BUDGET).0 {
            Reply::Words(ws) => ws.into_iter().map(|c| c.value).collect(),
            Reply::Files => vec![FILES.to_string()],
            Reply::Nothing => vec![],
        }
    }

    #[test]
    fn subcommands_options_and_fixed_values() {
        assert_eq!(values("avn service f"), ["fork"]);
        assert_eq!(values("avn serv"), ["service"]);
        let completion = values("avn completion ");
        assert!(completion.contains(&"install".into()) && completion.contains(&"zsh".into()), "{completion:?}");
        let opts = values("avn service fork --p");
        assert!(opts.contains(&"--pitr".into()) && opts.contains(&"--plan".into()), "{opts:?}");
        assert!(values("avn service fork x y -t p").contains(&"pg".into()));
        assert_eq!(values("avn service rename a b --verify c"), ["counts", "checksum"]);
        assert_eq!(values("avn --config "), [FILES]);
        assert_eq!(values("avn --config=x"), [FILES]);
    }

    #[test]
    fn positions_without_candidates_offer_nothing_or_options() {
        // a new name: nothing to offer, and no options in the way
        assert!(values("avn service fork src ").is_empty());
        // nothing else can come: the options
        assert!(values("avn service get db1 ").contains(&"--json".into()));
        // after --, only positionals
        assert!(values("avn completion -- -").is_empty());
    }

    #[test]
    fn hidden_options_are_not_offered() {
        for line in
            ["avn service get --", "avn service get --idle", "avn service get --max", "avn -", "avn service get db1 "]
        {
            let got = values(line);
            assert!(!got.iter().any(|v| v == "--idle-timeout" || v == "--max-age"), "{line}: {got:?}");
        }
    }

    #[test]
    fn render_per_shell() {
        let r = Reply::Words(vec![Candidate::new("db1", "pg\tRUNNING"), Candidate::new("db2", "")]);
        assert_eq!(render("zsh", &r), "db1\tpg RUNNING\ndb2\n");
        assert_eq!(render("bash", &r), "db1\ndb2\n");
        assert_eq!(render("fish", &Reply::Files), "@@files\n");
    }
}
