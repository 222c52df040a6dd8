//! The extension's global allocator: the system allocator, plus, on Linux, a transparent huge
//! page hint for every block of 4 MiB or more, given before any byte of it is touched.
//!
//! This is numpy's own policy for its arrays (`indicate_hugepages` in numpy's
//! `_core/src/multiarray/alloc.c`: `madvise(MADV_HUGEPAGE)` from 4 MiB, on by default on Linux,
//! `np._core.multiarray._get_madvise_hugepage()`), applied to the columns this module hands to
//! numpy. Without it a million-row batch's fresh output columns (38 bytes a row wide, 7–8
//! compact for PHQ-9) are faulted in one 4 KiB page at a time, each fault clearing its page:
//! on these virtual machines that cost more than the scoring itself, while the numpy an analyst
//! compares against gets 2 MiB pages. Where the kernel has THP off (`never`) or the hint fails,
//! nothing changes but the speed: the hint's result is ignored, and memory is the system
//! allocator's either way (freed by the same allocator when numpy drops the column).

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks from this size on get the hint (numpy's threshold: `1 << 22`).
const HUGE_FROM: usize = 1 << 22;

pub struct HugeHint;

#[cfg(target_os = "linux")]
fn hint(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < HUGE_FROM {
        return;
    }
    // madvise wants a page-aligned start; the kernel rounds the length up to whole pages, so
    // end on the last page boundary inside the block (never advise a neighbour's bytes).
    const PAGE: usize = 4096;
    let start = (ptr as usize).next_multiple_of(PAGE);
    let end = (ptr as usize + size) & !(PAGE - 1);
    if end > start {
        // SAFETY: [start, end) lies inside the block just allocated; MADV_HUGEPAGE only
        // changes how its pages are backed, never their contents.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn hint(_ptr: *mut u8, _size: usize) {}

// SAFETY: every call is forwarded to `System` unchanged; `hint` only advises the kernel about
// memory of the block just returned.
unsafe impl GlobalAlloc for HugeHint {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        hint(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // Large zeroed blocks are fresh mappings whose pages are not touched yet (calloc skips
        // clearing them), so the hint still applies to every page.
        let p = System.alloc_zeroed(layout);
        hint(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if new_size >= HUGE_FROM && new_size > layout.size() {
            hint(p, new_size);
        }
        p
    }
}
