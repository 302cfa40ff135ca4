//! The SQLite connection: opening, pragmas, embedded migrations, and running blocking
//! statements off the async runtime.

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use std::sync::{Arc, Mutex};
use webhooks_core::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_operator_features.sql"),
];

/// The database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot create the directory of {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open SQLite database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(rusqlite::Error),
    #[error("database {path} has schema version {found}, newer than this binary knows ({known})")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
}

/// A shared handle on the database. One connection serialises writes, which SQLite
/// does anyway; WAL keeps readers of other processes unblocked.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::Dir {
                path: shown.clone(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| DbError::Open {
            path: shown.clone(),
            source,
        })?;
        Self::init(conn, &shown)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> Result<Self, DbError> {
        let conn = Connection::open_in_memory().map_err(|source| DbError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:")
    }

    fn init(mut conn: Connection, path: &str) -> Result<Self, DbError> {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )
        .map_err(DbError::Migrate)?;
        let found: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(DbError::Migrate)?;
        if found > MIGRATIONS.len() {
            return Err(DbError::TooNew {
                path: path.into(),
                found,
                known: MIGRATIONS.len(),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found) {
            let tx = conn.transaction().map_err(DbError::Migrate)?;
            tx.execute_batch(sql).map_err(DbError::Migrate)?;
            tx.pragma_update(None, "user_version", i + 1)
                .map_err(DbError::Migrate)?;
            tx.commit().map_err(DbError::Migrate)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection in the blocking pool.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<R, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (transactions roll
            // back on drop), so a poisoned lock is safe to reuse.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// Reads a value from the settings table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.call(move |c| {
            c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)
        })
        .await
    }

    /// Writes a value to the settings table.
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.call(move |c| {
            c.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(drop)
            .map_err(sql)
        })
        .await
    }
}

/// Maps a SQLite error; constraint violations are conflicts.
pub(crate) fn sql(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::Conflict
        }
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DatabaseBusy => {
            StoreError::Throttled
        }
        _ => StoreError::backend(e),
    }
}

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// Parses a stored id; a bad one means the database was edited by hand.
pub(crate) fn parse_col<T, E: std::fmt::Display>(
    idx: usize,
    r: Result<T, E>,
) -> rusqlite::Result<T> {
    r.map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })
}
