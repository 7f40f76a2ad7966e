//! What the store keeps about a service besides plain values: its state, the operation in
//! progress and, for forks, where it comes from. Each has one conversion to and from its SQLite
//! column (`ToSql`/`FromSql`); the column texts are the ones earlier versions wrote.

use avn_api::time::format_zulu;
use jiff::Timestamp;
use rusqlite::types::FromSql;
use rusqlite::types::FromSqlError;
use rusqlite::types::FromSqlResult;
use rusqlite::types::ToSql;
use rusqlite::types::ToSqlOutput;
use rusqlite::types::ValueRef;
use serde::Deserialize;
use serde::Serialize;

/// An enum stored as one of a fixed set of column texts: its variants, `as_str`, and the one
/// `ToSql`/`FromSql` pair.
macro_rules! text_column {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                match v.as_str()? {
                    $($text => Ok($name::$variant),)+
                    other => Err(FromSqlError::Other(format!(concat!("unknown ", $what, " '{}'"), other).into())),
                }
            }
        }
    };
}

text_column!(
    /// A service's state as the API shows it (`state` column).
    State, "service state", {
        /// Being created, forked or started.
        Rebuilding => "REBUILDING",
        Running => "RUNNING",
        PowerOff => "POWEROFF",
    }
);

text_column!(
    /// The long operation a service is in (`op` column; NULL when idle). The store always says
    /// which one is in flight, so a restart can redo it.
    Op, "operation", {
        Create => "create",
        Fork => "fork",
        PowerOn => "poweron",
        /// The last operation failed; the service stays until it is terminated.
        Failed => "failed",
        /// Starting an existing cluster failed (after a crash, or a power-on): its data is
        /// intact, and power off then on tries again once the cause is gone.
        StartFailed => "start_failed",
    }
);

impl From<State> for avn_api::ServiceState {
    fn from(s: State) -> Self {
        avn_api::ServiceState::from(s.as_str().to_string())
    }
}

/// Where a fork comes from (`fork` column, JSON
/// `{"source_id", "source_project", "source_service", "target"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForkOrigin {
    /// Instance id of the source service.
    pub source_id: String,
    pub source_project: String,
    pub source_service: String,
    /// The recovery target; `None` replays everything archived.
    #[serde(with = "zulu_opt")]
    pub target: Option<Timestamp>,
    /// The base backup chosen when the fork was accepted (held until the fork finishes).
    #[serde(default)]
    pub backup: Option<String>,
}

mod zulu_opt {
    use jiff::Timestamp;
    use serde::Deserialize;
    use serde::Deserializer;
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_zulu(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) => avn_api::time::parse(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("unreadable time '{s}'"))),
        }
    }
}

impl ToSql for ForkOrigin {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let json = serde_json::to_string(self).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
        Ok(ToSqlOutput::from(json))
    }
}

impl FromSql for ForkOrigin {
    fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(v.as_str()?).map_err(|e| FromSqlError::Other(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    #[test]
    fn columns_read_what_earlier_versions_wrote_and_write_it_back() {
        let c = Connection::open_in_memory().unwrap();
        let old_fork = r#"{"source_id":"src-abc","source_project":"p","source_service":"src","target":"2026-11-21T05:20:38.000000Z"}"#;
        let (state, op, fork): (State, Option<Op>, ForkOrigin) = c
            .query_row("SELECT 'POWEROFF', 'poweron', ?1", [old_fork], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!((state, op), (State::PowerOff, Some(Op::PowerOn)));
        assert_eq!(fork.target, Some("2026-11-21T05:20:38Z".parse().unwrap()));
        let latest: ForkOrigin = c
            .query_row(
                r#"SELECT '{"source_id":"a","source_project":"p","source_service":"s","target":null}'"#,
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(latest.target, None);
        for s in [State::Rebuilding, State::Running, State::PowerOff] {
            let back: State = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
            assert_eq!(back, s);
        }
        for o in [Op::Create, Op::Fork, Op::PowerOn, Op::Failed] {
            let back: Op = c.query_row("SELECT ?1", [o], |r| r.get(0)).unwrap();
            assert_eq!(back, o);
        }
        let back: ForkOrigin = c.query_row("SELECT ?1", [&fork], |r| r.get(0)).unwrap();
        assert_eq!(back, fork);
        assert!(c.query_row("SELECT 'MIGRATING'", [], |r| r.get::<_, State>(0)).is_err());
    }
}
