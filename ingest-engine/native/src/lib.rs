//! Native EdDSA-Poseidon (BabyJubJub) verification for Node, circomlibjs-compatible.
//!
//! Same rules as the TypeScript verifier (client-sdk/src/eddsa.ts), which stays the reference
//! and the fallback: canonical encodings only (y < p, no x = 0), keys in the prime-order
//! subgroup (not small order), S < subgroup order, message < p, and the circuit's equation
//! S·B8 == R8 + 8·h·A with h = Poseidon(R8.x, R8.y, A.x, A.y, message). Every exported
//! function returns a verdict instead of panicking across the boundary.
//!
//! `validateRecords` does the expensive half of a record's checks (client-sdk/src/record.ts
//! `parseRecord` after its field, URL, timestamp and hex checks, then the signature): key and
//! signature decoding, nodeId = Poseidon(A) compared with the posted one, the message and the
//! leaf, and the signature equation, with the key's decoding, subgroup check, nodeId and
//! window table computed once per key and cached.

use std::cell::RefCell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::str::FromStr;
use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInt, BigInteger, Field, One, PrimeField, Zero};
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

mod poseidon;

/// Order of the prime-order subgroup (circomlibjs `babyJub.subOrder`), little-endian limbs.
const SUBGROUP_ORDER: BigInt<4> = BigInt([
    0x677297dc392126f1,
    0xab3eedb83920ee0a,
    0x370a08b6d0302b0b,
    0x060c89ce5c263405,
]);

#[derive(Clone, Copy)]
struct Ext {
    x: Fr,
    y: Fr,
    z: Fr,
    t: Fr,
}

struct Curve {
    a: Fr,
    d: Fr,
    /// 32 rows × 256 multiples of BASE8: row i holds j·256^i·B8.
    base_table: Vec<Ext>,
}

fn curve() -> &'static Curve {
    static CURVE: OnceLock<Curve> = OnceLock::new();
    CURVE.get_or_init(|| {
        let a = Fr::from(168700u64);
        let d = Fr::from(168696u64);
        let bx = Fr::from_str("5299619240641551281634865583518297030282874472190772894086521144482721001553")
            .unwrap_or_default();
        let by = Fr::from_str("16950150798460657717958625567821834550301663161624707787222815936182638968203")
            .unwrap_or_default();
        let mut c = Curve { a, d, base_table: Vec::new() };
        c.base_table = table(&c, from_affine(bx, by), 8);
        c
    })
}

fn identity() -> Ext {
    Ext { x: Fr::zero(), y: Fr::one(), z: Fr::one(), t: Fr::zero() }
}

fn from_affine(x: Fr, y: Fr) -> Ext {
    Ext { x, y, z: Fr::one(), t: x * y }
}

/// add-2008-hwcd: complete on BabyJubJub (a square, d not a square).
fn add(c: &Curve, p: &Ext, q: &Ext) -> Ext {
    let a = p.x * q.x;
    let b = p.y * q.y;
    let cc = c.d * p.t * q.t;
    let d = p.z * q.z;
    let e = (p.x + p.y) * (q.x + q.y) - a - b;
    let f = d - cc;
    let g = d + cc;
    let h = b - c.a * a;
    Ext { x: e * f, y: g * h, t: e * h, z: f * g }
}

/// dbl-2008-hwcd.
fn double(c: &Curve, p: &Ext) -> Ext {
    let a = p.x.square();
    let b = p.y.square();
    let cc = p.z.square().double();
    let d = c.a * a;
    let e = (p.x + p.y).square() - a - b;
    let g = d + b;
    let f = g - cc;
    let h = d - b;
    Ext { x: e * f, y: g * h, t: e * h, z: f * g }
}

fn is_identity(p: &Ext) -> bool {
    p.x.is_zero() && p.y == p.z
}

/// Rows of 2^w points: row i holds j·(2^w)^i·base for j = 0 .. 2^w - 1.
fn table(c: &Curve, base: Ext, w: usize) -> Vec<Ext> {
    let per = 1usize << w;
    let rows = 256 / w;
    let mut out = Vec::with_capacity(rows * per);
    let mut b = base;
    for _ in 0..rows {
        out.push(identity());
        out.push(b);
        for j in 2..per {
            let next = add(c, &out[out.len() - 1], &b);
            let _ = j;
            out.push(next);
        }
        for _ in 0..w {
            b = double(c, &b);
        }
    }
    out
}

fn multiply(c: &Curve, p: &Ext, k: &BigInt<4>) -> Ext {
    let mut acc = identity();
    for i in (0..256).rev() {
        acc = double(c, &acc);
        if k.get_bit(i) {
            acc = add(c, &acc, p);
        }
    }
    acc
}

