//! Native Groth16 proving and verification for the provenance prover, on arkworks.
//!
//! - `NativeProver.load(zkeyPath)` reads a snarkjs `.zkey` once (proving key and the circuit's
//!   constraint matrices) and keeps it in memory;
//! - `prover.prove(wtns)` takes the witness file snarkjs's `wtns.calculate` writes (the circom
//!   WASM witness, `.wtns` format) and proves on the libuv thread pool, using every core through
//!   rayon, with circom's QAP reduction (`CircomReduction`), so the proof is an ordinary Groth16
//!   proof under the verifying key snarkjs exports for the same zkey;
//! - `verify(vkJson, proofJson, publicSignals)` checks a proof under a snarkjs verifying key.
//!
//! Inputs cross from JavaScript, so everything is checked and every failure is an `Error` with a
//! message, never a panic across the boundary (panics inside arkworks are caught and reported).

use std::fs::File;
use std::io::{BufReader, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::str::FromStr;
use std::sync::Arc;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_groth16::{prepare_verifying_key, Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::r1cs::ConstraintMatrices;
use circom_prover::prover::ark_circom::{read_zkey, CircomReduction};
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Error, Result, Status, Task};
use napi_derive::napi;
use serde_json::{json, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

fn failure(msg: impl Into<String>) -> Error {
    Error::new(Status::GenericFailure, msg.into())
}

fn panic_text(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

// --- .zkey ----------------------------------------------------------------------------------

struct Loaded {
    pk: ProvingKey<Bn254>,
    matrices: ConstraintMatrices<Fr>,
}

/// The zkey's magic, version and the prime of its Groth16 header (section 2), checked before
/// arkworks reads it, so a file of another kind or curve gets a message instead of garbage.
fn check_zkey_header(path: &str) -> Result<()> {
    let mut f = File::open(path).map_err(|e| invalid(format!("cannot open the proving key {path}: {e}")))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut head = [0u8; 12];
    f.read_exact(&mut head).map_err(|_| invalid(format!("{path} is not a snarkjs zkey (too short: {len} bytes)")))?;
    if &head[0..4] != b"zkey" {
        return Err(invalid(format!("{path} is not a snarkjs zkey (magic {:?}, expected \"zkey\")", String::from_utf8_lossy(&head[0..4]))));
    }
    let mut data = Vec::new();
    f.read_to_end(&mut data).map_err(|e| invalid(format!("cannot read {path}: {e}")))?;
    // Sections: id u32, size u64, bytes. Section 1 holds the protocol (1 = Groth16), section 2
    // starts with n8q u32 and q (the base field), then n8r u32 and r (the scalar field).
    let n_sections = u32::from_le_bytes(head[8..12].try_into().unwrap()) as usize;
    let mut pos = 0usize;
    let mut protocol = None;
    let mut prime_ok = None;
    for _ in 0..n_sections {
        if pos + 12 > data.len() {
            return Err(invalid(format!("{path} is truncated: section table ends at byte {} of {len}", pos + 12)));
        }
        let id = u32::from_le_bytes(data[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(data[pos + 4..pos + 12].try_into().unwrap()) as usize;
        let start = pos + 12;
        if start.checked_add(size).map_or(true, |end| end > data.len()) {
            return Err(invalid(format!("{path} is truncated: section {id} needs {size} bytes at byte {}, the file has {len}", start + 12)));
        }
        let body = &data[start..start + size];
        if id == 1 && body.len() >= 4 {
            protocol = Some(u32::from_le_bytes(body[0..4].try_into().unwrap()));
        }
        if id == 2 && body.len() >= 4 {
            let n8q = u32::from_le_bytes(body[0..4].try_into().unwrap()) as usize;
            let q = body.get(4..4 + n8q).map(|b| b.to_vec());
            let fq_modulus = Fq::MODULUS.to_bytes_le();
            prime_ok = Some(n8q == 32 && q.as_deref() == Some(&fq_modulus[..]));
        }
        pos = start + size;
    }
    match protocol {
        Some(1) => {}
        Some(p) => return Err(invalid(format!("{path} is a zkey for protocol {p}, not Groth16 (1)"))),
        None => return Err(invalid(format!("{path} has no header section"))),
    }
    if prime_ok != Some(true) {
        return Err(invalid(format!("{path} is not a zkey over BN254 (the curve the circuits and the program use)")));
    }
    Ok(())
}

fn load_zkey(path: &str) -> Result<Loaded> {
    check_zkey_header(path)?;
    let file = File::open(path).map_err(|e| invalid(format!("cannot open the proving key {path}: {e}")))?;
    let mut reader = BufReader::new(file);
    let read = catch_unwind(AssertUnwindSafe(|| read_zkey::<_, Bn254>(&mut reader)));
    match read {
        Ok(Ok((pk, matrices))) => Ok(Loaded { pk, matrices }),
        Ok(Err(e)) => Err(invalid(format!("cannot read the proving key {path}: {e}"))),
        Err(p) => Err(invalid(format!("cannot read the proving key {path}: {}", panic_text(p)))),
    }
}

// --- .wtns ----------------------------------------------------------------------------------

/// The witness of a `.wtns` file (snarkjs / circom format, version 2): every value checked to be
/// a canonical element of BN254's scalar field.
fn parse_wtns(bytes: &[u8]) -> Result<Vec<Fr>> {
    let bad = |m: &str| invalid(format!("witness: {m}"));
    if bytes.len() < 12 || &bytes[0..4] != b"wtns" {
        return Err(bad("not a .wtns file (expected the \"wtns\" magic)"));
    }
    let n_sections = u32::from_le_bytes(bytes[8..12].try_into().unwrap()) as usize;
    let mut pos = 12usize;
    let mut header: Option<(usize, usize)> = None; // (n8, nWitness)
    let mut values: Option<&[u8]> = None;
    for _ in 0..n_sections {
        if pos + 12 > bytes.len() {
            return Err(bad("truncated section table"));
        }
        let id = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(bytes[pos + 4..pos + 12].try_into().unwrap()) as usize;
        let start = pos + 12;
        let end = start.checked_add(size).filter(|e| *e <= bytes.len()).ok_or_else(|| bad("truncated section"))?;
        let body = &bytes[start..end];
        match id {
            1 => {
                if body.len() < 4 {
                    return Err(bad("short header"));
                }
                let n8 = u32::from_le_bytes(body[0..4].try_into().unwrap()) as usize;
                if n8 != 32 || body.len() < 4 + n8 + 4 {
                    return Err(bad("field size is not 32 bytes"));
                }
                if body[4..4 + n8] != Fr::MODULUS.to_bytes_le()[..] {
                    return Err(bad("its prime is not BN254's scalar field"));
                }
                let n = u32::from_le_bytes(body[4 + n8..8 + n8].try_into().unwrap()) as usize;
                header = Some((n8, n));
            }
            2 => values = Some(body),
            _ => {}
        }
        pos = end;
    }
    let (n8, n) = header.ok_or_else(|| bad("no header section"))?;
    let values = values.ok_or_else(|| bad("no values section"))?;
    if values.len() != n8 * n {
        return Err(bad(&format!("{} bytes of values for {n} elements", values.len())));
    }
    let modulus = Fr::MODULUS;
    let mut out = Vec::with_capacity(n);
    for (i, chunk) in values.chunks_exact(n8).enumerate() {
        let mut limbs = [0u64; 4];
        for (j, limb) in limbs.iter_mut().enumerate() {
            *limb = u64::from_le_bytes(chunk[8 * j..8 * j + 8].try_into().unwrap());
        }
        let big = ark_ff::BigInt::<4>(limbs);
        if big >= modulus {
            return Err(bad(&format!("value {i} is not below the field modulus")));
        }
        out.push(Fr::from_bigint(big).ok_or_else(|| bad(&format!("value {i} is not a field element")))?);
    }
    Ok(out)
}

// --- snarkjs JSON ---------------------------------------------------------------------------

fn dec(v: &Value, what: &str) -> Result<ark_ff::BigInt<4>> {
    let s = v.as_str().ok_or_else(|| invalid(format!("{what} must be a decimal string")))?;
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!("{what} must be a decimal string, got {s:?}")));
    }
    ark_ff::BigInt::<4>::from_str(s).map_err(|_| invalid(format!("{what} does not fit 256 bits")))
}

fn fq(v: &Value, what: &str) -> Result<Option<Fq>> {
    Ok(Fq::from_bigint(dec(v, what)?))
}

/// A G1 point in snarkjs's projective JSON `[x, y, z]` with z = 1 (or `[x, y]`); None when a
/// coordinate is not canonical or the point is not on the curve or not in the subgroup.
fn g1(v: &Value, what: &str) -> Result<Option<G1Affine>> {
    let a = v.as_array().filter(|a| a.len() == 2 || a.len() == 3).ok_or_else(|| invalid(format!("{what} must be [x, y, \"1\"]")))?;
    if a.len() == 3 && a[2].as_str() != Some("1") {
        return Ok(None);
    }
    let (Some(x), Some(y)) = (fq(&a[0], what)?, fq(&a[1], what)?) else { return Ok(None) };
    let p = G1Affine::new_unchecked(x, y);
    Ok((p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() && !p.is_zero()).then_some(p))
}

/// A G2 point as snarkjs writes it: `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`.
fn g2(v: &Value, what: &str) -> Result<Option<G2Affine>> {
    let a = v.as_array().filter(|a| a.len() == 2 || a.len() == 3).ok_or_else(|| invalid(format!("{what} must be [[x0, x1], [y0, y1], [\"1\", \"0\"]]")))?;
    let pair = |v: &Value| -> Result<Option<Fq2>> {
        let p = v.as_array().filter(|p| p.len() == 2).ok_or_else(|| invalid(format!("{what}: each coordinate must be [c0, c1]")))?;
        Ok(match (fq(&p[0], what)?, fq(&p[1], what)?) {
            (Some(c0), Some(c1)) => Some(Fq2::new(c0, c1)),
            _ => None,
        })
    };
    if a.len() == 3 {
        let z = a[2].as_array();
        if z.map(|z| z.len() == 2 && z[0].as_str() == Some("1") && z[1].as_str() == Some("0")) != Some(true) {
            return Ok(None);
        }
    }
    let (Some(x), Some(y)) = (pair(&a[0])?, pair(&a[1])?) else { return Ok(None) };
    let p = G2Affine::new_unchecked(x, y);
    Ok((p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() && !p.is_zero()).then_some(p))
}

fn fq_dec(x: &Fq) -> String {
    x.into_bigint().to_string()
}

fn proof_json(p: &Proof<Bn254>, public: &[Fr]) -> String {
    let g1j = |q: &G1Affine| json!([fq_dec(&q.x), fq_dec(&q.y), "1"]);
    let g2j = |q: &G2Affine| json!([[fq_dec(&q.x.c0), fq_dec(&q.x.c1)], [fq_dec(&q.y.c0), fq_dec(&q.y.c1)], ["1", "0"]]);
    json!({
        "proof": { "pi_a": g1j(&p.a), "pi_b": g2j(&p.b), "pi_c": g1j(&p.c), "protocol": "groth16", "curve": "bn128" },
        "publicSignals": public.iter().map(|s| s.into_bigint().to_string()).collect::<Vec<_>>(),
    })
    .to_string()
}

// --- the prover -----------------------------------------------------------------------------

/// The circuit's variables (the witness length). ark-circom's zkey reader sets
/// `num_witness_variables = nVars - nPublic`, one more than the private variables, and the
/// prover reads only the first `nVars` values of the assignment.
fn num_variables(m: &ConstraintMatrices<Fr>) -> usize {
    m.num_instance_variables + m.num_witness_variables - 1
}

/// A proving key in memory. One per process: the `dev` key is tens of MB, a prod-sized one
/// hundreds.
#[napi]
pub struct NativeProver {
    key: Arc<Loaded>,
}

#[napi]
impl NativeProver {
    /// Reads a snarkjs `.zkey` (Groth16 over BN254): a missing, truncated or foreign file is an
    /// Error saying so.
    #[napi(factory)]
    pub fn load(zkey_path: String) -> Result<NativeProver> {
        Ok(NativeProver { key: Arc::new(load_zkey(&zkey_path)?) })
    }

    #[napi(getter)]
    pub fn num_constraints(&self) -> u32 {
        self.key.matrices.num_constraints as u32
    }

    /// Public inputs (the circuit's public signals; the batch circuit has one).
    #[napi(getter)]
    pub fn num_public(&self) -> u32 {
        (self.key.matrices.num_instance_variables - 1) as u32
    }

    /// Witness values a `.wtns` for this key holds (1 + public + private).
    #[napi(getter)]
    pub fn num_variables(&self) -> u32 {
        num_variables(&self.key.matrices) as u32
    }

    /// Proves a witness (the bytes of a `.wtns` file) off the event loop; resolves to the JSON
    /// text `{ proof, publicSignals }` in snarkjs's shapes. A witness of another circuit, or a
    /// malformed one, rejects with a message.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn prove(&self, wtns: Buffer) -> AsyncTask<ProveTask> {
        AsyncTask::new(ProveTask { key: self.key.clone(), wtns: wtns.to_vec() })
    }
}

pub struct ProveTask {
    key: Arc<Loaded>,
    wtns: Vec<u8>,
}

impl Task for ProveTask {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let witness = parse_wtns(&self.wtns)?;
        let m = &self.key.matrices;
        let expected = num_variables(m);
        if witness.len() != expected {
            return Err(invalid(format!(
                "witness has {} values, but this proving key's circuit has {expected} variables: the witness is of another circuit, or the zkey does not match the circuit",
                witness.len()
            )));
        }
        if witness[0] != ark_ff::One::one() {
            return Err(invalid("witness: its first value (the constant signal) must be 1"));
        }
        let key = &self.key;
        let result = catch_unwind(AssertUnwindSafe(|| {
            let mut rng = rand::thread_rng();
            let r = Fr::rand(&mut rng);
            let s = Fr::rand(&mut rng);
            Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(
                &key.pk,
                r,
                s,
                &key.matrices,
                key.matrices.num_instance_variables,
                key.matrices.num_constraints,
                &witness,
            )
        }));
        let proof = match result {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => return Err(failure(format!("proving failed: {e}"))),
            Err(p) => return Err(failure(format!("proving failed: {}", panic_text(p)))),
        };
        Ok(proof_json(&proof, &witness[1..m.num_instance_variables]))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

// --- verification ---------------------------------------------------------------------------

fn parse_vk(vk: &Value) -> Result<Option<VerifyingKey<Bn254>>> {
    if vk.get("protocol").and_then(Value::as_str) != Some("groth16") || vk.get("curve").and_then(Value::as_str) != Some("bn128") {
        return Err(invalid("the verifying key must be a snarkjs Groth16 key over bn128"));
    }
    let field = |k: &str| vk.get(k).ok_or_else(|| invalid(format!("the verifying key has no {k}")));
    let ic = field("IC")?.as_array().ok_or_else(|| invalid("the verifying key's IC must be a list"))?;
    let n_public = field("nPublic")?.as_u64().ok_or_else(|| invalid("the verifying key's nPublic must be a number"))? as usize;
    if ic.len() != n_public + 1 {
        return Err(invalid(format!("the verifying key has {} IC points for {n_public} public inputs", ic.len())));
    }
    let (Some(alpha), Some(beta), Some(gamma), Some(delta)) = (
        g1(field("vk_alpha_1")?, "vk_alpha_1")?,
        g2(field("vk_beta_2")?, "vk_beta_2")?,
        g2(field("vk_gamma_2")?, "vk_gamma_2")?,
        g2(field("vk_delta_2")?, "vk_delta_2")?,
    ) else {
        return Ok(None);
    };
    let mut gamma_abc = Vec::with_capacity(ic.len());
    for (i, p) in ic.iter().enumerate() {
        match g1(p, &format!("IC[{i}]"))? {
            Some(p) => gamma_abc.push(p),
            None => return Ok(None),
        }
    }
    Ok(Some(VerifyingKey { alpha_g1: alpha, beta_g2: beta, gamma_g2: gamma, delta_g2: delta, gamma_abc_g1: gamma_abc }))
}

/// Checks a Groth16 proof (snarkjs JSON) with its public signals (decimal strings) under a
/// snarkjs verifying key (JSON). False for a proof that does not verify, including points off
/// the curve or outside the subgroup and non-canonical numbers (a signal ≥ the field order is
/// refused, where snarkjs would reduce it); an Error only for input that is not of the shape.
#[napi]
pub fn verify(vk_json: String, proof_json: String, public_signals: Vec<String>) -> Result<bool> {
    let vk: Value = serde_json::from_str(&vk_json).map_err(|e| invalid(format!("the verifying key is not JSON: {e}")))?;
    let proof: Value = serde_json::from_str(&proof_json).map_err(|e| invalid(format!("the proof is not JSON: {e}")))?;
    let Some(vk) = parse_vk(&vk)? else { return Ok(false) };
    if public_signals.len() + 1 != vk.gamma_abc_g1.len() {
        return Err(invalid(format!("{} public signals for a key with {} public inputs", public_signals.len(), vk.gamma_abc_g1.len() - 1)));
    }
    let get = |k: &str| proof.get(k).ok_or_else(|| invalid(format!("the proof has no {k}")));
    let (Some(a), Some(b), Some(c)) = (g1(get("pi_a")?, "pi_a")?, g2(get("pi_b")?, "pi_b")?, g1(get("pi_c")?, "pi_c")?) else {
        return Ok(false);
    };
    let mut inputs = Vec::with_capacity(public_signals.len());
    for (i, s) in public_signals.iter().enumerate() {
        let big = dec(&Value::String(s.clone()), &format!("public signal {i}"))?;
        match Fr::from_bigint(big) {
            Some(x) => inputs.push(x),
            None => return Ok(false),
        }
    }
    let pvk = prepare_verifying_key(&vk);
    let checked = catch_unwind(AssertUnwindSafe(|| Groth16::<Bn254, CircomReduction>::verify_proof(&pvk, &Proof { a, b, c }, &inputs)));
    match checked {
        Ok(Ok(ok)) => Ok(ok),
        Ok(Err(e)) => Err(failure(format!("verification failed: {e}"))),
        Err(p) => Err(failure(format!("verification failed: {}", panic_text(p)))),
    }
}

/// Threads rayon proves with (the machine's cores unless RAYON_NUM_THREADS says otherwise).
#[napi]
pub fn prover_threads() -> u32 {
    rayon::current_num_threads() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wtns_file(values: &[Fr]) -> Vec<u8> {
        let mut out = b"wtns".to_vec();
        out.extend(2u32.to_le_bytes());
        out.extend(2u32.to_le_bytes());
        out.extend(1u32.to_le_bytes());
        out.extend(40u64.to_le_bytes());
        out.extend(32u32.to_le_bytes());
        out.extend(Fr::MODULUS.to_bytes_le());
        out.extend((values.len() as u32).to_le_bytes());
        out.extend(2u32.to_le_bytes());
        out.extend(((values.len() * 32) as u64).to_le_bytes());
        for v in values {
            out.extend(v.into_bigint().to_bytes_le());
        }
        out
    }

    #[test]
    fn parses_a_witness_and_refuses_damage() {
        let vals = [Fr::from(1u64), Fr::from(42u64), -Fr::from(1u64)];
        let file = wtns_file(&vals);
        assert_eq!(parse_wtns(&file).unwrap(), vals.to_vec());
        assert!(parse_wtns(&file[..file.len() - 1]).is_err());
        assert!(parse_wtns(b"wtnx").is_err());
        let mut big = file.clone();
        let last = big.len() - 32;
        big[last..].copy_from_slice(&Fr::MODULUS.to_bytes_le());
        assert!(parse_wtns(&big).unwrap_err().reason.contains("not below the field modulus"));
    }

    #[test]
    fn refuses_points_off_the_curve() {
        assert!(g1(&json!(["1", "2", "1"]), "p").unwrap().is_some());
        assert!(g1(&json!(["1", "3", "1"]), "p").unwrap().is_none());
        assert!(g1(&json!(["1", "2", "0"]), "p").unwrap().is_none());
        assert!(g1(&json!(["x", "2", "1"]), "p").is_err());
    }
}
