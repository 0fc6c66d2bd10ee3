//! Helpers shared by the latency benchmarks: percentiles, the report line, reading an SSE
//! stream up to a word, and the loopback TCP round trip used as the baseline.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn report(name: &str, mut samples: Vec<Duration>, baseline: Duration) {
    samples.sort();
    let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
    println!(
        "{name:<44} n={:<5} p50 {:>8.2} ms  p99 {:>8.2} ms  (p50 = {:.0}× loopback RTT)",
        samples.len(),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        p50.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// Reads an SSE response until a `data:` line containing `needle`.
pub async fn wait_for(stream: &mut reqwest::Response, needle: &str) {
    let mut buf = String::new();
    loop {
        let chunk = stream.chunk().await.expect("stream").expect("open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if buf.contains(needle) {
            return;
        }
    }
}

pub async fn loopback_rtt(samples: usize) -> Vec<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.expect("accept");
        let mut b = [0u8; 1];
        while s.read_exact(&mut b).await.is_ok() {
            if s.write_all(&b).await.is_err() {
                return;
            }
        }
    });
    let mut c = TcpStream::connect(addr).await.expect("connect");
    c.set_nodelay(true).expect("nodelay");
    let mut out = Vec::with_capacity(samples);
    let mut b = [7u8; 1];
    for _ in 0..samples {
        let t = Instant::now();
        c.write_all(&b).await.expect("write");
        c.read_exact(&mut b).await.expect("read");
        out.push(t.elapsed());
    }
    out
}
