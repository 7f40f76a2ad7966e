//! Waiting for something to happen, until a deadline.
//!
//! Every wait in avn polls an observable condition (a server accepting connections, a file in an
//! archive, a service's state) at a fixed interval, and gives up at a deadline with an error
//! that says what it waited for and how long. [`until`] is that loop for async code and
//! [`until_blocking`] for threads that may block; [`Deadline`] serves loops that do more between
//! polls than ask one question.

use std::future::Future;
use std::time::Duration;
use std::time::Instant;

/// A wait that did not end in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: not done after {}", seconds(*.after))]
pub struct TimedOut {
    /// What was waited for, in the words of the error message (`the server to accept connections`).
    pub what: String,
    pub after: Duration,
}

fn seconds(d: Duration) -> String {
    match d.as_secs() {
        0 => format!("{} ms", d.as_millis()),
        s => format!("{s} s"),
    }
}

/// An instant to give up at.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    pub fn after(timeout: Duration) -> Deadline {
        Deadline { at: Instant::now() + timeout, timeout }
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// The error to return once it has passed.
    pub fn timed_out(&self, what: impl Into<String>) -> TimedOut {
        TimedOut { what: what.into(), after: self.timeout }
    }
}

/// Ask `check` every `every` until it answers `Some`, for at most `timeout` (it is asked at
/// least once, and once more at the deadline).
pub async fn until<T, F, Fut>(what: &str, timeout: Duration, every: Duration, mut check: F) -> Result<T, TimedOut>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Deadline::after(timeout);
    loop {
        let last = deadline.passed();
        if let Some(v) = check().await {
            return Ok(v);
        }
        if last {
            return Err(deadline.timed_out(what));
        }
        tokio::time::sleep(every.min(deadline.remaining().max(Duration::from_millis(1)))).await;
    }
}

/// [`until`] for a thread that may block.
pub fn until_blocking<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Result<T, TimedOut> {
    let deadline = Deadline::after(timeout);
    loop {
        let last = deadline.passed();
        if let Some(v) = check() {
            return Ok(v);
        }
        if last {
            return Err(deadline.timed_out(what));
        }
        std::thread::sleep(every.min(deadline.remaining().max(Duration::from_millis(1))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn answers_as_soon_as_the_condition_holds_and_says_what_timed_out() {
        let mut n = 0;
        let v = until("three polls", Duration::from_secs(5), Duration::from_millis(100), || {
            n += 1;
            std::future::ready((n == 3).then_some(n))
        })
        .await;
        assert_eq!(v, Ok(3));
        let e = until("the server to accept connections", Duration::from_secs(2), Duration::from_millis(100), || {
            std::future::ready(None::<()>)
        })
        .await
        .unwrap_err();
        assert_eq!(e.to_string(), "the server to accept connections: not done after 2 s");
    }

    #[test]
    fn blocking_wait_asks_once_more_at_the_deadline() {
        let mut n = 0;
        let e = until_blocking("nothing", Duration::from_millis(30), Duration::from_millis(10), || {
            n += 1;
            None::<()>
        });
        assert!(e.is_err() && n >= 2, "{n}");
    }
}