fn le_bigint(bytes: &[u8]) -> BigInt<4> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[8 * i..8 * i + 8]);
        *limb = u64::from_le_bytes(w);
    }
    BigInt(limbs)
}

/// Strict decoding of circomlibjs `packPoint` bytes: y < p, a point with this y exists, the
/// sign bit picks x, and x != 0 (the identity and the point of order 2 are refused).
fn decode(c: &Curve, bytes: &[u8]) -> Option<(Fr, Fr)> {
    let mut buf = [0u8; 32];
    buf.copy_from_slice(&bytes[..32]);
    let sign = buf[31] & 0x80 != 0;
    buf[31] &= 0x7f;
    let y_big = le_bigint(&buf);
    if y_big >= Fr::MODULUS {
        return None;
    }
    let y = Fr::from_bigint(y_big)?;
    let y2 = y.square();
    let den = c.a - c.d * y2;
    let x2 = (Fr::one() - y2) * den.inverse()?;
    let mut x = x2.sqrt()?;
    if x.is_zero() {
        return None;
    }
    if x.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO {
        x = -x;
    }
    if sign {
        x = -x;
    }
    Some((x, y))
}

struct Key {
    ax: Fr,
    ay: Fr,
    /// Poseidon(Ax, Ay): the record's nodeId.
    node_id: Fr,
    /// 64 rows × 16 multiples of -8A.
    table: Vec<Ext>,
}

const KEY_CACHE_LIMIT: usize = 1024;

/// Per thread: decoded keys (or the verdict that a key is refused), each with the tick of its
/// last use. Full, it evicts the least recently used entry, so a flood of fresh keys cannot
/// push out the keys registered nodes keep using (it only ever costs the flood its own work).
struct KeyCache {
    tick: u64,
    /// Keys prepared (cache misses) on this thread.
    misses: u64,
    keys: HashMap<[u8; 32], (Option<Rc<Key>>, u64)>,
}

thread_local! {
    static KEYS: RefCell<KeyCache> = RefCell::new(KeyCache { tick: 0, misses: 0, keys: HashMap::new() });
}

fn prepare_key(c: &Curve, bytes: &[u8]) -> Option<Rc<Key>> {
    let (ax, ay) = decode(c, bytes)?;
    let a = from_affine(ax, ay);
    let eight = double(c, &double(c, &double(c, &a)));
    if is_identity(&eight) {
        return None; // small order: the circuit refuses 8A = identity
    }
    if !is_identity(&multiply(c, &a, &SUBGROUP_ORDER)) {
        return None; // torsion component
    }
    let neg = Ext { x: -eight.x, y: eight.y, z: eight.z, t: -eight.t };
    let node_id = poseidon::poseidon2(&[ax, ay]);
    Some(Rc::new(Key { ax, ay, node_id, table: table(c, neg, 4) }))
}

fn key_for(c: &Curve, bytes: &[u8]) -> Option<Rc<Key>> {
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes[..32]);
    let hit = KEYS.with(|k| {
        let mut k = k.borrow_mut();
        k.tick += 1;
        let tick = k.tick;
        k.keys.get_mut(&id).map(|(key, used)| {
            *used = tick;
            key.clone()
        })
    });
    if let Some(hit) = hit {
        return hit;
    }
    let key = prepare_key(c, bytes);
    KEYS.with(|k| {
        let mut k = k.borrow_mut();
        k.misses += 1;
        if k.keys.len() >= KEY_CACHE_LIMIT {
            if let Some(oldest) = k.keys.iter().min_by_key(|(_, (_, used))| *used).map(|(id, _)| *id) {
                k.keys.remove(&oldest);
            }
        }
        let tick = k.tick;
        k.keys.insert(id, (key.clone(), tick));
    });
    key
}

#[cfg(test)]
mod cache_tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used_key_not_everything() {
        let c = curve();
        // Fill the cache with distinct junk 32-byte "keys" (refused, cached as None), touching one
        // entry in between: it must survive the evictions the flood causes.
        let kept = [0xabu8; 32];
        let _ = key_for(c, &kept);
        let misses = || KEYS.with(|k| k.borrow().misses);
        let before = misses();
        let flood = KEY_CACHE_LIMIT as u64 * 3;
        for i in 0..flood {
            let mut junk = [0u8; 32];
            junk[..8].copy_from_slice(&i.to_le_bytes());
            junk[31] = 0x7f;
            let _ = key_for(c, &junk);
            let _ = key_for(c, &kept); // in use: must stay cached through the flood
        }
        // One miss per fresh key and none for the key in use (a cache that clears when full
        // would prepare `kept` again after every clear).
        assert_eq!(misses() - before, flood);
        KEYS.with(|k| {
            let k = k.borrow();
            assert!(k.keys.len() <= KEY_CACHE_LIMIT);
            assert!(k.keys.contains_key(&kept));
        });
    }
}

