//! The hall app (`dist/hall/`): home, and what a hall tablet shows before sign-in.

fn main() {
    vigie_frontend::mount(vigie_frontend::hall::HallApp);
}
