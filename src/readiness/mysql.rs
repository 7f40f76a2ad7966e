//! Whether a MySQL service accepts connections: a TLS login with the service URI and `SELECT 1`,
//! classified like PostgreSQL's check.

use std::time::Duration;

use mysql_async::prelude::Queryable;

use super::postgres::Check;
use crate::mysql::MyConn;
use crate::mysql::MyError;

/// Server errors that mean "up, but this login is refused": access denied (1045), to the
/// database (1044), and the account locked (4151) or its password expired (1820, 1862).
const REFUSED: [u16; 5] = [1044, 1045, 1820, 1862, 4151];

pub async fn check(conn: Result<MyConn, MyError>) -> Check {
    let attempt = async {
        let mut c = conn?.connect().await?;
        c.query_drop("SELECT 1").await.map_err(MyError::from)?;
        let _ = c.disconnect().await;
        Ok::<_, MyError>(())
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(())) => Check::Ready,
        Ok(Err(e)) => classify(e),
        Err(_) => Check::Unreachable("connection timed out".into()),
    }
}

fn classify(e: MyError) -> Check {
    match e {
        MyError::TlsDeclined | MyError::Certificate(_) => Check::Insecure(e.to_string()),
        MyError::Server(s) if REFUSED.contains(&s.code) => Check::UpButRefused(s.to_string()),
        MyError::Unreachable(_) => Check::Unreachable(e.to_string()),
        _ => Check::NotYet(e.to_string()),
    }
}