/// S·B8 + h·(-8A) == R8 with h = Poseidon(R8.x, R8.y, A.x, A.y, m); `s_bytes` is S (checked
/// below the subgroup order by the caller), little-endian.
fn verify_core(c: &Curve, key: &Key, rx: Fr, ry: Fr, s_bytes: &[u8], m: Fr) -> bool {
    let h = poseidon::poseidon5(&[rx, ry, key.ax, key.ay, m]);
    let h_bytes = h.into_bigint().to_bytes_le();
    let mut acc = identity();
    for (i, &digit) in s_bytes.iter().enumerate() {
        if digit != 0 {
            acc = add(c, &acc, &c.base_table[i * 256 + digit as usize]);
        }
    }
    for j in 0..64 {
        let nib = ((h_bytes[j / 2] >> (4 * (j & 1))) & 15) as usize;
        if nib != 0 {
            acc = add(c, &acc, &key.table[j * 16 + nib]);
        }
    }
    acc.x == rx * acc.z && acc.y == ry * acc.z
}

fn verify_inner(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    if message.len() != 32 || signature.len() != 64 || public_key.len() != 32 {
        return false;
    }
    let m_big = le_bigint(message);
    if m_big >= Fr::MODULUS {
        return false;
    }
    let s_big = le_bigint(&signature[32..64]);
    if s_big >= SUBGROUP_ORDER {
        return false;
    }
    let c = curve();
    let Some(key) = key_for(c, public_key) else { return false };
    let Some((rx, ry)) = decode(c, &signature[..32]) else { return false };
    let Some(m) = Fr::from_bigint(m_big) else { return false };
    verify_core(c, &key, rx, ry, &signature[32..64], m)
}

fn verify_guarded(message: &[u8], signature: &[u8], public_key: &[u8]) -> bool {
    catch_unwind(AssertUnwindSafe(|| verify_inner(message, signature, public_key))).unwrap_or(false)
}

// Arguments are `BufferSlice`s: zero-copy views valid for the call only, so the addon holds
// no references to JavaScript objects and creates no external buffers (nothing to clean up
// when a worker thread exits). Results are written into a buffer the caller allocates.

/// Verifies one signature. `message` is the field element as 32 bytes little-endian,
/// `signature` 64 bytes (circomlibjs `packSignature`), `publicKey` 32 bytes (`packPoint`).
#[napi]
pub fn verify(message: BufferSlice, signature: BufferSlice, public_key: BufferSlice) -> bool {
    verify_guarded(&message, &signature, &public_key)
}

/// Verifies n signatures: `messages` is n × 32 bytes, `signatures` n × 64, `publicKeys`
/// n × 32, concatenated; writes one byte per job into `results` (1 = valid, 0 otherwise)
/// and returns n. Jobs that cannot be formed from the given lengths are left at 0.
#[napi]
pub fn verify_batch(
    messages: BufferSlice,
    signatures: BufferSlice,
    public_keys: BufferSlice,
    mut results: BufferSlice,
) -> u32 {
    let n = (messages.len() / 32).min(results.len());
    for i in 0..n {
        let (m, s, k) = (32 * i, 64 * i, 32 * i);
        results[i] = 0;
        if s + 64 > signatures.len() || k + 32 > public_keys.len() {
            continue;
        }
        results[i] = verify_guarded(&messages[m..m + 32], &signatures[s..s + 64], &public_keys[k..k + 32]) as u8;
    }
    n as u32
}

// --- records ------------------------------------------------------------------------------

/// Bytes per record given to `validateRecords`: SHA-256(url) 32, contentHash 32, timestamp
/// u64 little-endian 8, nodeId as posted 32 (big-endian), publicKey 32, signature 64.
pub const RECORD_IN: usize = 200;
/// Bytes per record written by `validateRecords`: status 1, leaf 32 and nodeId 32 (big-endian).
pub const RECORD_OUT: usize = 65;

/// Status of a record (first byte of its result).
pub const STATUS_UNCHECKED: u8 = 0;
/// Well formed and validly signed.
pub const STATUS_VALID: u8 = 1;
/// Well formed; the signature equation fails.
pub const STATUS_BAD_SIGNATURE: u8 = 2;
/// publicKey refused (not canonical, not on the curve, x = 0, small order, torsion).
pub const STATUS_BAD_PUBLIC_KEY: u8 = 3;
/// signature refused (R8 not canonical / not on the curve / x = 0, or S >= subgroup order).
pub const STATUS_BAD_SIGNATURE_ENCODING: u8 = 4;
/// nodeId is not Poseidon(publicKey).
pub const STATUS_NODE_ID_MISMATCH: u8 = 5;

