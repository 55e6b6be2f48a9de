/**
 * Content files (Node.js): the SHA-256 of a file, streamed with node:crypto (any size, bounded
 * memory), as `verifyBundle`'s `content` option takes it (`client-sdk/src/content.ts`).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { AbortOptions } from "../abort.js";
import type { ContentDigest } from "../content.js";
import { ProvenanceError } from "../errors.js";

/**
 * The SHA-256 and length of the file at `file`, read as a stream. A file that does not exist,
 * cannot be read or is not a regular file rejects with IO_ERROR naming it and why.
 */
export async function sha256File(file: string, options: AbortOptions = {}): Promise<ContentDigest> {
  const cannot = (why: string) => new ProvenanceError("IO_ERROR", `cannot read the content file ${file}: ${why}`);
  let info;
  try {
    info = await stat(file);
  } catch (e) {
    throw cannot((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  if (!info.isFile()) throw cannot(info.isDirectory() ? "it is a directory" : "it is not a regular file");
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal: options.signal })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (e) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw cannot((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  return { sha256: hash.digest("hex"), bytes };
}
