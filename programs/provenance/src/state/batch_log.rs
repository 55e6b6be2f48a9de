use anchor_lang::prelude::*;

use crate::constants::BATCH_LOG_CAPACITY;

/// Ring buffer of the most recent batch roots, PDA `["batch_log"]`. Batch `i` lives in slot
/// `i % BATCH_LOG_CAPACITY` while `i + BATCH_LOG_CAPACITY > next_index`; one account read
/// answers "what is the root of batch i" for the last `BATCH_LOG_CAPACITY` batches. The full
/// history is in the `BatchSubmitted` events and the `submit_batch` instruction data.
///
/// Zero-copy: `submit_batch` writes 32 bytes in place instead of (de)serializing 8 KiB.
#[account(zero_copy)]
#[derive(Debug)]
pub struct BatchLog {
    /// Equals `Config.next_index` after every instruction: batches `[next_index - min(next_index,
    /// capacity), next_index)` are present.
    pub next_index: u64,
    // Literal length: the IDL builder resolves literals only. Checked against the constant below.
    pub roots: [[u8; 32]; 256],
}

const _: () = assert!(BATCH_LOG_CAPACITY == 256);

impl BatchLog {
    pub const SPACE: usize = 8 + std::mem::size_of::<BatchLog>();

    pub fn append(&mut self, index: u64, batch_root: [u8; 32]) {
        self.roots[(index % BATCH_LOG_CAPACITY) as usize] = batch_root;
        self.next_index = index + 1;
    }

    /// The root of batch `index`, if it is still in the ring.
    pub fn root_of(&self, index: u64) -> Option<[u8; 32]> {
        if index >= self.next_index || index + BATCH_LOG_CAPACITY < self.next_index {
            return None;
        }
        Some(self.roots[(index % BATCH_LOG_CAPACITY) as usize])
    }
}