fn record_domain() -> Fr {
    static DOMAIN: OnceLock<Fr> = OnceLock::new();
    *DOMAIN.get_or_init(|| Fr::from_be_bytes_mod_order(b"provenance.record.v1"))
}

fn be_half(bytes: &[u8]) -> Fr {
    let mut w = [0u8; 16];
    w.copy_from_slice(&bytes[..16]);
    Fr::from(u128::from_be_bytes(w))
}

fn put_be(out: &mut [u8], x: Fr) {
    out.copy_from_slice(&x.into_bigint().to_bytes_be());
}

/// The checks of `parseRecord` that need curve arithmetic or hashes, in its order (key,
/// signature encoding, nodeId), then the message, the leaf and the signature equation.
fn validate_record(rec: &[u8], out: &mut [u8]) -> u8 {
    let c = curve();
    let Some(key) = key_for(c, &rec[104..136]) else { return STATUS_BAD_PUBLIC_KEY };
    let sig = &rec[136..200];
    let Some((rx, ry)) = decode(c, &sig[..32]) else { return STATUS_BAD_SIGNATURE_ENCODING };
    if le_bigint(&sig[32..64]) >= SUBGROUP_ORDER {
        return STATUS_BAD_SIGNATURE_ENCODING;
    }
    let node_id = key.node_id.into_bigint().to_bytes_be();
    if node_id[..] != rec[72..104] {
        return STATUS_NODE_ID_MISMATCH;
    }
    let m = record_message(rec);
    let leaf = poseidon::poseidon2(&[m, key.node_id]);
    put_be(&mut out[1..33], leaf);
    out[33..65].copy_from_slice(&node_id);
    if verify_core(c, &key, rx, ry, &sig[32..64], m) {
        STATUS_VALID
    } else {
        STATUS_BAD_SIGNATURE
    }
}

/// Validates n records given as n × RECORD_IN bytes (see `RECORD_IN`); writes n × RECORD_OUT
/// bytes into `results` (status, then leaf and nodeId when the status is 1 or 2) and returns n.
/// A record that could not be checked (a panic) is left at status 0.
#[napi]
pub fn validate_records(records: BufferSlice, mut results: BufferSlice) -> u32 {
    let n = (records.len() / RECORD_IN).min(results.len() / RECORD_OUT);
    for i in 0..n {
        let rec = &records[RECORD_IN * i..RECORD_IN * (i + 1)];
        let out = &mut results[RECORD_OUT * i..RECORD_OUT * (i + 1)];
        out.fill(0);
        let mut tmp = [0u8; RECORD_OUT];
        let status = catch_unwind(AssertUnwindSafe(|| validate_record(rec, &mut tmp))).unwrap_or(STATUS_UNCHECKED);
        tmp[0] = status;
        out.copy_from_slice(&tmp);
    }
    n as u32
}

// --- chunks -------------------------------------------------------------------------------

/// Depth of a chunk's tree (client-sdk `CHUNK_LEVELS`): 16 leaves whatever the deployment's chunk size.
pub const CHUNK_LEVELS: usize = 4;
/// Most records in a chunk (client-sdk `CHUNK_MAX`).
pub const CHUNK_MAX: usize = 1 << CHUNK_LEVELS;
/// Bytes `validateChunk` writes before the records: status 1, nodeId 32, digest 32 (big-endian).
pub const CHUNK_HEAD_OUT: usize = 65;
/// Bytes `validateChunk` writes per record: leaf 32, then the siblings of its message in the
/// chunk tree, leaf level first, 32 each (big-endian).
pub const CHUNK_RECORD_OUT: usize = 32 + 32 * CHUNK_LEVELS;
/// Chunk status: not 1..16 rows, or the buffers are too short.
pub const STATUS_MALFORMED: u8 = 6;

fn chunk_domain() -> Fr {
    static DOMAIN: OnceLock<Fr> = OnceLock::new();
    *DOMAIN.get_or_init(|| Fr::from_be_bytes_mod_order(b"provenance.chunk.v1"))
}

fn record_message(rec: &[u8]) -> Fr {
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&rec[64..72]);
    poseidon::poseidon6(&[
        record_domain(),
        be_half(&rec[0..16]),
        be_half(&rec[16..32]),
        be_half(&rec[32..48]),
        be_half(&rec[48..64]),
        Fr::from(u64::from_le_bytes(ts)),
    ])
}

