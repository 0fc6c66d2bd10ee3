//! Mail goes out over SMTP to the configured relay: a real SMTP listener on loopback receives
//! exactly one message per sign-in.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};
use vigie_backend::demo::JEAN_MARTIN_RPPS;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use crate::helpers::TestApp;

/// A minimal SMTP server (RFC 5321 happy path) collecting the DATA of each message.
pub async fn smtp_listener() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 test ESMTP\r\n").await;
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            store.lock().expect("lock").push(std::mem::take(&mut data));
                            let _ = write.write_all(b"250 OK queued\r\n").await;
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go on\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 OK\r\n",
                    };
                    let _ = write.write_all(reply).await;
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn exactly_one_mail_per_sign_in_reaches_the_smtp_relay() {
    let (port, received) = smtp_listener().await;
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_host = Some("127.0.0.1".into());
        s.mail.smtp_port = port;
    })
    .await;
    let mut key = SoftPasskey::new(true);
    app.register_passkey(JEAN_MARTIN_RPPS, &mut key).await;
    // The new passkey's own mail (see `credentials`) goes first: set aside.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while received.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    received.lock().expect("lock").clear();
    app.sign_in(JEAN_MARTIN_RPPS, &mut key).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while received.lock().expect("lock").is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Give a duplicate the chance to show up before counting.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let mails = received.lock().expect("lock").clone();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("To: jean.martin@demo.vigie.example"),
        "{}",
        mails[0]
    );
    assert!(mails[0].contains("Subject:"), "{}", mails[0]);
    let sent = app.outbox().await;
    assert!(
        sent.iter().all(|m| m.sent_at.is_some()),
        "outbox marks it sent"
    );
    // Handed to the relay, the body (and the link it holds) leaves the database.
    assert!(
        sent.iter().all(|m| m.body.is_empty()),
        "the body is wiped once relayed"
    );
}
