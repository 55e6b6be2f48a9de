/**
 * The verifying-key half of scripts/gen-onchain.ts: programs/provenance/src/verifying_key.rs
 * from circuits/circuits.json and <keysDir>/<name>.vk.json. Kept apart so the decision "which
 * key may a cluster build carry" is testable (tests/gen-onchain.test.ts).
 *
 * A circuit's key is compiled in unconditionally only when <keysDir>/<name>.ceremony.json
 * exists AND checks (`checkAttestedKey`: the attestation's schema, kind "ceremony", the
 * sha256 of the vk file it attests equal to the vk file compiled, a vk marked "ceremony" and
 * never "insecure-dev"). An attestation that does not check is an error, never a silent
 * fallback. Every other key sits behind the cargo feature `insecure-dev-keys`, and the
 * generated file refuses that feature in an SBF build unless `devnet-demo` is on too.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type CircuitConfig, loadCircuitConfigs } from "@provenance/circuits";
import { type SnarkjsVerifyingKey, verifyingKeyToSolana } from "@provenance/prover";
import { checkAttestedKey, sha256Hex } from "@provenance/trusted-setup/attestation";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PROGRAM_DIR = path.join(ROOT, "programs", "provenance");

/**
 * The guard against a cluster build carrying the insecure keys (security review L9): on the
 * Solana target, `insecure-dev-keys` without `devnet-demo` does not compile. Host builds (native
 * tests, the localnet, a `cargo build --workspace` that unifies localnet's feature) are unaffected.
 */
export const SBF_GUARD_CFG = `#[cfg(all(target_os = "solana", feature = "insecure-dev-keys", not(feature = "devnet-demo")))]`;
export const SBF_GUARD = `// A cluster build must not carry the INSECURE keys below. Cargo unifies features across the
// packages of one build, so a build that also selects provenance-localnet (which enables
// "insecure-dev-keys" for its host build) would silently add them: on the Solana target that
// is refused unless the deliberately named feature "devnet-demo" is on (docs/on-chain.md).
${SBF_GUARD_CFG}
compile_error!(
    "provenance: this SBF build has the cargo feature \\"insecure-dev-keys\\": its test/dev verifying keys come from a PUBLIC setup and anyone can forge proofs against them. For a real cluster build the program alone, without that feature (\`anchor build\`, or \`cargo build-sbf --manifest-path programs/provenance/Cargo.toml\`; not a workspace build that also selects provenance-localnet). For a localnet/devnet demo, enable the feature \\"devnet-demo\\" deliberately (\`anchor build -- --features devnet-demo\`)."
);
`;

/** A configuration's family and shape (circuits.json; a configuration without them is a family of one, shape 0). */
export function familyOf(config: CircuitConfig): { family: string; shape: number } {
  const c = config as CircuitConfig & { family?: string; shape?: number };
  return { family: c.family ?? c.name, shape: c.shape ?? 0 };
}

/** The shapes a circuit family may have (0: chunk shape, 1: single shape; docs/circuit-v2.md). */
export const CIRCUIT_SHAPES = 2;

/**
 * The circuits the program knows: every configuration of circuits.json whose family is a
 * variant of `enum Circuit` (state/circuit.rs, by lowercase name), ordered by family then
 * shape; other configurations there (benchmarks) are never deployed. The shapes of a family
 * must share its batch capacity (the program bounds `count` by it) and registry depth.
 */
export function onChainCircuits(): CircuitConfig[] {
  const source = readFileSync(path.join(PROGRAM_DIR, "src", "state", "circuit.rs"), "utf8");
  const body = /pub enum Circuit \{([^}]*)\}/.exec(source)?.[1];
  if (!body) throw new Error("programs/provenance/src/state/circuit.rs: enum Circuit not found");
  const variants = body
    .split("\n")
    .map((l) => l.trim().replace(/,$/, ""))
    .filter((l) => /^[A-Z]\w*$/.test(l));
  const configs = Object.values(loadCircuitConfigs());
  return variants.flatMap((variant) => {
    const family = variant.toLowerCase();
    const members = configs.filter((c) => familyOf(c).family === family).sort((a, b) => familyOf(a).shape - familyOf(b).shape);
    if (!members.some((c) => c.name === family)) throw new Error(`circuits/circuits.json has no "${family}" for Circuit::${variant}`);
    for (const c of members) {
      const { shape } = familyOf(c);
      if (!Number.isInteger(shape) || shape < 0 || shape >= CIRCUIT_SHAPES) throw new Error(`circuits/circuits.json: ${c.name}.shape must be 0 or 1`);
      if (members.filter((m) => familyOf(m).shape === shape).length > 1) throw new Error(`circuits/circuits.json: family "${family}" has two configurations of shape ${shape}`);
      if (c.batchLevels !== members[0]!.batchLevels || c.registryLevels !== members[0]!.registryLevels) {
        throw new Error(`circuits/circuits.json: ${c.name} must have the batchLevels and registryLevels of the rest of family "${family}"`);
      }
    }
    return members;
  });
}

