//! The hall and office app: every screen but the phone's.

fn main() {
    vigie_frontend::install_panic_hook();
    leptos::mount::mount_to_body(vigie_frontend::app::App);
}
