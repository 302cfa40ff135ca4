//! The local all-in-one stack: SQLite adapters, the admin + ingest API, the delivery
//! worker and the dev receiver in one process. `main` and the end-to-end tests start it
//! with [`start`].

pub mod config;
pub mod receiver;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use config::Config;
use rand::RngCore;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use webhooks_api::{AppState, Principal, StaticTokens};
use webhooks_core::catalog::Catalog;
use webhooks_core::notify::{LogMailer, Mailer, NotifyService};
use webhooks_core::ports::EventPublisher;
use webhooks_core::services::{
    AdminConfig, AdminService, DeliveryConfig, DeliveryService, IngestService,
};
use webhooks_core::validation::UrlPolicy;
use webhooks_core::TenantId;
use webhooks_local::{
    sqlite_stores, Db, IngestPublisher, SmtpMailer, SqliteNotificationStore, Worker, WorkerConfig,
};
use webhooks_outbound::HyperSender;

/// Tenant of the generated development admin token.
pub const DEV_TENANT: &str = "DEV";

/// Start-up failed; the message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] webhooks_local::DbError),
    #[error("cannot read the event-type catalog {path}: {message}")]
    Catalog { path: String, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Mail(#[from] webhooks_local::MailConfigError),
    #[error("storage error during start-up: {0}")]
    Store(#[from] webhooks_core::StoreError),
}

/// Credentials in force, for the start-up banner.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `(token, tenant)` pairs; when generated, one dev token for [`DEV_TENANT`].
    pub admin: Vec<(String, TenantId)>,
    pub ingest: String,
    pub generated: bool,
}

/// A running stack. Dropping it does not stop it: call [`LocalStack::stop`].
pub struct LocalStack {
    pub addr: SocketAddr,
    pub credentials: Credentials,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

fn random_token(prefix: &str) -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", B64.encode(bytes))
}

/// Uses configured tokens, or dev tokens kept in the database so they survive restarts.
async fn credentials(config: &Config, db: &Db) -> Result<Credentials, StartError> {
    async fn persisted(db: &Db, key: &str, prefix: &str) -> Result<String, StartError> {
        if let Some(t) = db.setting(key).await? {
            return Ok(t);
        }
        let t = random_token(prefix);
        db.set_setting(key, &t).await?;
        Ok(t)
    }
    let generated = config.admin_tokens.is_none() || config.ingest_token.is_none();
    let admin = match &config.admin_tokens {
        Some(list) => list.clone(),
        None => {
            let token = persisted(db, "dev_admin_token", "adm_").await?;
            let tenant =
                TenantId::parse(DEV_TENANT).map_err(|e| StartError::Http(e.to_string()))?;
            vec![(token, tenant)]
        }
    };
    let ingest = match &config.ingest_token {
        Some(t) => t.clone(),
        None => persisted(db, "dev_ingest_token", "ing_").await?,
    };
    Ok(Credentials {
        admin,
        ingest,
        generated,
    })
}

fn catalog(config: &Config) -> Result<Catalog, StartError> {
    let Some(path) = &config.catalog_file else {
        return Ok(Catalog::built_in());
    };
    let err = |message: String| StartError::Catalog {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    Catalog::from_json(&text).map_err(|e| err(e.to_string()))
}

/// Opens the database, binds the listener and starts the API server and the worker.
pub async fn start(config: &Config) -> Result<LocalStack, StartError> {
    let db = Db::open_with(&config.db, config.durability)?;
    let catalog = Arc::new(catalog(config)?);
    let (stores, queue) = sqlite_stores(&db);
    let credentials = credentials(config, &db).await?;
    let auth = credentials.admin.iter().fold(
        StaticTokens::new().with(&credentials.ingest, Principal::Service),
        |auth, (token, tenant)| {
            auth.with(
                token,
                Principal::Tenant {
                    tenant: tenant.clone(),
                    admin: true,
                },
            )
        },
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let url_policy = UrlPolicy {
        require_https: config.require_https,
        allow_private: config.allow_private_targets,
    };
    let mailer: Arc<dyn Mailer> = match &config.smtp_url {
        Some(url) => Arc::new(SmtpMailer::new(url, &config.mail_from)?),
        None => Arc::new(LogMailer),
    };
    let notify = NotifyService::new(Arc::new(SqliteNotificationStore::new(db.clone())), mailer);
    let console_url = (config.console_url.clone()).unwrap_or_else(|| format!("http://{addr}/"));
    let ingest = IngestService::new(stores.clone(), catalog.clone())
        .with_operations(Some(console_url), Some(notify.clone()));
    let events: Arc<dyn EventPublisher> = Arc::new(IngestPublisher::new(ingest.clone()));
    let state = AppState {
        admin: AdminService::new(
            stores.clone(),
            catalog,
            AdminConfig {
                url_policy,
                rotation_grace: config.rotation_grace,
                disable_after: config.disable_after,
                failing_after: config.failing_after,
                ..AdminConfig::default()
            },
        )
        .with_events(Some(events.clone())),
        ingest,
        notify,
        auth: Arc::new(auth),
        ui_dir: config.ui_dir.clone(),
    };
    let sender = HyperSender::new(
        config.http_timeout,
        config.allow_private_targets,
        config.extra_ca_pem.as_deref(),
        config.proxy_url.as_deref(),
    )
    .map_err(|e| StartError::Http(e.to_string()))?;
    let delivery = DeliveryService::new(
        stores,
        Arc::new(sender),
        DeliveryConfig {
            retry: config.retry.clone(),
            failing_after: config.failing_after,
            disable_after: config.disable_after,
            park_after: None,
        },
    )
    .with_events(Some(events));

    let mut app = webhooks_api::router(state);
    if config.dev_receiver {
        app = app.merge(receiver::routes());
    }

    let (shutdown, rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let server = tokio::spawn({
        let rx = rx.clone();
        async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped(rx))
                .await
            {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }
    });
    let worker_config = WorkerConfig {
        concurrency: config.concurrency,
        lease: config.http_timeout + std::time::Duration::from_secs(30),
        ..WorkerConfig::default()
    };
    let worker = tokio::spawn(Worker::new(queue, delivery, worker_config).run(stopped(rx.clone())));
    let purger = tokio::spawn(purge_periodically(db, config.retention_days, stopped(rx)));
    Ok(LocalStack {
        addr,
        credentials,
        shutdown,
        tasks: vec![server, worker, purger],
    })
}

/// Applies the retention period at start-up and then hourly, until `stop` resolves.
async fn purge_periodically(db: Db, days: u32, stop: impl std::future::Future<Output = ()>) {
    tokio::pin!(stop);
    loop {
        let cutoff = webhooks_core::model::now() - chrono::TimeDelta::days(i64::from(days));
        match webhooks_local::retention::purge_before(&db, cutoff).await {
            Ok(p) if p.messages + p.deliveries > 0 => {
                tracing::info!(
                    messages = p.messages,
                    deliveries = p.deliveries,
                    attempts = p.attempts,
                    "retention purge"
                )
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "retention purge failed"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

impl LocalStack {
    /// Stops accepting requests, lets deliveries in flight finish, and returns.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
