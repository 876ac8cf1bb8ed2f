//! The argon2 memory of the password hashing threads (`password.rs`): each hash or check works
//! in the server's 19 MiB (more for an imported hash that asks for it), reused from one job to
//! the next while sign-ins come, and given back to the system once the threads are idle.

use argon2::Block;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// `blocks` blocks of a thread's memory, grown on first use (or for a stored hash with a larger `m`).
pub(super) fn scratch(memory: &mut Vec<Block>, blocks: usize) -> &mut [Block] {
    if memory.len() < blocks {
        *memory = vec![Block::new(); blocks];
    }
    &mut memory[..blocks]
}

/// How long a hashing thread's argon2 memory is kept after its last job before it goes back
/// to the system: a burst of sign-ins reuses it, an idle server does not hold 19 MiB a thread.
pub const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// The argon2 memory of the hashing threads between their jobs, each with when it was last used.
/// A job takes one (or starts with none and grows it in [`scratch`]); a thread waiting for jobs
/// frees those unused for the idle time. Freed memory leaves the process: blocks this large are
/// mapped and unmapped by the allocator (see `main.rs`, `M_MMAP_THRESHOLD`).
#[derive(Default)]
pub(super) struct ScratchPool {
    free: Mutex<Vec<(Vec<Block>, Instant)>>,
    /// Bytes held in all, in jobs and in the pool (added to the `portcullis_password_hash_memory_bytes` gauge).
    held: AtomicUsize,
}

impl ScratchPool {
    pub(super) fn held(&self) -> usize {
        self.held.load(Ordering::Acquire)
    }

    pub(super) fn take(&self) -> Vec<Block> {
        self.free.lock().ok().and_then(|mut free| free.pop()).map(|(memory, _)| memory).unwrap_or_default()
    }

    /// Back from a job that took it `before` bytes long (a first job grows it).
    pub(super) fn give_back(&self, memory: Vec<Block>, before: usize) {
        let after = bytes(&memory);
        if after > before {
            self.held.fetch_add(after - before, Ordering::AcqRel);
            crate::metrics::password_hash_memory((after - before) as f64);
        }
        if after > 0
            && let Ok(mut free) = self.free.lock()
        {
            free.push((memory, Instant::now()));
        }
    }

    /// Free the memory no job has used for `idle`.
    pub(super) fn release_idle(&self, idle: Duration) {
        let Ok(mut free) = self.free.lock() else { return };
        let freed: usize = free.iter().filter(|(_, used)| used.elapsed() >= idle).map(|(m, _)| bytes(m)).sum();
        if freed > 0 {
            free.retain(|(_, used)| used.elapsed() < idle);
            self.held.fetch_sub(freed, Ordering::AcqRel);
            crate::metrics::password_hash_memory(-(freed as f64));
        }
    }
}

impl std::fmt::Debug for ScratchPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScratchPool").field("held", &self.held.load(Ordering::Relaxed)).finish()
    }
}

pub(super) fn bytes(memory: &[Block]) -> usize {
    std::mem::size_of_val(memory)
}
