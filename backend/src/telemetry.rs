//! Structured logs on stderr. Request logs carry method, matched route and status, never bodies
//! or query strings (identifiers and codes travel in bodies).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
    // try_init: tests start several apps in one process.
    let _ = fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .try_init();
}
