/**
 * The circuit shapes of the deployment's family (docs/circuit-v2.md): a batch is proven by the
 * family's *chunk* shape (regions of C = 2^chunkLevels slots, one signature per region) or its
 * *single* shape (C = 1: every record signed alone, today's layout). Both have the family's
 * batch capacity B and registry depth; each has its own number K of signer slots.
 *
 * The one place the sequencer reads the circuit package's family and shape fields, through the
 * prover's `familyMembers` / `familyOf` / `shapeOfConfig` (so the sequencer packs for exactly
 * the circuits the prover proves with). A configuration without them is a family of one: the
 * single shape with K = B (today's circuit), on-chain shape 0, which accepts no chunks.
 */
import { CHUNK_MAX } from "@provenance/client-sdk";
import { familyMembers, familyOf, shapeOfConfig } from "@provenance/prover";

/** `submit_batch`'s shape byte in a family of two (docs/circuit-v2.md#program). */
export const SHAPE_CHUNK = 0;
export const SHAPE_SINGLE = 1;
/** The shape byte of a family of one (a configuration naming no family: its only key). */
export const SHAPE_FAMILY_OF_ONE = 0;

export interface BatchShape {
  /** Its `submit_batch` shape byte: the configuration's place in its family. */
  code: number;
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

/** The shapes of the family of circuit configuration `name` (the family or one of its members). */
export function deploymentShapes(name: string): DeploymentShapes {
  const members = familyMembers(name).map((config) => {
    const layout = shapeOfConfig(config);
    const constraints = (config as { constraints?: number }).constraints;
    const shape: BatchShape = {
      code: familyOf(config).shape,
      circuit: config.name,
      batchLevels: layout.batchLevels,
      chunkLevels: layout.chunkLevels,
      signerSlots: layout.signerSlots,
      cost: constraints ?? estimateCost({ ...layout, registryLevels: config.registryLevels }),
    };
    return shape;
  });
  const single = members.find((m) => m.chunkLevels === 0);
  if (!single) throw new Error(`circuit family of "${name}" has no single shape (chunkLevels 0): records signed alone could not be batched`);
  return withChunkShape(single, members.find((m) => m.chunkLevels > 0) ?? null);
}

/** The family of a single shape and a chunk shape (or none); checks what packing relies on. */
export function withChunkShape(single: BatchShape, chunk: BatchShape | null): DeploymentShapes {
  if (chunk) {
    if (chunk.batchLevels !== single.batchLevels) throw new Error(`the chunk shape has batchLevels ${chunk.batchLevels}, the single shape ${single.batchLevels}: a family has one batch capacity`);
    if (chunk.chunkLevels < 1 || 2 ** chunk.chunkLevels > Math.min(CHUNK_MAX, 2 ** chunk.batchLevels)) {
      throw new Error(`the chunk shape's chunkLevels ${chunk.chunkLevels} must give a chunk size 2..${Math.min(CHUNK_MAX, 2 ** chunk.batchLevels)}`);
    }
  }
  if (chunk && chunk.code === single.code) throw new Error(`the chunk shape and the single shape both have shape byte ${single.code}`);
  for (const s of [single, chunk]) {
    if (s && (!Number.isSafeInteger(s.signerSlots) || s.signerSlots < 1)) throw new Error(`shape ${s.circuit}: signerSlots must be a positive integer`);
  }
  return { single, chunk, chunkSize: chunk ? 2 ** chunk.chunkLevels : 0 };
}

/** The shape a stored batch names (batches stored before shapes existed have today's single layout). */
export function shapeOf(shapes: DeploymentShapes, code: number | undefined): BatchShape {
  if (code === undefined || code === shapes.single.code) return shapes.single;
  if (shapes.chunk && code === shapes.chunk.code) return shapes.chunk;
  throw new Error(`a batch of shape ${code}, which this deployment's circuit family does not have`);
}
