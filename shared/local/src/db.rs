//! The SQLite connection: opening, pragmas, embedded migrations, and running blocking
//! statements off the async runtime.

use crate::endpoint_cache::EndpointCache;
use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use webhooks_core::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_operator_features.sql"),
    include_str!("../migrations/0003_endpoint_headers.sql"),
    include_str!("../migrations/0004_secret_generations.sql"),
    include_str!("../migrations/0005_parked.sql"),
    include_str!("../migrations/0006_message_endpoints.sql"),
    include_str!("../migrations/0007_notifications.sql"),
    include_str!("../migrations/0008_endpoint_filter.sql"),
    include_str!("../migrations/0009_tasks_due_unleased.sql"),
    include_str!("../migrations/0010_lean_delivery_indexes.sql"),
    include_str!("../migrations/0011_task_attempt.sql"),
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
    #[error("cannot start the SQLite writer thread: {0}")]
    Writer(std::io::Error),
    #[error("database migration failed: {0}")]
    Migrate(rusqlite::Error),
    #[error("database {path} has schema version {found}, newer than this binary knows ({known})")]
    TooNew {
        path: String,
        found: usize,
        known: usize,
    },
}

/// When a commit is on disk (`WEBHOOKS_SQLITE_SYNC`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous = NORMAL` under WAL: a commit survives the process being killed (it is
    /// in the operating system's cache); a power loss or kernel crash may undo the last
    /// commits before the next checkpoint, never corrupt the file. Events accepted in that
    /// window can be lost: the publisher saw 202 for them.
    Process,
    /// `synchronous = FULL`, the default: each commit is fsynced before it is acknowledged,
    /// so accepted means on disk even across a power loss. Group commit shares one fsync
    /// among the writes queued meanwhile, which is why this costs no measurable throughput
    /// here (docs/BENCHMARKS.md).
    #[default]
    PowerLoss,
}

impl std::str::FromStr for Durability {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "process" => Ok(Self::Process),
            "power-loss" => Ok(Self::PowerLoss),
            _ => Err("expected process or power-loss"),
        }
    }
}

/// Read-only connections opened beside the writer (file databases only).
const READERS: usize = 4;
/// Most write jobs committed together in one transaction. Not more: with 256 deliveries in
/// flight, a group of 512 held nearly every attempt's caller until all were written, so
/// senders and writer took turns instead of overlapping; 128 gave 3 % more deliveries per
/// second at fan-out 5 on average and a lower peak RSS, for the same writer CPU per
/// delivery (docs/BENCHMARKS.md, P1), and 64 gave less.
const GROUP_COMMIT: usize = 128;

/// A write job: runs on the writer connection inside the group's transaction and returns
/// what to do once the group's commit is known (send the result, or the commit error).
type Job = Box<dyn FnOnce(&mut Connection) -> Ran + Send>;

/// Whether a job's result, once its group's commit is known, makes the endpoint copies
/// stale ([`Db::call_on_endpoints`]).
type AfterCommit<R> = Option<(Arc<EndpointCache>, fn(&R) -> bool)>;

/// What a job left: its reply, and whether it failed after changing rows, which only a
/// job without a savepoint can do ([`Db::call_unguarded`]).
struct Ran {
    reply: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
    partial: bool,
}

/// A shared handle on the database. One writer thread owns the read-write connection and
/// commits the writes queued meanwhile together (group commit: one transaction, each job in
/// its own savepoint but the unguarded ones, results released only after the commit); a
/// few read-only connections serve reads concurrently (WAL lets them proceed while the
/// writer commits).
#[derive(Clone)]
pub struct Db {
    writer: std::sync::mpsc::Sender<Job>,
    readers: Arc<Vec<Mutex<Connection>>>,
    next_reader: Arc<AtomicUsize>,
    /// Shared by every adapter on this database: the writes that change an endpoint are
    /// theirs, the copies the delivery reader's and the ingest's.
    endpoints: Arc<EndpointCache>,
}

