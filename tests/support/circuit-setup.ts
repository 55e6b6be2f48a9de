/** Test helper: compile a circuit configuration and run (or reuse) its cached dev setup. */
import { compileCircuit } from "@provenance/circuits";
import { runDevSetup, type DevSetupResult } from "@provenance/trusted-setup";

export async function ensureSetup(name: string): Promise<DevSetupResult> {
  const compiled = await compileCircuit(name);
  return runDevSetup({ name, r1csFile: compiled.r1cs });
}
