//! The browser pages and which app serves each. Trunk cannot split one wasm, so each audience
//! gets its own app (its own wasm, built into its own folder) holding only its screens: the
//! phone's approver app, the hall tablet's app, and the office app (everything else). The
//! server sends each page's app; the apps link to each other with full-page loads. Both
//! sides read this one table, so a page can never be served by an app that does not route it.

/// One browser app: its own `index.html` and wasm, built by `scripts/build.sh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum App {
    /// The professional's phone: `/validation`.
    Approver,
    /// The front door and the hall tablet's sign-in: home, sign-in (by phone or passkey),
    /// activation, delegated entry's request.
    Hall,
    /// Dose entry and the patient's recap: what a tablet opens once signed in.
    Entry,
    /// The office: structure account, statistics, settings, supervision… and unknown
    /// addresses (its "page not found").
    Office,
}

impl App {
    pub const ALL: [Self; 4] = [Self::Approver, Self::Hall, Self::Entry, Self::Office];

    /// The app's folder under the build output (`dist/`), also its public URL prefix; the
    /// office app is at the root.
    pub const fn folder(self) -> &'static str {
        match self {
            Self::Approver => "approver",
            Self::Hall => "hall",
            Self::Entry => "entry",
            Self::Office => "",
        }
    }

    /// The app that serves `path` (an address's path, without query or fragment).
    pub fn of_path(path: &str) -> Self {
        Page::of_path(path).map_or(Self::Office, Page::app)
    }
}

/// Every page of the apps. Links and redirects use `Page::….path()` rather than literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    Home,
    SignIn,
    Activation,
    Terminal,
    Validation,
    Sessions,
    Report,
    Security,
    Structure,
    Vaccination,
    /// `/bilan/{patient id}`.
    Recap,
    Verify,
    Statistics,
    Lots,
    Personnel,
    PersonnelActivation,
    Settings,
    Supervision,
    /// "Mes appareils": my passkeys and phones.
    Devices,
    /// The new-credential mail's "Ce n'est pas moi" link.
    DeviceReport,
    /// Offline entries to look at again ("À vérifier").
    Review,
}

impl Page {
    pub const ALL: [Self; 21] = [
        Self::Home,
        Self::SignIn,
        Self::Activation,
        Self::Terminal,
        Self::Validation,
        Self::Sessions,
        Self::Report,
        Self::Security,
        Self::Structure,
        Self::Vaccination,
        Self::Recap,
        Self::Verify,
        Self::Statistics,
        Self::Lots,
        Self::Personnel,
        Self::PersonnelActivation,
        Self::Settings,
        Self::Supervision,
        Self::Devices,
        Self::DeviceReport,
        Self::Review,
    ];

    /// The page's address (for `Recap`, the prefix its patient id follows: see `recap`).
    pub const fn path(self) -> &'static str {
        match self {
            Self::Home => "/",
            Self::SignIn => "/connexion",
            Self::Activation => "/activation",
            Self::Terminal => "/terminal",
            Self::Validation => "/validation",
            Self::Sessions => "/sessions",
            Self::Report => "/signalement",
            Self::Security => "/securite",
            Self::Structure => "/structure",
            Self::Vaccination => "/vaccination",
            Self::Recap => "/bilan",
            Self::Verify => "/verifier",
            Self::Statistics => "/statistiques",
            Self::Lots => "/lots",
            Self::Personnel => "/personnel",
            Self::PersonnelActivation => "/personnel/activation",
            Self::Settings => "/parametres",
            Self::Supervision => "/supervision",
            Self::Devices => "/appareils",
            Self::DeviceReport => "/appareils/signalement",
            Self::Review => "/a-verifier",
        }
    }

    /// The recap of one patient: `/bilan/{id}`.
    pub fn recap(patient_id: impl std::fmt::Display) -> String {
        format!("{}/{patient_id}", Self::Recap.path())
    }

    /// Which app serves the page. What a tablet shows before sign-in (and everyone's home) is
    /// one download; dose entry, what it shows after, another, fetched while the professional
    /// validates on the phone (the recap and "À vérifier", opened now and then, are the office
    /// app's, which keeps that download small).
    pub const fn app(self) -> App {
        match self {
            Self::Validation => App::Approver,
            Self::Home
            | Self::SignIn
            | Self::Activation
            | Self::Terminal
            | Self::Personnel
            | Self::PersonnelActivation => App::Hall,
            Self::Vaccination => App::Entry,
            Self::Sessions
            | Self::Report
            | Self::Security
            | Self::Structure
            | Self::Verify
            | Self::Statistics
            | Self::Lots
            | Self::Settings
            | Self::Supervision
            | Self::Devices
            | Self::DeviceReport
            | Self::Recap
            | Self::Review => App::Office,
        }
    }

    /// The page at `path` (a trailing slash ignored; `/bilan/{id}` is the recap), if any.
    pub fn of_path(path: &str) -> Option<Self> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            path => path,
        };
        if path
            .strip_prefix(Self::Recap.path())
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|id| !id.is_empty() && !id.contains('/'))
        {
            return Some(Self::Recap);
        }
        Self::ALL
            .into_iter()
            .find(|page| *page != Self::Recap && page.path() == path)
    }
}

#[cfg(test)]
mod tests {
    use super::{App, Page};

    #[test]
    fn every_page_is_found_by_its_path() {
        for page in Page::ALL {
            if page != Page::Recap {
                assert_eq!(Page::of_path(page.path()), Some(page), "{page:?}");
            }
        }
        assert_eq!(Page::of_path("/bilan/3f0c"), Some(Page::Recap));
        assert_eq!(Page::of_path(&Page::recap(42)), Some(Page::Recap));
    }

    #[test]
    fn apps_by_path() {
        assert_eq!(App::of_path("/validation"), App::Approver);
        assert_eq!(App::of_path("/validation/"), App::Approver);
        assert_eq!(App::of_path("/terminal"), App::Hall);
        assert_eq!(App::of_path("/personnel/activation"), App::Hall);
        assert_eq!(App::of_path("/bilan/3f0c"), App::Office);
        assert_eq!(App::of_path("/vaccination"), App::Entry);
        assert_eq!(App::of_path("/structure"), App::Office);
        assert_eq!(App::of_path("/appareils/signalement"), App::Office);
        assert_eq!(App::of_path("/"), App::Hall);
        // Unknown addresses: the office app's "page not found".
        assert_eq!(App::of_path("/bilan"), App::Office);
        assert_eq!(App::of_path("/bilan/a/b"), App::Office);
        assert_eq!(App::of_path("/nulle-part"), App::Office);
    }
}
