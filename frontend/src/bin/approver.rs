//! The phone's approver app (`dist/approver/`): `/validation` alone, without the router.

fn main() {
    vigie_frontend::mount(vigie_frontend::approver::ApproverApp);
}