fn run_writer(
    mut conn: Connection,
    jobs: std::sync::mpsc::Receiver<Job>,
    checkpoints: Option<Checkpoints>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_COMMIT {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        if let Some(c) = checkpoints.as_ref().filter(|c| c.catch_up_due()) {
            c.catch_up(&conn);
        }
        // Without the group's transaction, each job's savepoint would commit on its own
        // while its caller is told it failed: drop the group instead (each caller gets an
        // error, and nothing was written).
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, jobs = group.len(), "cannot begin a write group");
            continue;
        }
        let mut done = Vec::with_capacity(group.len());
        // A job that failed part-way without a savepoint: nothing of the group may be kept.
        let mut poisoned = false;
        for job in group {
            let changes = conn.total_changes();
            // A job that panics loses only its own result (its caller gets an error); a
            // savepoint it held is rolled back when its guard unwinds. Without one, what it
            // changed cannot be told apart from its group's, so the group goes too.
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut conn))) {
                Ok(ran) => {
                    poisoned |= ran.partial;
                    done.push(ran.reply);
                }
                Err(_) => poisoned |= conn.total_changes() != changes,
            }
        }
        let committed = match poisoned {
            false => conn.execute_batch("COMMIT").map_err(sql),
            true => {
                tracing::error!(
                    jobs = done.len(),
                    "a write failed part-way: its group is rolled back"
                );
                Err(StoreError::Backend(
                    "rolled back with a write that failed part-way".into(),
                ))
            }
        };
        if committed.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        if let Some(c) = &checkpoints {
            let _ = c.signal.try_send(());
        }
        for reply in done {
            reply(
                committed
                    .as_ref()
                    .map(|_| ())
                    .map_err(|e| StoreError::Backend(e.to_string())),
            );
        }
    }
}

/// Shortest time between two checkpoints under load: each copies a few megabytes of WAL.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(50);

/// WAL length, in frames (a page each), past which the writer finishes a checkpoint itself
/// so that the WAL starts over: 16 MiB at 4 KiB pages. Smaller in unit tests, which check
/// that the WAL stays bounded without writing hundreds of megabytes.
#[cfg(not(test))]
const WAL_RESTART_FRAMES: i64 = 4096;
#[cfg(test)]
const WAL_RESTART_FRAMES: i64 = 256;

/// The writer's side of the checkpointer: a signal after each commit, and a flag the
/// checkpointer raises when the WAL has grown past [`WAL_RESTART_FRAMES`].
///
/// Why the writer has a part in it: SQLite starts the WAL over only at a write that begins
/// with every frame copied back, and a passive checkpoint copies only the frames committed
/// before it started. Under steady load the writer always commits more meanwhile, so the
/// WAL would grow for as long as the load lasts (220 MB in a 40,000-delivery run), and
/// every commit would write to fresh file blocks, which the kernel allocates and zeroes.
/// Between two groups nothing else writes, so a checkpoint there copies the last frames
/// (those committed since the checkpointer's pass) and the next commit rewinds the WAL.
struct Checkpoints {
    signal: std::sync::mpsc::SyncSender<()>,
    catch_up: Arc<AtomicBool>,
}

impl Checkpoints {
    fn catch_up_due(&self) -> bool {
        self.catch_up.swap(false, Ordering::Relaxed)
    }

    /// Copies the frames the checkpointer has not copied yet. Incomplete (a reader still
    /// on an old snapshot, the checkpointer busy) is harmless: the flag comes back after
    /// the checkpointer's next pass.
    fn catch_up(&self, conn: &Connection) {
        if let Err(e) = checkpoint(conn) {
            tracing::warn!(error = %e, "WAL checkpoint before a restart failed; will retry");
        }
    }
}

/// A passive checkpoint: copies what it can without waiting for anyone. Returns the WAL's
/// length in frames.
fn checkpoint(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
}

/// Starts the thread that copies the WAL back into the database file, signalled after
/// each commit. SQLite would otherwise checkpoint inside the commit that crosses its
/// threshold, on the writer thread, which every write waits for; here it runs on another
/// core, without blocking the writer (a passive checkpoint waits for no one).
fn start_checkpointer(file: &Path, synchronous: &str) -> Result<Checkpoints, DbError> {
    let open = |source| DbError::Open {
        path: file.display().to_string(),
        source,
    };
    let conn = Connection::open(file).map_err(open)?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {synchronous}; PRAGMA busy_timeout = 5000;"
    ))
    .map_err(open)?;
    let (signal, commits) = std::sync::mpsc::sync_channel::<()>(1);
    let catch_up = Arc::new(AtomicBool::new(false));
    let raise = catch_up.clone();
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // Ends with the writer, whose last connection to close checkpoints what is left.
            while commits.recv().is_ok() {
                match checkpoint(&conn) {
                    Ok(frames) if frames >= WAL_RESTART_FRAMES => {
                        raise.store(true, Ordering::Relaxed)
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "WAL checkpoint failed; will retry"),
                }
                std::thread::sleep(CHECKPOINT_EVERY);
            }
        })
        .map_err(DbError::Writer)?;
    Ok(Checkpoints { signal, catch_up })
}

