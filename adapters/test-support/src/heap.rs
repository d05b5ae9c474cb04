//! A global allocator that counts the bytes live on the heap, so a soak run
//! can tell memory the program holds (a leak grows it) from memory the
//! allocator keeps after it was freed (RSS alone cannot tell them apart).
//!
//! A test or bench binary opts in with
//! `#[global_allocator] static HEAP: CountingAllocator = CountingAllocator;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes.
pub struct CountingAllocator;

// SAFETY: every call is forwarded to `System` with the caller's own
// arguments; the counter only observes sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            LIVE.fetch_add(new_size, Ordering::Relaxed);
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

/// Bytes allocated and not yet freed; 0 unless the binary installed
/// [`CountingAllocator`].
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// [`live_bytes`] in KiB.
pub fn live_kib() -> u64 {
    (live_bytes() / 1024) as u64
}
