//! A receiver speaking raw HTTP/1.1 over TCP, for the transport faults the hardening tests
//! need (hangs, trickled bodies, resets, huge bodies).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// A receiver speaking raw HTTP/1.1 over TCP, for faults a framework will not produce:
/// `/hang` accepts and never answers, `/slow-body` sends a 200 and trickles its body,
/// `/reset` breaks the connection mid-response, `/big` answers 200 with a 50 MiB body.
#[derive(Clone)]
pub struct RawReceiver {
    pub addr: SocketAddr,
    big_sent: Arc<std::sync::atomic::AtomicUsize>,
}

impl RawReceiver {
    pub async fn start() -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let big_sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = big_sent.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let counter = counter.clone();
                tokio::spawn(async move {
                    // Read the request head and body (Content-Length) before misbehaving.
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    match path.as_str() {
                        "/hang" => tokio::time::sleep(Duration::from_secs(30)).await,
                        "/slow-body" => {
                            let _ = sock
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n")
                                .await;
                            for _ in 0..300 {
                                if sock.write_all(b"x").await.is_err() {
                                    return;
                                }
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                        "/reset" => {
                            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-len").await;
                            // A zero linger makes the close a TCP reset, which is the point here.
                            #[allow(deprecated)]
                            let _ = sock.set_linger(Some(Duration::ZERO));
                            drop(sock);
                        }
                        "/big" => {
                            let size = 50 * 1024 * 1024;
                            let _ = sock
                                .write_all(
                                    format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\n\r\n")
                                        .as_bytes(),
                                )
                                .await;
                            let block = vec![b'a'; 64 * 1024];
                            let mut sent = 0;
                            while sent < size {
                                match sock.write(&block).await {
                                    Ok(n) if n > 0 => sent += n,
                                    _ => break,
                                }
                                counter.store(sent, std::sync::atomic::Ordering::SeqCst);
                            }
                        }
                        _ => {
                            let _ = sock
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                                .await;
                        }
                    }
                });
            }
        });
        Self { addr, big_sent }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Bytes of the 50 MiB body written before the client hung up.
    pub fn bytes_sent_big(&self) -> usize {
        self.big_sent.load(std::sync::atomic::Ordering::SeqCst)
    }
}
