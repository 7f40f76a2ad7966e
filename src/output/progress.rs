//! Progress of services being built, forked or powered on, on stderr.
//!
//! On a terminal: one indicatif line per service with state, phase, a real percentage from
//! `node_states[].progress_updates` (a spinner when the control plane reports none) and the
//! elapsed time, each line cut to the terminal's width. Phases are named in the user's words
//! ("copying the base backup", "replaying changes up to 10:58:00Z"). Without a terminal: one timestamped line per state or phase change. Under
//! `--json`: nothing.
#![allow(clippy::print_stderr)]

use std::collections::HashMap;
use std::time::Duration;

use indicatif::MultiProgress;
use indicatif::ProgressBar;
use indicatif::ProgressDrawTarget;
use indicatif::ProgressStyle;

use super::Printer;

/// What one poll of a service showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub state: String,
    pub phase: Option<String>,
    pub percent: Option<f64>,
}

impl Snapshot {
    /// State and progress of a service: the first unfinished progress update of its nodes.
    pub fn of(s: &avn_api::Service) -> Snapshot {
        let current = s.node_states.iter().flat_map(|n| n.progress_updates.iter()).find(|p| !p.completed);
        Snapshot {
            state: s.state.to_string(),
            phase: current.map(|p| phase_words(&p.phase, s)),
            percent: current.and_then(|p| p.percent()),
        }
    }
}

/// A control-plane phase (`prepare`, `basebackup`, `stream`, `finalize`) in the user's words.
pub fn phase_words(phase: &str, s: &avn_api::Service) -> String {
    let fork = avn_api::ForkKeys::read(&s.user_config);
    match phase {
        "prepare" => "preparing".into(),
        "basebackup" if fork.service.is_some() => "copying the base backup".into(),
        "basebackup" => "taking a backup".into(),
        "stream" => match fork.target_instant() {
            Some(t) => {
                let zulu = avn_api::time::format_zulu(t);
                let today = jiff::Timestamp::now().to_string();
                let shown = if zulu.get(..10) == today.get(..10) { zulu[11..].to_string() } else { zulu };
                format!("replaying changes up to {shown}")
            }
            None if fork.service.is_some() => "replaying changes up to the latest transaction".into(),
            None => "replaying changes".into(),
        },
        "finalize" => "starting".into(),
        other => other.replace('_', " "),
    }
}

enum Mode {
    Bars(MultiProgress),
    Lines,
    Silent,
}

pub struct WaitDisplay {
    mode: Mode,
    bars: HashMap<String, ProgressBar>,
    last: HashMap<String, Snapshot>,
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{spinner:.cyan} {prefix:.bold} {wide_msg} [{bar:20.cyan/blue}] {percent:>3}% {elapsed}",
    )
    .expect("static template")
    .progress_chars("=> ")
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {wide_msg} {elapsed}").expect("static template")
}

impl WaitDisplay {
    pub fn new(printer: &Printer, names: &[String]) -> WaitDisplay {
        let mode = if printer.json_mode() {
            Mode::Silent
        } else if printer.stderr_is_tty() {
            Mode::Bars(MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)))
        } else {
            Mode::Lines
        };
        let mut bars = HashMap::new();
        if let Mode::Bars(multi) = &mode {
            for n in names {
                let b = multi.add(ProgressBar::new(1000));
                b.set_style(spinner_style());
                b.set_prefix(n.clone());
                b.enable_steady_tick(Duration::from_millis(100));
                bars.insert(n.clone(), b);
            }
        }
        WaitDisplay { mode, bars, last: HashMap::new() }
    }

    /// Show a poll result; returns whether anything changed since the last one.
    pub fn update(&mut self, name: &str, snap: Snapshot) -> bool {
        let changed = self.last.get(name) != Some(&snap);
        let phase_changed = self.last.get(name).is_none_or(|l| l.state != snap.state || l.phase != snap.phase);
        match &self.mode {
            Mode::Silent => {}
            Mode::Lines => {
                if phase_changed {
                    let phase = snap.phase.as_ref().map(|p| format!(" ({p})")).unwrap_or_default();
                    eprintln!("{} {name}: {}{phase}", clock(), snap.state);
                }
            }
            Mode::Bars(_) => {
                if let Some(b) = self.bars.get(name) {
                    let msg = match &snap.phase {
                        Some(p) => format!("{} · {p}", snap.state),
                        None => snap.state.clone(),
                    };
                    b.set_message(msg);
                    match snap.percent {
                        Some(pct) => {
                            b.set_style(bar_style());
                            b.set_position((pct * 10.0).round() as u64);
                        }
                        None => b.set_style(spinner_style()),
                    }
                }
            }
        }
        self.last.insert(name.to_string(), snap);
        changed
    }

    /// The last snapshot shown for a service.
    pub fn last(&self, name: &str) -> Option<Snapshot> {
        self.last.get(name).cloned()
    }

    /// A service is ready: the bar shows 100%.
    pub fn done(&mut self, name: &str, message: &str) {
        match &self.mode {
            Mode::Silent => {}
            Mode::Lines => {
                if self.last.get(name).is_none_or(|l| l.state != message || l.phase.is_some()) {
                    eprintln!("{} {name}: {message}", clock());
                }
            }
            Mode::Bars(_) => {
                if let Some(b) = self.bars.get(name) {
                    b.set_style(bar_style());
                    b.set_position(1000);
                    b.finish_with_message(message.to_string());
                }
            }
        }
    }

    /// A note about one service (e.g. checking connections).
    pub fn note(&mut self, name: &str, message: &str) {
        match &self.mode {
            Mode::Silent => {}
            Mode::Lines => eprintln!("{} {name}: {message}", clock()),
            Mode::Bars(_) => {
                if let Some(b) = self.bars.get(name) {
                    b.set_message(message.to_string());
                }
            }
        }
    }

    /// Stop drawing (leaving the last state on screen).
    pub fn finish(&mut self) {
        for b in self.bars.values() {
            if !b.is_finished() {
                b.abandon();
            }
        }
        // indicatif leaves the cursor at the end of the last bar: what is printed next starts on
        // a line of its own.
        if matches!(self.mode, Mode::Bars(_)) && !self.bars.is_empty() {
            eprintln!();
        }
        self.bars.clear();
    }
}

impl Drop for WaitDisplay {
    fn drop(&mut self) {
        self.finish();
    }
}

fn clock() -> String {
    jiff::Timestamp::now().strftime("%H:%M:%S").to_string()
}
