//! `vigie`: the server and its operator commands (see `vigie_backend::cli`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    vigie_backend::cli::run().await
}
