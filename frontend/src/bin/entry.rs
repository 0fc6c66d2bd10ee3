//! The entry app (`dist/entry/`): dose entry and the patient's recap.

fn main() {
    vigie_frontend::mount(vigie_frontend::vaccination::app::EntryApp);
}