/** The text of programs/provenance/src/verifying_key.rs for the keys in `keysDir`. Throws on a key it must refuse. */
export function verifyingKeyRust(keysDir: string): string {
  const configs = onChainCircuits();
  const header: string[] = [];
  const statics: string[] = [];
  const arms: string[] = [];
  for (const config of configs) {
    const { family, shape } = familyOf(config);
    const variant = family.charAt(0).toUpperCase() + family.slice(1);
    const capacity = 2 ** config.batchLevels;
    const vkFile = path.join(keysDir, `${config.name}.vk.json`);
    if (!existsSync(vkFile)) {
      header.push(`//! - ${config.name} (family ${family}, shape ${shape}): batch capacity ${capacity}; no verifying key yet (circuits/keys/${config.name}.vk.json is missing).`);
      continue;
    }
    const raw = readFileSync(vkFile);
    const vk = verifyingKeyToSolana(JSON.parse(raw.toString("utf8")) as SnarkjsVerifyingKey);
    if (vk.nPublic !== 1) {
      throw new Error(`${vkFile}: the batch circuit has exactly one public signal, the key says nPublic = ${vk.nPublic}`);
    }
    const attestationFile = path.join(keysDir, `${config.name}.ceremony.json`);
    // Present means "this is a ceremony key": it must check, or the generation fails.
    const secure = existsSync(attestationFile);
    if (secure) checkAttestedKey({ circuit: config.name, vkFile, attestationFile });
    const digest = sha256Hex(raw);
    header.push(
      `//! - ${config.name} (family ${family}, shape ${shape}): batch capacity ${capacity}; key sha256(${config.name}.vk.json) = ${digest}` +
        (secure ? " (ceremony)." : ` — INSECURE setup, only with feature "insecure-dev-keys".`),
    );
    const gate = secure ? "" : `#[cfg(feature = "insecure-dev-keys")]\n`;
    const name = config.name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
    statics.push(
      `${gate}static ${name}: CircuitKey = CircuitKey {
    batch_capacity: ${capacity},
    vk: Groth16Verifyingkey {
        nr_pubinputs: ${vk.nPublic},
        vk_alpha_g1: ${rustBytes(vk.alphaG1, 8)},
        vk_beta_g2: ${rustBytes(vk.betaG2, 8)},
        vk_gamme_g2: ${rustBytes(vk.gammaG2, 8)},
        vk_delta_g2: ${rustBytes(vk.deltaG2, 8)},
        vk_ic: &[
${vk.ic.map((p) => `            ${rustBytes(p, 12)},`).join("\n")}
        ],
    },
};
`,
    );
    arms.push(`        ${gate.replace("\n", "\n        ")}(Circuit::${variant}, ${shape}) => Some(&${name}),`);
  }
  return `//! generated — do not edit. Regenerate with \`npm run gen:onchain\` (scripts/gen-onchain.ts)
//! from circuits/circuits.json and circuits/keys/<name>.vk.json.
//!
//! Verifying keys in the byte layout of groth16-solana (client-sdk/src/groth16-layout.ts). A key is
//! compiled in unconditionally only if circuits/keys/<name>.ceremony.json attests a ceremony
//! (and checks against the key); every other key needs the cargo feature "insecure-dev-keys"
//! (never for a real cluster; an SBF build refuses it without "devnet-demo").
${header.join("\n")}
use groth16_solana::groth16::Groth16Verifyingkey;

use crate::state::Circuit;

${SBF_GUARD}
pub struct CircuitKey {
    /// 2^batchLevels records.
    pub batch_capacity: u32,
    pub vk: Groth16Verifyingkey<'static>,
}

${statics.join("\n")}
/// The shapes of a circuit family: 0 is the chunk shape, 1 the single shape (docs/circuit-v2.md).
pub const CIRCUIT_SHAPES: u8 = ${CIRCUIT_SHAPES};

/// The key of \`shape\` of \`circuit\`'s family, if this build carries one.
pub fn circuit_key(circuit: Circuit, shape: u8) -> Option<&'static CircuitKey> {
    #[allow(unreachable_patterns)]
    match (circuit, shape) {
${arms.join("\n")}
        _ => None,
    }
}
`;
}

function rustBytes(bytes: Uint8Array, indent: number): string {
  const pad = " ".repeat(indent + 4);
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    lines.push(pad + Array.from(bytes.subarray(i, i + 16), (b) => `0x${b.toString(16).padStart(2, "0")}`).join(", ") + ",");
  }
  return `[\n${lines.join("\n")}\n${" ".repeat(indent)}]`;
}
