//! The hall and office app: every screen but the phone's.

fn main() {
    vigie_frontend::mount(vigie_frontend::app::App);
}
