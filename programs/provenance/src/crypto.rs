//! The three computations `submit_batch` trusts: the public-input hash the circuit exposes, the
//! Groth16 check, and the hash chain of batches. Pure functions, so tests and the off-chain
//! auditor spec can be checked against them directly.
use anchor_lang::solana_program::hash::hashv;
use groth16_solana::groth16::{Groth16Verifier, Groth16Verifyingkey};
use solana_poseidon::{Endianness, Parameters};

use crate::constants::BATCH_CHAIN_DOMAIN;
use crate::errors::ProvenanceError;

/// Order of the BN254 scalar field, big-endian.
pub const BN254_SCALAR_MODULUS_BE: [u8; 32] = [
    0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58,
    0x5d, 0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9, 0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00,
    0x00, 0x01,
];

/// Whether a 32-byte big-endian integer is a canonical BN254 scalar (< modulus). Non-canonical
/// encodings would give two byte strings for one field element, hence two chain entries for
/// one proven statement.
pub fn is_canonical_field_element(x: &[u8; 32]) -> bool {
    // Big-endian byte arrays compare like the integers they encode.
    x < &BN254_SCALAR_MODULUS_BE
}

fn be32_from_u64(x: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[24..].copy_from_slice(&x.to_be_bytes());
    out
}

/// `Poseidon(registryRoot, batchRoot, count, minTs, maxTs)` (circomlib parameters, BN254,
/// big-endian): the single public signal of the batch circuit. Uses the `sol_poseidon` syscall
/// on-chain and light-poseidon (circom-compatible) on the host.
pub fn public_hash(
    registry_root: &[u8; 32],
    batch_root: &[u8; 32],
    count: u32,
    min_ts: u64,
    max_ts: u64,
) -> Result<[u8; 32], ProvenanceError> {
    if !is_canonical_field_element(registry_root) || !is_canonical_field_element(batch_root) {
        return Err(ProvenanceError::NonCanonicalFieldElement);
    }
    let count = be32_from_u64(u64::from(count));
    let min_ts = be32_from_u64(min_ts);
    let max_ts = be32_from_u64(max_ts);
    solana_poseidon::hashv(
        Parameters::Bn254X5,
        Endianness::BigEndian,
        &[&registry_root[..], &batch_root[..], &count[..], &min_ts[..], &max_ts[..]],
    )
    .map(|h| h.to_bytes())
    .map_err(|_| ProvenanceError::PoseidonFailed)
}

/// Checks a Groth16 proof with one public input. `proof_a` must already be negated (see
/// `client-sdk/src/groth16-layout.ts`). Any failure — malformed points included — is one error: the
/// alt_bn128 syscalls do not tell them apart reliably.
pub fn verify_proof(
    proof_a: &[u8; 64],
    proof_b: &[u8; 128],
    proof_c: &[u8; 64],
    public_input: &[u8; 32],
    vk: &Groth16Verifyingkey,
) -> Result<(), ProvenanceError> {
    let inputs = [*public_input];
    let mut verifier = Groth16Verifier::<1>::new(proof_a, proof_b, proof_c, &inputs, vk)
        .map_err(|_| ProvenanceError::ProofVerificationFailed)?;
    verifier
        .verify()
        .map_err(|_| ProvenanceError::ProofVerificationFailed)
}

/// `sha256("provenance.batch.v1" || prev_head || index u64 BE || batch_root || registry_root ||
/// count u32 BE || min_ts u64 BE || max_ts u64 BE)`. Auditors recompute exactly this.
pub fn next_chain_head(
    prev_head: &[u8; 32],
    index: u64,
    batch_root: &[u8; 32],
    registry_root: &[u8; 32],
    count: u32,
    min_ts: u64,
    max_ts: u64,
) -> [u8; 32] {
    hashv(&[
        BATCH_CHAIN_DOMAIN,
        prev_head,
        &index.to_be_bytes(),
        batch_root,
        registry_root,
        &count.to_be_bytes(),
        &min_ts.to_be_bytes(),
        &max_ts.to_be_bytes(),
    ])
    .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_is_not_canonical_but_modulus_minus_one_is() {
        let mut below = BN254_SCALAR_MODULUS_BE;
        below[31] -= 1;
        assert!(is_canonical_field_element(&below));
        assert!(!is_canonical_field_element(&BN254_SCALAR_MODULUS_BE));
        assert!(!is_canonical_field_element(&[0xff; 32]));
        assert!(is_canonical_field_element(&[0; 32]));
    }

    #[test]
    fn public_hash_refuses_non_canonical_roots() {
        let ok = [0u8; 32];
        assert!(matches!(
            public_hash(&BN254_SCALAR_MODULUS_BE, &ok, 1, 0, 0),
            Err(ProvenanceError::NonCanonicalFieldElement)
        ));
        assert!(matches!(
            public_hash(&ok, &BN254_SCALAR_MODULUS_BE, 1, 0, 0),
            Err(ProvenanceError::NonCanonicalFieldElement)
        ));
    }

    #[test]
    fn poseidon_matches_circomlib() {
        // circomlibjs: poseidon([1, 2]) =
        // 7853200120776062878684798364095072458815029376092732009249414926327459813530
        let mut one = [0u8; 32];
        one[31] = 1;
        let mut two = [0u8; 32];
        two[31] = 2;
        let h = solana_poseidon::hashv(Parameters::Bn254X5, Endianness::BigEndian, &[&one, &two])
            .unwrap()
            .to_bytes();
        let expected = "115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a";
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }
}
