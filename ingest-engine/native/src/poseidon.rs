//! circomlib Poseidon for 2, 5 and 6 inputs in circomlibjs's optimized form (sparse partial
//! rounds, from filecoin's neptune): the same function as `Poseidon([...])` in circomlibjs and
//! in the circuit, about half the multiplications of the textbook rounds.
//!
//! - 2 inputs (t = 3): a record's nodeId = Poseidon(Ax, Ay) and leaf = Poseidon(message, nodeId);
//! - 3 inputs (t = 4): a chunk digest = Poseidon(DOMAIN_CHUNK_V1, n, chunkRoot);
//! - 5 inputs (t = 6): the EdDSA challenge h = Poseidon(R8x, R8y, Ax, Ay, message);
//! - 6 inputs (t = 7): a record's message.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInt, Field, PrimeField, Zero};

#[path = "poseidon_constants.rs"]
mod constants;

const ROUNDS_F: usize = 8;

struct Params {
    rounds_p: usize,
    c: Vec<Fr>,
    s: Vec<Fr>,
    m: Vec<Fr>,
    p: Vec<Fr>,
}

fn field(limbs: &[[u64; 4]]) -> Vec<Fr> {
    limbs
        .iter()
        .map(|l| Fr::from_bigint(BigInt(*l)).expect("Poseidon constant below the modulus"))
        .collect()
}

fn make(t: usize, c: &[[u64; 4]], s: &[[u64; 4]], m: &[[u64; 4]], p: &[[u64; 4]]) -> Params {
    let rounds_p = c.len() - ROUNDS_F * t;
    assert_eq!(s.len(), (2 * t - 1) * rounds_p, "Poseidon sparse matrices for t = {t}");
    assert_eq!(m.len(), t * t);
    assert_eq!(p.len(), t * t);
    Params { rounds_p, c: field(c), s: field(s), m: field(m), p: field(p) }
}

fn params3() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| make(3, &constants::C3, &constants::S3, &constants::M3, &constants::P3))
}

fn params4() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| make(4, &constants::C4, &constants::S4, &constants::M4, &constants::P4))
}

fn params6() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| make(6, &constants::C6, &constants::S6, &constants::M6, &constants::P6))
}

fn params7() -> &'static Params {
    static P: OnceLock<Params> = OnceLock::new();
    P.get_or_init(|| make(7, &constants::C7, &constants::S7, &constants::M7, &constants::P7))
}

#[inline(always)]
fn pow5(a: Fr) -> Fr {
    let a2 = a.square();
    a2.square() * a
}

/// Row i of `m` (stored M[j][i]) as an array.
#[inline(always)]
fn column<const T: usize>(m: &[Fr], i: usize) -> [Fr; T] {
    let mut out = [Fr::zero(); T];
    for (j, o) in out.iter_mut().enumerate() {
        *o = m[j * T + i];
    }
    out
}

/// Matrices rearranged once per width into contiguous rows (one dot product per output).
struct Rows<const T: usize> {
    m: Vec<[Fr; T]>,
    p: Vec<[Fr; T]>,
    /// Per partial round: the sparse matrix's first row.
    s_row: Vec<[Fr; T]>,
}

fn rows<const T: usize>(prm: &Params) -> Rows<T> {
    let s_row = (0..prm.rounds_p)
        .map(|r| {
            let row = &prm.s[(2 * T - 1) * r..];
            let mut out = [Fr::zero(); T];
            out.copy_from_slice(&row[..T]);
            out
        })
        .collect();
    Rows { m: (0..T).map(|i| column::<T>(&prm.m, i)).collect(), p: (0..T).map(|i| column::<T>(&prm.p, i)).collect(), s_row }
}

/// sum a[j]·b[j], with one Montgomery reduction per limb for the whole sum (ark-ff's
/// `sum_of_products`, valid for BN254's 254-bit modulus) instead of one per product: ~15% off
/// every Poseidon (`cargo test --release -- --ignored --nocapture`).
#[inline(always)]
fn dot<const T: usize>(a: &[Fr; T], b: &[Fr; T]) -> Fr {
    Fr::sum_of_products(a, b)
}

#[inline(always)]
fn mix<const T: usize>(state: &[Fr; T], rows: &[[Fr; T]]) -> [Fr; T] {
    let mut out = [Fr::zero(); T];
    for (o, row) in out.iter_mut().zip(rows) {
        *o = dot(row, state);
    }
    out
}

