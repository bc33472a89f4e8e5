//! A string that must never be shown: its Debug and Display print a placeholder, and its
//! memory is cleared when it is dropped.

use std::fmt;

use zeroize::Zeroize;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// Freed memory keeps its bytes until it is reused: clear them, so that the secret does not
/// outlive its use in the process's memory.
impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that needs it (signing, the output).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of this secret replaced, for messages built from
    /// text we do not control (a server's error message).
    pub fn redact_from(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "<redacted>")
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// For the tests: an allocator that looks at every block as it is freed, to show what freed
/// memory would still hold.
#[cfg(test)]
#[allow(unsafe_code)]
pub(crate) mod freed {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

    struct Watching;

    #[global_allocator]
    static ALLOCATOR: Watching = Watching;

    static MARKER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
    static MARKER_LEN: AtomicUsize = AtomicUsize::new(0);
    static HOLDING: AtomicUsize = AtomicUsize::new(0);
    static BLOCK: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
    /// 0: the watched block was not freed; 1: freed cleared; 2: freed with bytes left.
    static BLOCK_STATE: AtomicUsize = AtomicUsize::new(0);
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    // SAFETY: every call goes to the system allocator with the same arguments; dealloc only
    // reads the block it is given (`layout.size()` bytes, still allocated) before freeing it.
    // realloc is GlobalAlloc's default (alloc, copy, dealloc), so old blocks pass dealloc too.
    unsafe impl GlobalAlloc for Watching {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            let len = MARKER_LEN.load(Ordering::SeqCst);
            if len > 0 {
                let marker =
                    unsafe { std::slice::from_raw_parts(MARKER.load(Ordering::SeqCst), len) };
                if block.windows(len).any(|w| w == marker) {
                    HOLDING.fetch_add(1, Ordering::SeqCst);
                }
            }
            if ptr == BLOCK.load(Ordering::SeqCst) {
                let state = if block.iter().all(|b| *b == 0) { 1 } else { 2 };
                BLOCK_STATE.store(state, Ordering::SeqCst);
                BLOCK.store(std::ptr::null_mut(), Ordering::SeqCst);
            }
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    /// How many blocks freed while `run` ran held `marker`.
    pub fn holding(marker: &'static str, run: impl FnOnce()) -> usize {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        HOLDING.store(0, Ordering::SeqCst);
        MARKER.store(marker.as_ptr().cast_mut(), Ordering::SeqCst);
        MARKER_LEN.store(marker.len(), Ordering::SeqCst);
        run();
        MARKER_LEN.store(0, Ordering::SeqCst);
        HOLDING.load(Ordering::SeqCst)
    }

    /// Whether the block at `ptr` was freed while `run` ran, and if so whether it was cleared.
    pub fn block(ptr: *const u8, run: impl FnOnce()) -> Option<bool> {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        BLOCK_STATE.store(0, Ordering::SeqCst);
        BLOCK.store(ptr.cast_mut(), Ordering::SeqCst);
        run();
        BLOCK.store(std::ptr::null_mut(), Ordering::SeqCst);
        match BLOCK_STATE.load(Ordering::SeqCst) {
            0 => None,
            state => Some(state == 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleared_when_dropped() {
        const MARKER: &str = "wJalrXUtnFEMI/K7MDENG+secret+marker";
        let freed = freed::holding(MARKER, || {
            let s = Secret::new(MARKER.to_owned());
            let copy = s.clone();
            drop(s);
            drop(copy);
        });
        assert_eq!(freed, 0, "freed memory held the secret");
        // The allocator does see an ordinary String freed with the marker in it.
        assert_eq!(freed::holding(MARKER, || drop(MARKER.to_owned())), 1);
    }

    #[test]
    fn never_printed() {
        let s = Secret::new("wJalrXUtnFEMI/K7MDENG");
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
        assert_eq!(
            s.redact_from("key wJalrXUtnFEMI/K7MDENG was bad"),
            "key <redacted> was bad"
        );
    }
}
