//! circomlib Poseidon for 5 inputs in circomlibjs's optimized form (sparse partial rounds,
//! from filecoin's neptune): the same function as `Poseidon([a, b, c, d, e])` in circomlibjs
//! and in the circuit, about half the multiplications of the textbook rounds.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::{BigInt, Field, PrimeField, Zero};

#[path = "poseidon_constants.rs"]
mod constants;

const T: usize = 6;
const ROUNDS_F: usize = 8;
const ROUNDS_P: usize = 60;

struct Params {
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

fn params() -> &'static Params {
    static PARAMS: OnceLock<Params> = OnceLock::new();
    PARAMS.get_or_init(|| Params {
        c: field(&constants::C),
        s: field(&constants::S),
        m: field(&constants::M),
        p: field(&constants::P),
    })
}

#[inline(always)]
fn pow5(a: Fr) -> Fr {
    let a2 = a.square();
    a2.square() * a
}

#[inline(always)]
fn mix(state: &[Fr; T], m: &[Fr]) -> [Fr; T] {
    let mut out = [Fr::zero(); T];
    for (i, o) in out.iter_mut().enumerate() {
        let mut acc = Fr::zero();
        for (j, s) in state.iter().enumerate() {
            acc += m[j * T + i] * s;
        }
        *o = acc;
    }
    out
}

pub fn poseidon5(inputs: &[Fr; 5]) -> Fr {
    let prm = params();
    let c = &prm.c;
    let mut state = [Fr::zero(), inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]];
    for (i, s) in state.iter_mut().enumerate() {
        *s += c[i];
    }
    for r in 0..ROUNDS_F / 2 - 1 {
        for (i, s) in state.iter_mut().enumerate() {
            *s = pow5(*s) + c[(r + 1) * T + i];
        }
        state = mix(&state, &prm.m);
    }
    for (i, s) in state.iter_mut().enumerate() {
        *s = pow5(*s) + c[(ROUNDS_F / 2) * T + i];
    }
    state = mix(&state, &prm.p);
    for r in 0..ROUNDS_P {
        state[0] = pow5(state[0]) + c[(ROUNDS_F / 2 + 1) * T + r];
        let row = &prm.s[(2 * T - 1) * r..(2 * T - 1) * (r + 1)];
        let mut s0 = Fr::zero();
        for j in 0..T {
            s0 += row[j] * state[j];
        }
        for k in 1..T {
            let add = state[0] * row[T + k - 1];
            state[k] += add;
        }
        state[0] = s0;
    }
    for r in 0..ROUNDS_F / 2 - 1 {
        for (i, s) in state.iter_mut().enumerate() {
            *s = pow5(*s) + c[(ROUNDS_F / 2 + 1) * T + ROUNDS_P + r * T + i];
        }
        state = mix(&state, &prm.m);
    }
    for s in state.iter_mut() {
        *s = pow5(*s);
    }
    mix(&state, &prm.m)[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use light_poseidon::{Poseidon, PoseidonHasher};

    #[test]
    fn agrees_with_light_poseidon_circom() {
        let mut reference = Poseidon::<Fr>::new_circom(5).unwrap();
        let mut x = Fr::from(7u64);
        for _ in 0..50 {
            let inputs = [x, x.square(), x + Fr::from(1u64), -x, x.double()];
            assert_eq!(poseidon5(&inputs), reference.hash(&inputs).unwrap());
            x = x.square() + Fr::from(3u64);
        }
    }

    #[test]
    fn known_value_from_circomlibjs() {
        // circomlibjs: poseidon([1, 2, 3, 4, 5])
        let inputs = [1u64, 2, 3, 4, 5].map(Fr::from);
        let expected = <Fr as std::str::FromStr>::from_str(
            "6183221330272524995739186171720101788151706631170188140075976616310159254464",
        )
        .unwrap();
        assert_eq!(poseidon5(&inputs), expected);
    }
}