/// The chunk's checks after its JSON form (docs/circuit-v2.md): the key, the signature's
/// encoding and every row's nodeId against the key, then each record's v1 message, the
/// depth-4 tree over the messages (zero padding), digest = Poseidon(DOMAIN_CHUNK_V1, n, root),
/// each record's leaf and path, and one signature equation over the digest.
fn validate_chunk_inner(rows: &[u8], out: &mut [u8]) -> u8 {
    let n = rows.len() / RECORD_IN;
    if n == 0 || n > CHUNK_MAX || rows.len() % RECORD_IN != 0 || out.len() < CHUNK_HEAD_OUT + n * CHUNK_RECORD_OUT {
        return STATUS_MALFORMED;
    }
    let c = curve();
    let Some(key) = key_for(c, &rows[104..136]) else { return STATUS_BAD_PUBLIC_KEY };
    let sig = &rows[136..200];
    let Some((rx, ry)) = decode(c, &sig[..32]) else { return STATUS_BAD_SIGNATURE_ENCODING };
    if le_bigint(&sig[32..64]) >= SUBGROUP_ORDER {
        return STATUS_BAD_SIGNATURE_ENCODING;
    }
    let node_id = key.node_id.into_bigint().to_bytes_be();
    for i in 0..n {
        if node_id[..] != rows[RECORD_IN * i + 72..RECORD_IN * i + 104] {
            return STATUS_NODE_ID_MISMATCH;
        }
    }
    let mut layer = vec![Fr::zero(); CHUNK_MAX];
    for (i, m) in layer.iter_mut().enumerate().take(n) {
        *m = record_message(&rows[RECORD_IN * i..RECORD_IN * (i + 1)]);
    }
    for i in 0..n {
        let leaf = poseidon::poseidon2(&[layer[i], key.node_id]);
        put_be(&mut out[CHUNK_HEAD_OUT + CHUNK_RECORD_OUT * i..CHUNK_HEAD_OUT + CHUNK_RECORD_OUT * i + 32], leaf);
    }
    let mut index: Vec<usize> = (0..n).collect();
    for level in 0..CHUNK_LEVELS {
        for (i, at) in index.iter_mut().enumerate() {
            let o = CHUNK_HEAD_OUT + CHUNK_RECORD_OUT * i + 32 + 32 * level;
            put_be(&mut out[o..o + 32], layer[*at ^ 1]);
            *at >>= 1;
        }
        layer = layer.chunks_exact(2).map(|p| poseidon::poseidon2(&[p[0], p[1]])).collect();
    }
    let digest = poseidon::poseidon3(&[chunk_domain(), Fr::from(n as u64), layer[0]]);
    out[1..33].copy_from_slice(&node_id);
    put_be(&mut out[33..65], digest);
    if verify_core(c, &key, rx, ry, &sig[32..64], digest) {
        STATUS_VALID
    } else {
        STATUS_BAD_SIGNATURE
    }
}

/// Validates one chunk given as n × RECORD_IN bytes (see `RECORD_IN`; every row carries the
/// chunk's public key and signature, only the first row's are read): writes CHUNK_HEAD_OUT
/// bytes (status, nodeId, digest) then n × CHUNK_RECORD_OUT (leaf, chunk path) into
/// `results` and returns the status. Leaves and paths are written only for status 1 or 2; a
/// panic gives status 0.
#[napi]
pub fn validate_chunk(rows: BufferSlice, mut results: BufferSlice) -> u32 {
    let status = catch_unwind(AssertUnwindSafe(|| {
        let mut tmp = vec![0u8; results.len()];
        let status = validate_chunk_inner(&rows, &mut tmp);
        (status, tmp)
    }));
    match status {
        Ok((status, tmp)) => {
            results.copy_from_slice(&tmp);
            if !results.is_empty() {
                results[0] = status;
            }
            status as u32
        }
        Err(_) => {
            results.fill(0);
            STATUS_UNCHECKED as u32
        }
    }
}

// --- dataset verification (bundles) -------------------------------------------------------

/// Bytes per record given to `checkBundleRecord`: the `RECORD_IN` row (for a chunk-signed
/// record, the chunk's signature in place of the record's), then a chunk flag (0 or 1), the
/// chunk's size, the record's index in it, and the CHUNK_LEVELS siblings of its message
/// (big-endian, leaf level first).
pub const BUNDLE_RECORD_IN: usize = RECORD_IN + 3 + 32 * CHUNK_LEVELS;
/// Bytes written by `checkBundleRecord`: status 1, leaf 32, nodeId 32, message 32, and for a
/// chunk-signed record the chunk digest 32 (big-endian; zero for a record signed alone).
pub const BUNDLE_RECORD_OUT: usize = 1 + 4 * 32;

