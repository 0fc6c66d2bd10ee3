//! The hall tablet's app (`dist/hall/`): only the screens a hall tablet shows.

fn main() {
    vigie_frontend::install_panic_hook();
    leptos::mount::mount_to_body(vigie_frontend::hall::HallApp);
}
