/**
 * Imported first by main.ts: some of the SDK's dependencies (circomlibjs, ffjavascript) use
 * Node's global `Buffer`; the browser gets the `buffer` package the SDK already depends on.
 */
import { Buffer } from "buffer";

const g = globalThis as { Buffer?: typeof Buffer };
g.Buffer ??= Buffer;
