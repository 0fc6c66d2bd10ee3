//! The browser apps (`vigie_shared::routes`): each address gets the page of the app that
//! serves it, and the phone's service worker is served at the root with its build stamp.

use crate::helpers::TestApp;

fn page(app: &str) -> String {
    format!(
        "<!doctype html><html lang=\"fr\"><head><title>{app}</title></head><body></body></html>"
    )
}

async fn built_app() -> (TestApp, tempfile::TempDir) {
    let dist = tempfile::tempdir().expect("dir");
    let write = |relative: &str, content: &str| {
        let path = dist.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    };
    write("index.html", &page("office"));
    write("hall/index.html", &page("hall"));
    write("hall/hall-0123456789abcdef.js", "console.log('hall')");
    write("entry/index.html", &page("entry"));
    write("approver/index.html", &page("approver"));
    write(
        "approver/sw.js",
        "const BUILD = '__VIGIE_BUILD__';\nself.addEventListener('install', () => {});\n",
    );
    write(
        "approver/offline.html",
        "<!doctype html><title>Hors ligne</title>",
    );
    let path = dist.path().to_owned();
    let app = TestApp::spawn_with(move |s| s.dist_dir = path).await;
    (app, dist)
}

#[tokio::test]
async fn each_address_gets_the_page_of_its_app() {
    let (app, _dist) = built_app().await;
    for (path, expected) in [
        ("/", "hall"),
        ("/structure", "office"),
        ("/statistiques", "office"),
        ("/supervision", "office"),
        ("/nulle-part", "office"),
        ("/terminal", "hall"),
        ("/connexion", "hall"),
        ("/vaccination", "entry"),
        // Opened now and then: kept out of the entry app's download.
        ("/bilan/4b1f0d3e-8f43-4c59-9d44-0d1c2b3a4f5e", "office"),
        ("/a-verifier", "office"),
        ("/personnel", "hall"),
        ("/personnel/activation", "hall"),
        ("/activation", "hall"),
        ("/validation", "approver"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{path}");
        let body = r.text().await.expect("body");
        assert!(
            body.contains(&format!("<title>{expected}</title>")),
            "{path}: {body}"
        );
    }
    // An app's own assets, under its folder, with the long cache of hashed names.
    let r = app.get("/hall/hall-0123456789abcdef.js").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
}

#[tokio::test]
async fn the_service_worker_is_served_at_the_root_with_its_build_stamp() {
    let (app, _dist) = built_app().await;
    let r = app.get("/sw.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/javascript")
    );
    // Its scope is the whole site from where it is: no Service-Worker-Allowed needed.
    assert!(r.headers().get("service-worker-allowed").is_none());
    let js = r.text().await.expect("body");
    assert!(!js.contains("__VIGIE_BUILD__"), "{js}");
    let stamp = js
        .split('\'')
        .nth(1)
        .expect("the stamp between quotes")
        .to_owned();
    assert_eq!(stamp.len(), 16, "{js}");
    assert!(stamp.bytes().all(|b| b.is_ascii_hexdigit()), "{js}");

    let r = app.get("/offline.html").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("Hors ligne"));
}

#[tokio::test]
async fn another_build_changes_the_service_worker() {
    let (first, _a) = built_app().await;
    let before = first.get("/sw.js").await.text().await.expect("body");
    let dist = tempfile::tempdir().expect("dir");
    for (relative, content) in [
        ("index.html", page("office")),
        ("hall/index.html", page("hall, built again")),
        ("entry/index.html", page("entry")),
        ("approver/index.html", page("approver")),
        (
            "approver/sw.js",
            "const BUILD = '__VIGIE_BUILD__';\nself.addEventListener('install', () => {});\n"
                .to_owned(),
        ),
        (
            "approver/offline.html",
            "<!doctype html><title>Hors ligne</title>".to_owned(),
        ),
    ] {
        let path = dist.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    let path = dist.path().to_owned();
    let second = TestApp::spawn_with(move |s| s.dist_dir = path).await;
    let after = second.get("/sw.js").await.text().await.expect("body");
    assert_ne!(before, after);
}

#[tokio::test]
async fn without_a_built_approver_there_is_no_service_worker() {
    let dist = tempfile::tempdir().expect("dir");
    std::fs::write(dist.path().join("index.html"), page("office")).expect("write");
    let path = dist.path().to_owned();
    let app = TestApp::spawn_with(move |s| s.dist_dir = path).await;
    // The address is not an asset: the office app's page, whose router says "not found".
    let r = app.get("/sw.js").await;
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("<title>office</title>")
    );
}
