//! Warms the browser's cache with another app's files, so that the page which opens it next
//! shows at once: the hall tablet fetches dose entry (`/vaccination`, the entry app) while the
//! professional validates the sign-in on the phone. Best effort: a failure only means that the
//! next page loads its app then.

use leptos::{prelude::document, task::spawn_local};
use vigie_shared::routes::Page;

/// Adds `<link rel="prefetch">` for every wasm, JS and CSS file of the app serving `page`
/// (its `index.html` names them).
pub fn prefetch_app(page: Page) {
    spawn_local(async move {
        let Ok(response) = gloo_net::http::Request::get(page.path()).send().await else {
            return;
        };
        let Ok(html) = response.text().await else {
            return;
        };
        let Ok(Some(head)) = document().query_selector("head") else {
            return;
        };
        for href in app_assets(&html, page.app().folder()) {
            let Ok(link) = document().create_element("link") else {
                return;
            };
            let _ = link.set_attribute("rel", "prefetch");
            // As the app's own loader asks for them, so the cached copy is the one it reuses.
            let _ = link.set_attribute("crossorigin", "anonymous");
            let _ = link.set_attribute("href", href);
            let _ = head.append_child(&link);
        }
    });
}

/// The app's hashed assets among the quoted addresses of its page, each once.
fn app_assets<'a>(html: &'a str, folder: &str) -> Vec<&'a str> {
    let mut assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|piece| {
            piece
                .strip_prefix('/')
                .and_then(|rest| rest.strip_prefix(folder))
                .is_some_and(|rest| rest.starts_with('/'))
                && [".wasm", ".js", ".css"]
                    .iter()
                    .any(|ext| piece.ends_with(ext))
        })
        .collect();
    assets.sort_unstable();
    assets.dedup();
    assets
}

#[cfg(test)]
mod tests {
    use super::app_assets;

    #[test]
    fn the_assets_of_the_app_named_by_its_page() {
        // As trunk writes it (shortened): preload links and the loader script.
        let page = r#"<link rel="stylesheet" href="/entry/style-7eb4c80974af1b5e.css" integrity="sha384-x"/>
<link rel="modulepreload" href="/entry/entry-0123456789abcdef.js" crossorigin="anonymous">
<link rel="preload" href="/entry/entry-0123456789abcdef_bg.wasm" as="fetch">
<link rel="icon" href="/icon.svg"><link rel="manifest" href="/manifest.webmanifest">
<script type="module">import init from '/entry/entry-0123456789abcdef.js';
init({ module_or_path: '/entry/entry-0123456789abcdef_bg.wasm' });</script>
<a href="/entryway.js">x</a><a href="/hall/hall-0123456789abcdef.js">y</a>"#;
        assert_eq!(
            app_assets(page, "entry"),
            [
                "/entry/entry-0123456789abcdef.js",
                "/entry/entry-0123456789abcdef_bg.wasm",
                "/entry/style-7eb4c80974af1b5e.css",
            ]
        );
        assert!(app_assets(page, "approver").is_empty());
    }
}
