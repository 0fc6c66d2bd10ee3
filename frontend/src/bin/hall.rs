//! The hall tablet's app (`dist/hall/`): only the screens a hall tablet shows.

fn main() {
    vigie_frontend::mount(vigie_frontend::hall::HallApp);
}