impl Db {
    /// Opens (creating if needed) the database file and applies pending migrations, with
    /// the default [`Durability`].
    pub fn open(path: &Path) -> Result<Self, DbError> {
        Self::open_with(path, Durability::default())
    }

    /// [`Db::open`] with the given durability.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Self, DbError> {
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
        let mut db = Self::init(conn, Some(path), durability)?;
        let readers = (0..READERS)
            .map(|_| {
                let c =
                    Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                c.execute_batch("PRAGMA busy_timeout = 5000;")?;
                Ok(Mutex::new(c))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|source| DbError::Open {
                path: shown,
                source,
            })?;
        db.readers = Arc::new(readers);
        Ok(db)
    }

    /// A private in-memory database, for tests.
    pub fn in_memory() -> Result<Self, DbError> {
        let conn = Connection::open_in_memory().map_err(|source| DbError::Open {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, None, Durability::default())
    }

    /// Configures and migrates `conn`, starts its writer thread and, for a `file`, the
    /// checkpointer beside it.
    fn init(
        mut conn: Connection,
        file: Option<&Path>,
        durability: Durability,
    ) -> Result<Self, DbError> {
        let path = file.map_or(":memory:".into(), |p| p.display().to_string());
        let synchronous = match durability {
            Durability::Process => "NORMAL",
            Durability::PowerLoss => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = {synchronous};
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA temp_store = MEMORY;
             PRAGMA wal_autocheckpoint = {};",
            // A file's checkpoints are the checkpointer thread's (see `start_checkpointer`).
            if file.is_some() { 0 } else { 1000 }
        ))
        .map_err(DbError::Migrate)?;
        let found: usize = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(DbError::Migrate)?;
        if found > MIGRATIONS.len() {
            return Err(DbError::TooNew {
                path,
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
        let checkpoints = match file {
            Some(file) => Some(start_checkpointer(file, synchronous)?),
            None => None,
        };
        let (writer, jobs) = std::sync::mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run_writer(conn, jobs, checkpoints))
            .map_err(DbError::Writer)?;
        Ok(Self {
            writer,
            readers: Arc::new(Vec::new()),
            next_reader: Arc::new(AtomicUsize::new(0)),
            endpoints: Arc::default(),
        })
    }

    /// Runs `f` on the writer connection in a savepoint of its own, inside a transaction
    /// shared with the other writes queued at the same time; resolves once that transaction
    /// is committed. When `f` fails, its savepoint is rolled back: none of its statements
    /// is kept, and the other jobs of the group are unaffected.
    pub async fn call<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        self.submit(move |conn| (in_savepoint(conn, f), false), None)
            .await
    }

    /// [`Db::call`] without the savepoint, for the hot writes (an attempt, an ingest) whose
    /// every error comes before their first change, or from SQLite itself failing. A
    /// savepoint makes SQLite copy each page a job touches into a statement journal first:
    /// about a sixth of the writer's time. Should such a job fail after changing rows all
    /// the same, its whole group is rolled back and every job in it gets an error — nothing
    /// of theirs written, as each is told: correct, only wider than needed.
    pub async fn call_unguarded<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        self.submit(move |conn| unguarded(conn, f), None).await
    }

