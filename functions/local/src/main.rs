//! `cargo run`: the whole service in one local process over SQLite.

use std::process::ExitCode;
use webhooks_local_stack::{config::Config, start};

// glibc's allocator took a tenth of the CPU of a delivery under load (contended arenas):
// docs/BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .init();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let stack = match start(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let base = format!("http://{}", stack.addr);
    let (token, tenant) = &stack.credentials.admin[0];
    println!(
        "pp-svc-webhooks listening on {base} (database {})",
        config.db.display()
    );
    println!("  admin UI      {base}/#token={token}");
    println!("  admin token   {token}   (tenant {tenant})");
    println!("  ingest token  {}", stack.credentials.ingest);
    if config.dev_receiver {
        println!("  test receiver {base}/dev/receiver");
    }
    let _ = tokio::signal::ctrl_c().await;
    println!("shutting down…");
    stack.stop().await;
    ExitCode::SUCCESS
}