/// Entries kept by the per-thread memo of Poseidon(left, right) (~100 bytes each); cleared when full.
const NODE_MEMO_LIMIT: usize = 1 << 15;
/// Entries kept by the per-thread memo of chunk-signature verdicts; cleared when full.
const VERDICT_MEMO_LIMIT: usize = 1 << 12;

thread_local! {
    /// Poseidon(left, right) by its inputs (64 bytes, big-endian): the records of one batch share
    /// the upper nodes of their paths, and the two records of a pair share their first node.
    static NODES: RefCell<HashMap<[u8; 64], [u8; 32]>> = RefCell::new(HashMap::new());
    /// Chunk signature verdicts by (digest, signature, key): every record of a chunk carries the
    /// chunk's one signature over the same digest.
    static VERDICTS: RefCell<HashMap<[u8; 128], bool>> = RefCell::new(HashMap::new());
}

fn be_fr(bytes: &[u8]) -> Fr {
    Fr::from_be_bytes_mod_order(bytes)
}

/// Poseidon(left, right) of two canonical big-endian field elements, through the memo.
fn node_be(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(left);
    key[32..].copy_from_slice(right);
    if let Some(hit) = NODES.with(|m| m.borrow().get(&key).copied()) {
        return hit;
    }
    let mut out = [0u8; 32];
    put_be(&mut out, poseidon::poseidon2(&[be_fr(left), be_fr(right)]));
    NODES.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= NODE_MEMO_LIMIT {
            m.clear();
        }
        m.insert(key, out);
    });
    out
}

/// The root a path leads to (client-sdk `computeRoot`): `leaf` at `index`, node =
/// Poseidon(left, right) with the sibling on the side the index's bit says.
fn path_root_be(leaf: [u8; 32], index: u32, siblings: &[u8]) -> [u8; 32] {
    let mut node = leaf;
    let mut i = index;
    for s in siblings.chunks_exact(32) {
        let mut sib = [0u8; 32];
        sib.copy_from_slice(s);
        node = if i & 1 == 0 { node_be(&node, &sib) } else { node_be(&sib, &node) };
        i >>= 1;
    }
    node
}

/// Whether every 32-byte big-endian word of `words` is below the field modulus.
fn canonical_be(words: &[u8]) -> bool {
    words.chunks_exact(32).all(|w| {
        let mut le = [0u8; 32];
        for (i, b) in w.iter().enumerate() {
            le[31 - i] = *b;
        }
        le_bigint(&le) < Fr::MODULUS
    })
}

/// The checks of `parseRecord` / `parseChunkRecord` that need hashes or curve arithmetic, in
/// their order (key, signature encoding, nodeId), then the message, the leaf, for a chunk-signed
/// record the digest re-derived from its place (client-sdk `chunkDigestFromPath`), and the
/// signature equation over the message or the digest.
fn check_bundle_record_inner(row: &[u8], out: &mut [u8]) -> u8 {
    let c = curve();
    let Some(key) = key_for(c, &row[104..136]) else { return STATUS_BAD_PUBLIC_KEY };
    let sig = &row[136..200];
    let Some((rx, ry)) = decode(c, &sig[..32]) else { return STATUS_BAD_SIGNATURE_ENCODING };
    if le_bigint(&sig[32..64]) >= SUBGROUP_ORDER {
        return STATUS_BAD_SIGNATURE_ENCODING;
    }
    let node_id = key.node_id.into_bigint().to_bytes_be();
    if node_id[..] != row[72..104] {
        return STATUS_NODE_ID_MISMATCH;
    }
    let m = record_message(row);
    let leaf = poseidon::poseidon2(&[m, key.node_id]);
    put_be(&mut out[1..33], leaf);
    out[33..65].copy_from_slice(&node_id);
    put_be(&mut out[65..97], m);
    let chunked = row[RECORD_IN] == 1;
    if !chunked {
        out[97..129].fill(0);
        return if verify_core(c, &key, rx, ry, &sig[32..64], m) { STATUS_VALID } else { STATUS_BAD_SIGNATURE };
    }
    let size = row[RECORD_IN + 1] as usize;
    let index = row[RECORD_IN + 2] as u32;
    let siblings = &row[RECORD_IN + 3..BUNDLE_RECORD_IN];
    if size == 0 || size > CHUNK_MAX || index as usize >= size || !canonical_be(siblings) {
        return STATUS_MALFORMED;
    }
    let mut m_be = [0u8; 32];
    put_be(&mut m_be, m);
    let root = path_root_be(m_be, index, siblings);
    let digest = poseidon::poseidon3(&[chunk_domain(), Fr::from(size as u64), be_fr(&root)]);
    let mut digest_be = [0u8; 32];
    put_be(&mut digest_be, digest);
    out[97..129].copy_from_slice(&digest_be);
    let mut vkey = [0u8; 128];
    vkey[..32].copy_from_slice(&digest_be);
    vkey[32..96].copy_from_slice(sig);
    vkey[96..].copy_from_slice(&row[104..136]);
    let verdict = match VERDICTS.with(|v| v.borrow().get(&vkey).copied()) {
        Some(v) => v,
        None => {
            let v = verify_core(c, &key, rx, ry, &sig[32..64], digest);
            VERDICTS.with(|m| {
                let mut m = m.borrow_mut();
                if m.len() >= VERDICT_MEMO_LIMIT {
                    m.clear();
                }
                m.insert(vkey, v);
            });
            v
        }
    };
    if verdict {
        STATUS_VALID
    } else {
        STATUS_BAD_SIGNATURE
    }
}

