/**
 * Test helper: compile a circuit configuration and run (or reuse) its cached dev setup. Given a
 * family's name (`test`, `dev`: what a sequencer is configured with), it also sets up the
 * family's other shape, which the sequencer proves batches of records signed alone with.
 */
import { circuitConfig, compileCircuit, familyConfigs } from "@provenance/circuits";
import { runDevSetup, type DevSetupResult } from "@provenance/trusted-setup";

async function setupOne(name: string): Promise<DevSetupResult> {
  const compiled = await compileCircuit(name);
  return runDevSetup({ name, r1csFile: compiled.r1cs });
}

export async function ensureSetup(name: string): Promise<DevSetupResult> {
  const config = circuitConfig(name);
  if (config.family === name) {
    for (const member of familyConfigs(name)) if (member.name !== name) await setupOne(member.name);
  }
  return setupOne(name);
}
