/**
 * The circuit shapes of the deployment's family (docs/circuit-v2.md): a batch is proven by the
 * family's *chunk* shape (regions of C = 2^chunkLevels slots, one signature per region) or its
 * *single* shape (C = 1: every record signed alone, today's layout). Both have the family's
 * batch capacity B and registry depth; each has its own number K of signer slots.
 *
 * The one place the sequencer reads the circuit package's shape fields. Until the circuit
 * branch's fields (`chunkLevels`, `signerSlots`, `family`, `shape`, `familyConfigs(family)`)
 * are in `@provenance/circuits`, they are read defensively: a configuration without them is a
 * single-only family with K = B (exactly today's circuit), which accepts no chunks.
 */
import * as circuits from "@provenance/circuits";
import { CHUNK_MAX } from "@provenance/client-sdk";

/** The byte the program's `submit_batch` takes to name the shape (docs/circuit-v2.md#program). */
export const SHAPE_CHUNK = 0;
export const SHAPE_SINGLE = 1;
export type ShapeCode = typeof SHAPE_CHUNK | typeof SHAPE_SINGLE;

export interface BatchShape {
  code: ShapeCode;
  /** The circuit configuration's name (its keys and artifacts). */
  circuit: string;
  batchLevels: number;
  /** C = 2^chunkLevels record slots per region; 0 in the single shape. */
  chunkLevels: number;
  /** K: the most distinct signers in one batch. */
  signerSlots: number;
  /** The circuit's size, for the tie-break of packing (constraints, or an estimate). */
  cost: number;
}

export interface DeploymentShapes {
  single: BatchShape;
  /** Null: a single-only family, which takes no chunks. */
  chunk: BatchShape | null;
  /** The chunk size C the deployment accepts (POST /v1/chunks); 0 when it takes none. */
  chunkSize: number;
}

interface ShapeFields {
  name?: string;
  batchLevels: number;
  registryLevels: number;
  chunkLevels?: number;
  signerSlots?: number;
  family?: string;
  shape?: string;
  constraints?: number;
}

/**
 * A rough constraint count when the configuration does not carry one: what differs between
 * the shapes is G EdDSA verifications against K registry paths and, in the chunk shape, the
 * chunk trees (docs/circuit-v2.md); only the comparison of two shapes of a family uses it.
 */
function estimateCost(c: { batchLevels: number; registryLevels: number; chunkLevels: number; signerSlots: number }): number {
  const B = 2 ** c.batchLevels;
  const G = B / 2 ** c.chunkLevels;
  return G * 4_500 + c.signerSlots * (c.registryLevels * 250 + 600) + B * (700 + (c.chunkLevels > 0 ? 240 : 0)) + B * (B - 1);
}

function toShape(c: ShapeFields, fallbackName: string, code: ShapeCode): BatchShape {
  const chunkLevels = code === SHAPE_SINGLE ? 0 : (c.chunkLevels ?? 0);
  const signerSlots = c.signerSlots ?? 2 ** c.batchLevels;
  return {
    code,
    circuit: c.name ?? fallbackName,
    batchLevels: c.batchLevels,
    chunkLevels,
    signerSlots,
    cost: c.constraints ?? estimateCost({ batchLevels: c.batchLevels, registryLevels: c.registryLevels, chunkLevels, signerSlots }),
  };
}

/** The shapes of the family of circuit configuration `name`. */
export function deploymentShapes(name: string): DeploymentShapes {
  const config = circuits.circuitConfig(name) as unknown as ShapeFields;
  // familyConfigs(family) (the circuit branch): the configurations of the family, in a list or by name.
  const familyConfigs = (circuits as unknown as { familyConfigs?: (family: string) => unknown }).familyConfigs;
  let members: ShapeFields[] = [config];
  if (typeof familyConfigs === "function") {
    const found = familyConfigs(config.family ?? name);
    const list = Array.isArray(found) ? found : found && typeof found === "object" ? Object.values(found as Record<string, unknown>) : [];
    if (list.length > 0) members = list as ShapeFields[];
  }
  const chunkConfig = members.find((c) => (c.chunkLevels ?? 0) > 0 && c.shape !== "single");
  const singleConfig = members.find((c) => (c.chunkLevels ?? 0) === 0) ?? config;
  const single = toShape(singleConfig, name, SHAPE_SINGLE);
  const chunk = chunkConfig ? toShape(chunkConfig, name, SHAPE_CHUNK) : null;
  return withChunkShape(single, chunk);
}

/** The family of a single shape and a chunk shape (or none); checks what packing relies on. */
export function withChunkShape(single: BatchShape, chunk: BatchShape | null): DeploymentShapes {
  if (chunk) {
    if (chunk.batchLevels !== single.batchLevels) throw new Error(`the chunk shape has batchLevels ${chunk.batchLevels}, the single shape ${single.batchLevels}: a family has one batch capacity`);
    if (chunk.chunkLevels < 1 || 2 ** chunk.chunkLevels > Math.min(CHUNK_MAX, 2 ** chunk.batchLevels)) {
      throw new Error(`the chunk shape's chunkLevels ${chunk.chunkLevels} must give a chunk size 2..${Math.min(CHUNK_MAX, 2 ** chunk.batchLevels)}`);
    }
  }
  for (const s of [single, chunk]) {
    if (s && (!Number.isSafeInteger(s.signerSlots) || s.signerSlots < 1)) throw new Error(`shape ${s.circuit}: signerSlots must be a positive integer`);
  }
  return { single, chunk, chunkSize: chunk ? 2 ** chunk.chunkLevels : 0 };
}

/** The shape a stored batch names (batches stored before shapes existed are single-shaped). */
export function shapeOf(shapes: DeploymentShapes, code: ShapeCode | undefined): BatchShape {
  if (code === SHAPE_CHUNK) {
    if (!shapes.chunk) throw new Error("a batch of the chunk shape, but this deployment's circuit family has no chunk shape");
    return shapes.chunk;
  }
  return shapes.single;
}