/// One bundle's record (see `BUNDLE_RECORD_IN`): writes `BUNDLE_RECORD_OUT` bytes (status, then
/// leaf, nodeId, message and digest when the status is 1 or 2) and returns the status. A row of
/// the wrong length or a chunk reference that cannot exist gives STATUS_MALFORMED, a panic 0.
#[napi]
pub fn check_bundle_record(row: BufferSlice, mut out: BufferSlice) -> u32 {
    if row.len() != BUNDLE_RECORD_IN || out.len() < BUNDLE_RECORD_OUT {
        return STATUS_MALFORMED as u32;
    }
    let mut tmp = [0u8; BUNDLE_RECORD_OUT];
    let status = catch_unwind(AssertUnwindSafe(|| check_bundle_record_inner(&row, &mut tmp))).unwrap_or(STATUS_UNCHECKED);
    tmp[0] = status;
    if status != STATUS_VALID && status != STATUS_BAD_SIGNATURE {
        tmp[1..].fill(0);
    }
    out[..BUNDLE_RECORD_OUT].copy_from_slice(&tmp);
    status as u32
}

/// The root an inclusion path leads to (client-sdk `computeRoot`, node = Poseidon(left,
/// right)): `leaf` 32 bytes and `siblings` 1..=30 × 32 bytes, big-endian field elements, leaf
/// level first; `index` below 2^levels. Writes the root (32 bytes big-endian) into `out` and
/// returns true; false (nothing written) for malformed input (a word not below the modulus, a
/// length or index out of range). Poseidon(left, right) is memoized per thread.
#[napi]
pub fn path_root(leaf: BufferSlice, index: u32, siblings: BufferSlice, mut out: BufferSlice) -> bool {
    let levels = siblings.len() / 32;
    if leaf.len() != 32 || siblings.len() % 32 != 0 || !(1..=30).contains(&levels) || (index as u64) >= (1u64 << levels) || out.len() < 32 {
        return false;
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        if !canonical_be(&leaf) || !canonical_be(&siblings) {
            return None;
        }
        let mut l = [0u8; 32];
        l.copy_from_slice(&leaf);
        Some(path_root_be(l, index, &siblings))
    }));
    match result {
        Ok(Some(root)) => {
            out[..32].copy_from_slice(&root);
            true
        }
        _ => false,
    }
}

// --- Merkle roots -------------------------------------------------------------------------

/// Root of the binary Poseidon Merkle tree of depth `levels` whose first leaves are `leaves`
/// (n × 32 bytes, each a field element little-endian) and the rest 0, as `FixedMerkleTree` in
/// client-sdk/src/merkle.ts computes it: node = Poseidon(left, right). Writes the root (32
/// bytes little-endian) into `out` and returns true; false (nothing written) when the input is
/// malformed: levels outside 1..=30, more leaves than 2^levels, a leaf not below the modulus,
/// or `out` shorter than 32 bytes.
#[napi]
pub fn merkle_root(levels: u32, leaves: BufferSlice, mut out: BufferSlice) -> bool {
    let result = catch_unwind(AssertUnwindSafe(|| merkle_root_inner(levels, &leaves)));
    match result {
        Ok(Some(root)) if out.len() >= 32 => {
            out[..32].copy_from_slice(&root.into_bigint().to_bytes_le());
            true
        }
        _ => false,
    }
}