    /// [`Db::call`], or without `guarded` [`Db::call_unguarded`], for a write that may
    /// change what deliveries use of an endpoint. When `changed` says so of its result, the
    /// endpoint copies (the delivery reader's and the ingest's) are forgotten on the writer thread once the commit is
    /// known, before the caller hears of it: even a caller that has gone (a dropped request)
    /// leaves no stale copy behind.
    pub(crate) async fn call_on_endpoints<R, F>(
        &self,
        guarded: bool,
        changed: fn(&R) -> bool,
        f: F,
    ) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        let after = Some((self.endpoints.clone(), changed));
        match guarded {
            true => {
                self.submit(move |conn| (in_savepoint(conn, f), false), after)
                    .await
            }
            false => self.submit(move |conn| unguarded(conn, f), after).await,
        }
    }

    /// [`Db::call`] for an admin's write to an endpoint: the copies always go.
    pub(crate) async fn call_changing_endpoint<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        self.call_on_endpoints(true, |_| true, f).await
    }

    /// Queues `run` for the next group; resolves once the group's commit is known, after
    /// forgetting the endpoint copies when `after` says so of `run`'s result.
    async fn submit<R, F>(&self, run: F, after: AfterCommit<R>) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> (Result<R, StoreError>, bool) + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |conn: &mut Connection| {
            let (result, partial) = run(conn);
            let forget = after
                .filter(|(_, changed)| result.as_ref().is_ok_and(changed))
                .map(|(cache, _)| cache);
            Ran {
                reply: Box::new(move |committed: Result<(), StoreError>| {
                    if let Some(cache) = forget {
                        cache.forget();
                    }
                    let _ = tx.send(committed.and(result));
                }),
                partial,
            }
        });
        self.writer
            .send(job)
            .map_err(|_| StoreError::Backend("the SQLite writer thread has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Backend("the SQLite writer dropped a job".into()))?
    }

    /// Runs a short read-only `f` (a lookup by key: microseconds) right here, on a free
    /// reader connection, sparing the hand-off to a blocking thread, which costs more than
    /// the read; when every reader is busy, or for in-memory databases, as [`Db::read`].
    pub async fn lookup<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for k in 0..n {
            if let Ok(conn) = self.readers[(start + k) % n].try_lock() {
                return f(&conn).map_err(StoreError::from);
            }
        }
        self.read(f).await
    }

    /// Runs a read-only `f` on one of the reader connections (the writer for in-memory
    /// databases, which cannot be shared between connections).
    pub async fn read<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, SqlError> + Send + 'static,
    {
        if self.readers.is_empty() {
            return self.call(f).await;
        }
        let readers = self.readers.clone();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % readers.len();
        tokio::task::spawn_blocking(move || {
            let guard = readers[i].lock().unwrap_or_else(|p| p.into_inner());
            f(&guard).map_err(StoreError::from)
        })
        .await
        .map_err(StoreError::backend)?
    }

    /// The copies of endpoints kept for deliveries and the ingest ([`EndpointCache`]).
    pub(crate) fn endpoint_cache(&self) -> &EndpointCache {
        &self.endpoints
    }

    /// Reads a value from the settings table.
    pub async fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.call(move |c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
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
            )?;
            Ok(())
        })
        .await
    }
}

/// What a statement closure given to [`Db::call`] or [`Db::read`] fails with: SQLite's
/// error or the store's own, so `?` works on both.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> Self {
        match e {
            SqlError::Sqlite(e) => sql(e),
            SqlError::Store(e) => e,
        }
    }
}

/// `f` without a savepoint, and whether it failed after changing rows ([`Db::call_unguarded`]).
fn unguarded<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> Result<R, SqlError>,
) -> (Result<R, StoreError>, bool) {
    let changes = conn.total_changes();
    let result = f(conn).map_err(StoreError::from);
    let partial = result.is_err() && conn.total_changes() != changes;
    (result, partial)
}

/// `f` in a savepoint: released when it succeeds, rolled back when it fails or panics.
/// The savepoint statements are prepared once per connection, as a job's own are: parsing
/// them for every job cost a tenth of the writer's time (docs/BENCHMARKS.md).
fn in_savepoint<R>(
    conn: &mut Connection,
    f: impl FnOnce(&Connection) -> Result<R, SqlError>,
) -> Result<R, StoreError> {
    /// Rolls the savepoint back unless it was released, also when `f` unwinds.
    struct Open<'c>(&'c Connection, bool);
    impl Drop for Open<'_> {
        fn drop(&mut self) {
            if !self.1 {
                let _ = run_cached(self.0, "ROLLBACK TO job");
                let _ = run_cached(self.0, "RELEASE job");
            }
        }
    }
    run_cached(conn, "SAVEPOINT job").map_err(sql)?;
    let mut open = Open(conn, false);
    let r = f(conn)?;
    run_cached(conn, "RELEASE job").map_err(sql)?;
    open.1 = true;
    Ok(r)
}

fn run_cached(conn: &Connection, statement: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(statement)?.execute([]).map(drop)
}

