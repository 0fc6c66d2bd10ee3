//! The office app: every screen but the phone's (`approver`), the hall's (`hall`) and dose
//! entry's (`vaccination::app`), including the patient's recap and "À vérifier", which a tablet
//! opens only now and then (kept out of the entry app's download);
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
    vaccination::{bilan::Bilan, lots::LotsPage, review::Review, verify::Verify},
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
                <Route path=path!("/a-verifier") view=Review />
                <Route path=path!("/bilan/:id") view=Bilan />
                <Route path=path!("/parametres") view=Settings />
                <Route path=path!("/supervision") view=Supervision />
                <Route path=path!("/appareils") view=crate::credentials::Devices />
                <Route path=path!("/appareils/signalement") view=crate::credentials::report::DeviceReport />
            </Routes>
        </Shell>
    }
}
