//! The office app: every screen but the phone's (`approver`), the hall's (`hall`) and dose
//! entry's (`vaccination::app`);
//! the frame around the routes is `shell::Shell`.

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Routes},
    path,
};
use vigie_shared::routes;

use crate::{
    pages::{
        report::Report, security::Security, sessions::Sessions, settings::Settings,
        structure::Structure, supervision::Supervision,
    },
    shell::{Elsewhere, Shell},
    statistics::Statistics,
    vaccination::{lots::LotsPage, verify::Verify},
};

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Shell>
            <Routes fallback=|| view! { <Elsewhere this=routes::App::Office /> }>
                <Route path=path!("/sessions") view=Sessions />
                <Route path=path!("/signalement") view=Report />
                <Route path=path!("/securite") view=Security />
                <Route path=path!("/structure") view=Structure />
                <Route path=path!("/verifier") view=Verify />
                <Route path=path!("/statistiques") view=Statistics />
                <Route path=path!("/lots") view=LotsPage />
                <Route path=path!("/parametres") view=Settings />
                <Route path=path!("/supervision") view=Supervision />
                <Route path=path!("/appareils") view=crate::credentials::Devices />
                <Route path=path!("/appareils/signalement") view=crate::credentials::report::DeviceReport />
            </Routes>
        </Shell>
    }
}
