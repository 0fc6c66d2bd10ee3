//! `vigie-testing`: `vigie` with the test-only routes compiled in, for the browser tests
//! (built with `--features testing`; still off unless the `testing` setting is on).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    vigie_backend::cli::run().await
}
