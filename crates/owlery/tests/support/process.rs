//! A child `owlery` process whose stderr is collected for assertions and failure messages;
//! killed when dropped.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

pub struct Proc {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Proc {
    /// Start `c` with stdin and stdout closed and stderr collected.
    pub fn spawn(mut c: Command) -> Proc {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Proc { child, log }
    }

    /// Start `owlery serve …` and wait (up to a minute) until it says where it listens: the
    /// process and its address.
    pub fn serve(c: Command) -> (Proc, String) {
        let mut server = Proc::spawn(c);
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let log = server.log();
            if let Some(line) = log.lines().find(|l| l.contains("is running at http://")) {
                break line
                    .split_whitespace()
                    .find(|w| w.starts_with("http://"))
                    .unwrap()
                    .trim_end_matches(['.', ','])
                    .to_owned();
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("owlery serve exited ({status}):\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "owlery serve did not start:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        (server, base)
    }

    /// Everything it wrote to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Kill it at once (SIGKILL: no shutdown work), and reap it.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}
