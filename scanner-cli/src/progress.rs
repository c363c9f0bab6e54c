//! A progress line on standard error for long scans: only on a terminal, only for the human
//! report, and only once a scan has taken more than a second — never in pipes, CI logs or
//! machine formats.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use scanner_git::ScanProgress;

/// Counters the scan updates and the display thread reads.
#[derive(Debug, Default)]
pub struct Progress {
    pub files_done: AtomicU64,
    pub files_total: AtomicU64,
    pub history: OnceLock<Arc<ScanProgress>>,
    /// What is under way with remote sources: `cloning owner/name (3 of 40)`, `scanning …`.
    stage: Mutex<String>,
    stop: AtomicBool,
}

impl Progress {
    /// Says what is under way (empty: nothing in particular).
    pub fn set_stage(&self, stage: String) {
        if let Ok(mut s) = self.stage.lock() {
            *s = stage;
        }
    }

    fn stage(&self) -> String {
        self.stage.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Whether a progress line may be drawn: standard error is a terminal and not a CI log.
pub fn wanted(human_report: bool) -> bool {
    human_report && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Draws progress until the returned guard is dropped.
pub struct Display {
    progress: Arc<Progress>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Display {
    pub fn start(progress: Arc<Progress>, enabled: bool) -> Display {
        let thread = enabled.then(|| {
            let p = progress.clone();
            std::thread::spawn(move || draw(&p))
        });
        Display { progress, thread }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.progress.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn draw(p: &Progress) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) {
        if p.stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} leakscan: {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    while !p.stop.load(Ordering::Relaxed) {
        let mut parts = Vec::new();
        let stage = p.stage();
        if !stage.is_empty() {
            parts.push(stage);
        }
        if let Some(h) = p.history.get() {
            let (done, total) = h.objects();
            parts.push(format!("{done}/{total} git objects"));
        }
        let total = p.files_total.load(Ordering::Relaxed);
        if total > 0 {
            parts.push(format!(
                "{}/{total} files",
                p.files_done.load(Ordering::Relaxed)
            ));
        }
        bar.set_message(parts.join(", "));
        bar.tick();
        std::thread::sleep(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