/// Poseidon over T - 1 inputs (state[0] = 0 is the capacity element).
fn hash<const T: usize>(prm: &Params, rows: &Rows<T>, inputs: &[Fr]) -> Fr {
    debug_assert_eq!(inputs.len(), T - 1);
    let c = &prm.c;
    let rounds_p = prm.rounds_p;
    let mut state = [Fr::zero(); T];
    state[1..].copy_from_slice(inputs);
    for (i, s) in state.iter_mut().enumerate() {
        *s += c[i];
    }
    for r in 0..ROUNDS_F / 2 - 1 {
        for (i, s) in state.iter_mut().enumerate() {
            *s = pow5(*s) + c[(r + 1) * T + i];
        }
        state = mix(&state, &rows.m);
    }
    for (i, s) in state.iter_mut().enumerate() {
        *s = pow5(*s) + c[(ROUNDS_F / 2) * T + i];
    }
    state = mix(&state, &rows.p);
    for r in 0..rounds_p {
        state[0] = pow5(state[0]) + c[(ROUNDS_F / 2 + 1) * T + r];
        let row = &prm.s[(2 * T - 1) * r + T..(2 * T - 1) * (r + 1)];
        let s0 = dot(&rows.s_row[r], &state);
        for k in 1..T {
            let add = state[0] * row[k - 1];
            state[k] += add;
        }
        state[0] = s0;
    }
    for r in 0..ROUNDS_F / 2 - 1 {
        for (i, s) in state.iter_mut().enumerate() {
            *s = pow5(*s) + c[(ROUNDS_F / 2 + 1) * T + rounds_p + r * T + i];
        }
        state = mix(&state, &rows.m);
    }
    for s in state.iter_mut() {
        *s = pow5(*s);
    }
    // Only the first output is needed: one row of the last mix.
    dot(&rows.m[0], &state)
}

pub fn poseidon2(inputs: &[Fr; 2]) -> Fr {
    static R: OnceLock<Rows<3>> = OnceLock::new();
    let prm = params3();
    hash::<3>(prm, R.get_or_init(|| rows(prm)), inputs)
}

pub fn poseidon3(inputs: &[Fr; 3]) -> Fr {
    static R: OnceLock<Rows<4>> = OnceLock::new();
    let prm = params4();
    hash::<4>(prm, R.get_or_init(|| rows(prm)), inputs)
}

pub fn poseidon5(inputs: &[Fr; 5]) -> Fr {
    static R: OnceLock<Rows<6>> = OnceLock::new();
    let prm = params6();
    hash::<6>(prm, R.get_or_init(|| rows(prm)), inputs)
}

pub fn poseidon6(inputs: &[Fr; 6]) -> Fr {
    static R: OnceLock<Rows<7>> = OnceLock::new();
    let prm = params7();
    hash::<7>(prm, R.get_or_init(|| rows(prm)), inputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use std::str::FromStr;

    fn inputs(x: Fr, n: usize) -> Vec<Fr> {
        (0..n).map(|i| x.pow([i as u64 + 1]) + Fr::from(i as u64)).collect()
    }

    #[test]
    fn agrees_with_light_poseidon_circom() {
        let mut r2 = Poseidon::<Fr>::new_circom(2).unwrap();
        let mut r3 = Poseidon::<Fr>::new_circom(3).unwrap();
        let mut r5 = Poseidon::<Fr>::new_circom(5).unwrap();
        let mut r6 = Poseidon::<Fr>::new_circom(6).unwrap();
        let mut x = Fr::from(7u64);
        for _ in 0..50 {
            let i2 = inputs(x, 2);
            assert_eq!(poseidon2(&[i2[0], i2[1]]), r2.hash(&i2).unwrap());
            let i3 = inputs(x, 3);
            assert_eq!(poseidon3(&[i3[0], i3[1], i3[2]]), r3.hash(&i3).unwrap());
            let i5 = inputs(x, 5);
            assert_eq!(poseidon5(&[i5[0], i5[1], i5[2], i5[3], i5[4]]), r5.hash(&i5).unwrap());
            let i6 = inputs(x, 6);
            assert_eq!(poseidon6(&[i6[0], i6[1], i6[2], i6[3], i6[4], i6[5]]), r6.hash(&i6).unwrap());
            x = x.square() + Fr::from(3u64);
        }
    }

    #[test]
    fn known_values_from_circomlibjs() {
        // circomlibjs: poseidon([1, 2]), poseidon([1, 2, 3, 4, 5]), poseidon([1, 2, 3, 4, 5, 6])
        let f = |s: &str| Fr::from_str(s).unwrap();
        assert_eq!(
            poseidon2(&[1u64, 2].map(Fr::from)),
            f("7853200120776062878684798364095072458815029376092732009249414926327459813530")
        );
        assert_eq!(
            poseidon3(&[1u64, 2, 3].map(Fr::from)),
            f("6542985608222806190361240322586112750744169038454362455181422643027100751666")
        );
        assert_eq!(
            poseidon5(&[1u64, 2, 3, 4, 5].map(Fr::from)),
            f("6183221330272524995739186171720101788151706631170188140075976616310159254464")
        );
        assert_eq!(
            poseidon6(&[1u64, 2, 3, 4, 5, 6].map(Fr::from)),
            f("20400040500897583745843009878988256314335038853985262692600694741116813247201")
        );
    }
}