fn merkle_root_inner(levels: u32, leaves: &[u8]) -> Option<Fr> {
    if !(1..=30).contains(&levels) || leaves.len() % 32 != 0 || leaves.len() / 32 > (1usize << levels) {
        return None;
    }
    let mut layer = Vec::with_capacity(leaves.len() / 32);
    for chunk in leaves.chunks_exact(32) {
        let x = Fr::from_le_bytes_mod_order(chunk);
        // Canonical only: the bytes must round-trip (x < modulus).
        if x.into_bigint().to_bytes_le() != chunk {
            return None;
        }
        layer.push(x);
    }
    // Hash of an all-zero subtree at each height, so padding costs nothing.
    let mut zero = Fr::zero();
    for _ in 0..levels {
        let mut next = Vec::with_capacity(layer.len().div_ceil(2));
        for pair in layer.chunks(2) {
            let left = pair[0];
            let right = if pair.len() == 2 { pair[1] } else { zero };
            next.push(poseidon::poseidon2(&[left, right]));
        }
        if next.is_empty() {
            next.push(poseidon::poseidon2(&[zero, zero]));
        }
        zero = poseidon::poseidon2(&[zero, zero]);
        layer = next;
    }
    layer.first().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_roots_agree_with_the_tree_with_and_without_the_memo() {
        // Every leaf's path in a tree of 5 leaves (3 levels) leads to merkle_root's root, the
        // first time (memo cold) and the second (memo warm), and a changed sibling does not.
        let leaves: Vec<Fr> = (1..=5u64).map(|i| Fr::from(i * 1_000_003)).collect();
        let mut bytes = Vec::new();
        for l in &leaves {
            bytes.extend_from_slice(&l.into_bigint().to_bytes_le());
        }
        let root = merkle_root_inner(3, &bytes).unwrap();
        let mut layers = vec![leaves.clone()];
        layers[0].resize(8, Fr::zero());
        for h in 0..3 {
            let next: Vec<Fr> = layers[h].chunks_exact(2).map(|p| poseidon::poseidon2(&[p[0], p[1]])).collect();
            layers.push(next);
        }
        for _round in 0..2 {
            for i in 0..5usize {
                let mut sibs = Vec::new();
                let mut at = i;
                for layer in layers.iter().take(3) {
                    sibs.extend_from_slice(&layer[at ^ 1].into_bigint().to_bytes_be());
                    at >>= 1;
                }
                let mut leaf = [0u8; 32];
                leaf.copy_from_slice(&leaves[i].into_bigint().to_bytes_be());
                assert_eq!(be_fr(&path_root_be(leaf, i as u32, &sibs)), root);
                sibs[40] ^= 1;
                assert_ne!(be_fr(&path_root_be(leaf, i as u32, &sibs)), root);
            }
        }
    }

    #[test]
    fn base8_has_subgroup_order() {
        let c = curve();
        let b8 = c.base_table[1];
        assert!(!is_identity(&b8));
        assert!(is_identity(&multiply(c, &b8, &SUBGROUP_ORDER)));
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use std::time::Instant;

    /// Where a verification's time goes: `cargo test --release -- --ignored --nocapture`.
    /// Ignored in the suite because it is a timing report (it prints, it asserts nothing about
    /// speed, and its figures mean something only on an idle machine), not a check.
    #[test]
    #[ignore = "a timing report to run by hand (--ignored --nocapture), not a check"]
    fn breakdown() {
        let c = curve();
        let n = 200;
        let x = Fr::from(123456789u64);
        // The fastest of 15 rounds: on a shared machine the minimum is the figure other jobs disturb least.
        let best = |f: &mut dyn FnMut()| {
            (0..15)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed() / n
                })
                .min()
                .unwrap_or_default()
        };
        let mut acc = x;
        println!("poseidon5 {:?}/op", best(&mut || for _ in 0..n { acc = poseidon::poseidon5(&[acc, x, x, x, x]); }));
        println!("poseidon6 {:?}/op", best(&mut || for _ in 0..n { acc = poseidon::poseidon6(&[acc, x, x, x, x, x]); }));
        println!("poseidon2 {:?}/op {}", best(&mut || for _ in 0..n { acc = poseidon::poseidon2(&[acc, x]); }), acc.is_zero());
        let b8 = c.base_table[1];
        let t = Instant::now();
        let mut p = b8;
        for _ in 0..n * 10 {
            p = add(c, &p, &b8);
        }
        println!("add {:?}/op {}", t.elapsed() / (n * 10), is_identity(&p));
        let t = Instant::now();
        let mut y = x;
        for _ in 0..n {
            y = y.sqrt().unwrap_or(y) + Fr::from(1u64);
        }
        println!("sqrt {:?}/op", t.elapsed() / n);
        let t = Instant::now();
        for _ in 0..n {
            y = y.inverse().unwrap_or(y) + Fr::from(1u64);
        }
        println!("inverse {:?}/op", t.elapsed() / n);
        let t = Instant::now();
        for _ in 0..n * 100 {
            y *= x;
        }
        println!("mul {:?}/op {}", t.elapsed() / (n * 100), y.is_zero());
    }
}
