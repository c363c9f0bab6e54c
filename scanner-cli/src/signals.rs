//! SIGINT and SIGTERM: the first stops the scan (the history scan through its
//! `CancelToken`, file walks and scans by checking the same token), so that the report of
//! what was scanned is written, marked incomplete; the second ends the run at once, with
//! the temporary report removed. The exit status is 128 plus the signal's number (130,
//! 143), as a shell reports a process the signal killed.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use scanner_git::CancelToken;

/// Which signal stopped the run, if one did.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicI32>);

impl Interrupt {
    /// The signal's name and the exit status it gives, once one arrived.
    pub fn received(&self) -> Option<(&'static str, u8)> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            n => Some((name(n), exit_status(n))),
        }
    }
}

fn name(signal: i32) -> &'static str {
    #[cfg(unix)]
    {
        if signal == signal_hook::consts::SIGINT {
            return "SIGINT";
        }
        if signal == signal_hook::consts::SIGTERM {
            return "SIGTERM";
        }
    }
    let _ = signal;
    "a signal"
}

fn exit_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

/// Starts listening: the first SIGINT or SIGTERM cancels `cancel` and is remembered in the
/// returned [`Interrupt`]; the next one exits at once.
///
/// # Errors
///
/// When the handlers cannot be installed.
#[cfg(unix)]
pub fn listen(cancel: CancelToken) -> std::io::Result<Interrupt> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let interrupt = Interrupt::default();
    let seen = interrupt.0.clone();
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".to_string())
        .spawn(move || {
            for signal in signals.forever() {
                if seen.load(Ordering::SeqCst) != 0 {
                    crate::output::abandon();
                    eprintln!("leakscan: {}: stopped at once, no report written", name(signal));
                    std::process::exit(i32::from(exit_status(signal)));
                }
                seen.store(signal, Ordering::SeqCst);
                cancel.cancel();
                eprintln!(
                    "leakscan: {}: stopping; the report will cover what was scanned (again to stop at once)",
                    name(signal)
                );
            }
        })?;
    Ok(interrupt)
}

/// Without unix signals, nothing interrupts a run but the system.
#[cfg(not(unix))]
pub fn listen(cancel: CancelToken) -> std::io::Result<Interrupt> {
    let _ = cancel;
    Ok(Interrupt::default())
}
