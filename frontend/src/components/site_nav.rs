//! The menu under the header, on every screen: what the signed-in role can use, and nothing
//! else (the server refuses the rest anyway). A professional's tasks; a delegated session's
//! entry screen only; a structure account's page, staff and lots; the sign-in ways and the
//! public pages for a visitor. The current page is marked (`aria-current="page"`). On a phone
//! the list folds behind a "Menu" button (Escape folds it again); from 40rem on it is always
//! shown, on one or two lines.

use leptos::{ev::KeyboardEvent, html, prelude::*};
use leptos_router::hooks::use_location;
use vigie_shared::api::session::{PrincipalKind, SessionState};

use crate::session::{Access, use_session};

/// Whom the menu is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The server has not answered yet: no menu rather than a wrong one.
    Unknown,
    Anonymous,
    /// A structure account's sign-in still waiting for its SMS code or a new password.
    Unfinished,
    Professional {
        security_officer: bool,
    },
    StructureAccount,
    /// A staff member's session; `approved` once the professional has approved it.
    Delegate {
        approved: bool,
    },
}

impl Role {
    pub fn of(access: Access, current: Option<&SessionState>) -> Self {
        match access {
            Access::Unknown => Self::Unknown,
            Access::SignedOut => Self::Anonymous,
            Access::Unfinished(_) => Self::Unfinished,
            Access::Active(PrincipalKind::Professional) => Self::Professional {
                security_officer: current.is_some_and(|s| s.security_officer),
            },
            Access::Active(PrincipalKind::StructureAccount) => Self::StructureAccount,
            Access::Active(PrincipalKind::Delegate) => Self::Delegate {
                approved: current.is_some_and(|s| s.authority.is_some()),
            },
        }
    }
}

/// One entry of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuItem {
    pub href: &'static str,
    pub label: &'static str,
}

const fn item(href: &'static str, label: &'static str) -> MenuItem {
    MenuItem { href, label }
}

/// What the role can reach, in the order of its day.
pub fn items(role: Role) -> Vec<MenuItem> {
    match role {
        Role::Unknown => Vec::new(),
        Role::Anonymous => vec![
            item("/connexion", "Connexion par clé d'accès"),
            item("/terminal", "Connexion par téléphone"),
            item("/personnel", "Saisie déléguée"),
            item("/structure", "Espace structure"),
            item("/verifier", "Vérifier un certificat"),
            item("/statistiques", "Données ouvertes"),
        ],
        Role::Unfinished => vec![item("/structure", "Terminer la connexion")],
        Role::Professional { security_officer } => {
            let mut items = vec![
                item("/vaccination", "Vaccination"),
                item("/a-verifier", "À vérifier"),
                item("/supervision", "Supervision des saisies déléguées"),
                item("/parametres", "Mes délégués"),
                item("/lots", "Lots de vaccins"),
                item("/sessions", "Mes sessions"),
                item("/appareils", "Mes appareils"),
                item("/verifier", "Vérifier un certificat"),
                item("/statistiques", "Statistiques"),
            ];
            if security_officer {
                items.push(item("/securite", "Sécurité"));
            }
            items
        }
        Role::StructureAccount => vec![
            item("/structure", "Espace structure"),
            item("/structure#personnel", "Personnel"),
            item("/structure#lots", "Lots de vaccins"),
            item("/sessions", "Mes sessions"),
        ],
        // A delegated session opens the entry screen only; before approval, the request.
        // …and their own passkeys.
        Role::Delegate { approved: true } => vec![
            item("/vaccination", "Vaccination"),
            item("/appareils", "Mes appareils"),
        ],
        Role::Delegate { approved: false } => vec![
            item("/personnel", "Saisie déléguée"),
            item("/appareils", "Mes appareils"),
        ],
    }
}

/// Whether `item` is the page at `path` (a link to a part of a page never is).
pub fn is_current(item: &MenuItem, path: &str) -> bool {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        path => path,
    };
    !item.href.contains('#') && item.href == path
}