/// Maps a SQLite error; constraint violations are conflicts, a busy database a throttle.
fn sql(e: rusqlite::Error) -> StoreError {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that fails keeps none of its statements, whatever it wrote first, and the job
    /// committed in the same group keeps its own.
    #[tokio::test]
    async fn a_failed_job_leaves_nothing_and_spares_its_group() {
        // (savepoint, fails after writing, the other job of its group kept)
        for (guarded, wrote, kept) in [
            (true, true, true),
            (false, false, true),
            // Without a savepoint nothing tells its rows from the group's: all go.
            (false, true, false),
        ] {
            let case = format!("guarded {guarded}, wrote {wrote}");
            let db = Db::in_memory().unwrap();
            // Hold the writer until both jobs are queued, so they share the next group.
            let (started, running) = std::sync::mpsc::channel();
            let (release, held) = std::sync::mpsc::channel::<()>();
            let blocker = tokio::spawn({
                let db = db.clone();
                async move {
                    db.call(move |_| {
                        let _ = started.send(());
                        let _ = held.recv();
                        Ok(())
                    })
                    .await
                }
            });
            while running.try_recv().is_err() {
                tokio::task::yield_now().await;
            }
            let failing = tokio::spawn({
                let db = db.clone();
                async move {
                    let job = move |c: &Connection| {
                        if wrote {
                            c.execute("INSERT INTO settings (key, value) VALUES ('a', '1')", [])?;
                        }
                        Err::<(), _>(StoreError::Conflict.into())
                    };
                    match guarded {
                        true => db.call(job).await,
                        false => db.call_unguarded(job).await,
                    }
                }
            });
            let other = tokio::spawn({
                let db = db.clone();
                async move { db.set_setting("b", "2").await }
            });
            // Both spawned jobs send on their first poll, which these yields give them.
            for _ in 0..10 {
                tokio::task::yield_now().await;
            }
            release.send(()).unwrap();
            blocker.await.unwrap().unwrap();
            let failed = failing.await.unwrap();
            let other = other.await.unwrap();
            assert_eq!(db.setting("a").await.unwrap(), None, "{case}");
            let b = db.setting("b").await.unwrap();
            match kept {
                true => {
                    assert!(
                        matches!(failed, Err(StoreError::Conflict)),
                        "{case}: {failed:?}"
                    );
                    assert!(other.is_ok(), "{case}");
                    assert_eq!(b.as_deref(), Some("2"), "{case}");
                }
                false => {
                    assert!(failed.is_err() && other.is_err(), "{case}");
                    assert_eq!(b, None, "{case}");
                }
            }
        }
    }

    /// A job that panics after writing keeps nothing either, with or without its
    /// savepoint, and the writer goes on.
    #[tokio::test]
    async fn a_panicking_job_leaves_nothing() {
        for guarded in [true, false] {
            let db = Db::in_memory().unwrap();
            let job = |c: &Connection| -> Result<(), SqlError> {
                c.execute("INSERT INTO settings (key, value) VALUES ('a', '1')", [])?;
                panic!("job bug")
            };
            let panicked = match guarded {
                true => db.call(job).await,
                false => db.call_unguarded(job).await,
            };
            assert!(panicked.is_err());
            db.set_setting("b", "2").await.unwrap();
            assert_eq!(db.setting("a").await.unwrap(), None, "guarded {guarded}");
            assert_eq!(db.setting("b").await.unwrap().as_deref(), Some("2"));
        }
    }

    /// Commits reach the database file through the checkpointer: the writer only finishes
    /// what it started, so without it the file would stay empty and the WAL grow.
    #[tokio::test]
    async fn the_checkpointer_copies_commits_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let db = Db::open(&path).unwrap();
        let before = std::fs::metadata(&path).unwrap().len();
        for i in 0..200 {
            db.set_setting(&format!("k{i}"), &"x".repeat(4000))
                .await
                .unwrap();
        }
        let mut grown = 0;
        for _ in 0..200 {
            grown = std::fs::metadata(&path).unwrap().len();
            if grown > before + 500_000 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(grown > before + 500_000, "file {before} -> {grown} bytes");
    }

    /// Under steady load, with a commit always arriving before a passive checkpoint
    /// can finish, the WAL still starts over. SQLite never shrinks the file, so it keeps
    /// its longest length: the threshold plus what was committed between two passes of the
    /// checkpointer. Without the restarts it holds every frame written.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_under_steady_load() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_with(&dir.path().join("w.db"), Durability::Process).unwrap();
        let (writers, rows) = (4, 1000);
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let db = db.clone();
                tokio::spawn(async move {
                    for i in 0..rows {
                        // A page per row: the WAL gains at least a frame per commit.
                        let value = "x".repeat(3000);
                        db.set_setting(&format!("k{w}-{i}"), &value).await.unwrap();
                        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let frames = std::fs::metadata(dir.path().join("w.db-wal"))
            .unwrap()
            .len()
            / 4120;
        let written = (writers * rows) as u64;
        assert!(
            frames < written / 3,
            "a WAL of {frames} frames after {written} commits of a page or more"
        );
    }

    /// The durability setting reaches the connection that commits.
    #[tokio::test]
    async fn durability_sets_synchronous() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Durability::default(), Durability::PowerLoss);
        for (durability, level) in [(Durability::Process, 1), (Durability::PowerLoss, 2)] {
            let db = Db::open_with(&dir.path().join(format!("{level}.db")), durability).unwrap();
            let got: i64 = db
                .call(|c| Ok(c.query_row("PRAGMA synchronous", [], |r| r.get(0))?))
                .await
                .unwrap();
            assert_eq!(got, level, "{durability:?}");
        }
    }
}
