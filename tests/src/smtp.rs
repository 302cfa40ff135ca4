//! A real SMTP server for the tests: aiosmtpd (from the test command's Python virtualenv)
//! writing every mail it accepts to a Maildir, read back and decoded with mail-parser.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// One mail as the server received it, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    maildir: PathBuf,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts the server on a free loopback port and waits until it accepts connections.
    pub async fn start() -> Self {
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/../.venv/bin/python");
        assert!(
            std::path::Path::new(python).exists(),
            "{python} missing: run the README test command (infra/test.sh), which installs aiosmtpd"
        );
        let addr = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        // aiosmtpd's Mailbox handler creates the Maildir itself, only when it does not exist.
        let maildir = dir.path().join("maildir");
        let child = tokio::process::Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &addr.to_string()])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .kill_on_drop(true)
            .spawn()
            .expect("aiosmtpd starts");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(addr).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Self {
            addr,
            maildir,
            child,
            _dir: dir,
        }
    }

    /// `smtp://…` for `WEBHOOKS_SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The mails received so far, oldest first.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        let Ok(dir) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        files
            .iter()
            .filter_map(|f| {
                let raw = std::fs::read(f).ok()?;
                let m = mail_parser::MessageParser::default().parse(&raw)?;
                let addrs = |a: Option<&mail_parser::Address>| -> Vec<String> {
                    a.map(|a| {
                        a.iter()
                            .filter_map(|x| x.address().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
                };
                Some(ReceivedMail {
                    from: addrs(m.from()).join(","),
                    to: addrs(m.to()),
                    subject: m.subject().unwrap_or_default().to_owned(),
                    text: m.body_text(0).unwrap_or_default().into_owned(),
                })
            })
            .collect()
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