#[component]
pub fn SiteNav() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let role = Memo::new(move |_| Role::of(session.access(), session.current().as_ref()));
    let open = RwSignal::new(false);
    let toggle = NodeRef::<html::Button>::new();
    // A page chosen (or any other move): the folded menu folds again.
    Effect::new(move |_| {
        location.pathname.track();
        location.hash.track();
        open.set(false);
    });
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" && open.get_untracked() {
            open.set(false);
            if let Some(button) = toggle.get_untracked() {
                let _ = button.focus();
            }
        }
    };
    // In the entry app: how many offline entries wait to be looked at again.
    let to_review = crate::vaccination::offline::use_offline().map(|o| o.review_count);
    // Nothing to offer before the server has answered, nor over a locked screen.
    let shown = move || role.get() != Role::Unknown && session.locked().is_none();

    view! {
        <Show when=shown>
            <nav
                class="site-nav"
                class:is-open=move || open.get()
                aria-label="Menu principal"
                data-testid="site-nav"
                on:keydown=on_keydown
            >
                <button
                    type="button"
                    class="button button-quiet site-nav-toggle"
                    aria-controls="menu-principal"
                    aria-expanded=move || if open.get() { "true" } else { "false" }
                    data-testid="site-nav-toggle"
                    node_ref=toggle
                    on:click=move |_| open.update(|o| *o = !*o)
                >
                    "Menu"
                </button>
                <ul id="menu-principal" class="site-nav-list">
                    {move || {
                        items(role.get())
                            .into_iter()
                            .map(|entry| {
                                let current = move || {
                                    location.pathname.with(|path| is_current(&entry, path))
                                };
                                view! {
                                    <li>
                                        <a
                                            class="site-nav-link"
                                            href=entry.href
                                            aria-current=move || current().then_some("page")
                                        >
                                            {entry.label}
                                            {(entry.href == "/a-verifier")
                                                .then_some(move || {
                                                    to_review
                                                        .and_then(|c| c.get())
                                                        .filter(|n| *n > 0)
                                                        .map(|n| format!(" ({n})"))
                                                })}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </nav>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hrefs(role: Role) -> Vec<&'static str> {
        items(role).into_iter().map(|i| i.href).collect()
    }

    #[test]
    fn each_role_is_offered_what_it_can_use() {
        assert!(hrefs(Role::Unknown).is_empty());
        let anonymous = hrefs(Role::Anonymous);
        for page in ["/connexion", "/terminal", "/verifier", "/statistiques"] {
            assert!(anonymous.contains(&page), "{page}");
        }
        for page in ["/vaccination", "/sessions", "/securite", "/supervision"] {
            assert!(!anonymous.contains(&page), "{page}");
        }

        let doctor = hrefs(Role::Professional {
            security_officer: false,
        });
        for page in [
            "/vaccination",
            "/supervision",
            "/parametres",
            "/lots",
            "/sessions",
            "/appareils",
        ] {
            assert!(doctor.contains(&page), "{page}");
        }
        assert!(!doctor.contains(&"/securite"));
        assert!(!doctor.contains(&"/structure"));
        assert!(
            hrefs(Role::Professional {
                security_officer: true
            })
            .contains(&"/securite")
        );

        assert_eq!(
            hrefs(Role::Delegate { approved: true }),
            ["/vaccination", "/appareils"],
            "a delegated session types entries, and sees its own passkeys"
        );
        assert_eq!(
            hrefs(Role::Delegate { approved: false }),
            ["/personnel", "/appareils"]
        );

        let manager = hrefs(Role::StructureAccount);
        assert_eq!(manager[0], "/structure");
        assert!(manager.contains(&"/sessions"));
        assert!(!manager.contains(&"/vaccination"));
        assert_eq!(hrefs(Role::Unfinished), ["/structure"]);
    }

    #[test]
    fn the_current_page_is_the_one_at_the_address() {
        let sessions = item("/sessions", "Mes sessions");
        assert!(is_current(&sessions, "/sessions"));
        assert!(is_current(&sessions, "/sessions/"));
        assert!(!is_current(&sessions, "/"));
        assert!(!is_current(&item("/structure#lots", "Lots"), "/structure"));
        assert!(is_current(&item("/", "Accueil"), "/"));
    }
}
