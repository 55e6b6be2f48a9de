/**
 * EdDSA-Poseidon verification throughput: ours against circomlibjs in the same run, and the
 * worker pool with 1 and 2 workers. Run alone with `npx tsx bench/eddsa.ts [seconds]`.
 */
import { pathToFileURL } from "node:url";
import { buildEddsa } from "circomlibjs";
import {
  PublicKey,
  derivePublicKey,
  packPublicKey,
  packSignature,
  signPoseidon,
  unpackSignature,
  verifyPacked,
  verifyPoseidon,
} from "@provenance/client-sdk/eddsa";
import { FIELD_MODULUS } from "@provenance/client-sdk/field";
import { VerifyPool, nativeEddsa, verifyPackedNative, type VerifyJob } from "@provenance/ingest-engine";

export interface BenchRow {
  /** What was measured. */
  name: string;
  /** Operations per wall-clock second (one thread unless the name says otherwise). */
  perSecond: number;
  /** Operations per second of CPU time used by this process: the per-core rate, which other
   * jobs on the machine do not distort. For the worker pool it counts every thread. */
  perCpuSecond: number;
  /** perCpuSecond divided by the circomlibjs baseline measured in the same run. */
  ratio: number;
  /** Operations timed. */
  ops: number;
}

interface Rate {
  perSecond: number;
  perCpuSecond: number;
  ops: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

export interface EddsaBenchOptions {
  /** Time budget per measurement in seconds (default 1.5). */
  seconds?: number;
}

interface Case {
  message: bigint;
  signature: Uint8Array;
  publicKey: Uint8Array;
}

function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

function randomMessage(): bigint {
  let x = 0n;
  for (const b of randomBytes(32)) x = (x << 8n) | BigInt(b);
  return x % FIELD_MODULUS;
}

/** Runs `op(i)` for about `seconds`, at least `minOps` times. */
function measure(seconds: number, minOps: number, op: (i: number) => void): Rate {
  const start = performance.now();
  const cpu0 = cpuSeconds();
  let ops = 0;
  while (ops < minOps || performance.now() - start < seconds * 1000) {
    op(ops);
    ops++;
  }
  return { perSecond: ops / ((performance.now() - start) / 1000), perCpuSecond: ops / (cpuSeconds() - cpu0), ops };
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench/eddsa: ${what} did not verify: the benchmark would be meaningless`);
}

export async function benchEddsa(options: EddsaBenchOptions = {}): Promise<BenchRow[]> {
  const seconds = options.seconds ?? 1.5;
  const e = await buildEddsa();

  // 400 signatures by 20 keys (a sequencer sees few nodes, many records each).
  const privs = Array.from({ length: 20 }, () => randomBytes(32));
  const cases: Case[] = [];
  for (let i = 0; i < 400; i++) {
    const priv = privs[i % privs.length]!;
    const message = randomMessage();
    cases.push({
      message,
      signature: packSignature(signPoseidon(priv, message)),
      publicKey: packPublicKey(derivePublicKey(priv)),
    });
  }
  const at = (i: number): Case => cases[i % cases.length]!;

  // Baseline: circomlibjs decoding and verifying the packed bytes, as an ingest check would.
  const base = measure(seconds, 5, (i) => {
    const c = at(i);
    const sig = e.unpackSignature(c.signature.slice());
    const A = e.babyJub.unpackPoint(c.publicKey.slice());
    check(A !== null && sig.R8 !== null && e.verifyPoseidon(e.F.e(c.message), sig, A), "circomlibjs");
  });
  const rows: BenchRow[] = [];
  const row = (name: string, r: Rate): void => {
    rows.push({ name, perSecond: r.perSecond, perCpuSecond: r.perCpuSecond, ratio: r.perCpuSecond / base.perCpuSecond, ops: r.ops });
  };
  row("circomlibjs unpack + verifyPoseidon (baseline)", base);

  for (const c of cases) PublicKey.fromBytes(c.publicKey); // warm the key cache
  row(
    "verifyPacked (bytes in, known key)",
    measure(seconds, 100, (i) => {
      const c = at(i);
      check(verifyPacked(c.message, c.signature, c.publicKey), "verifyPacked");
    }),
  );

  if (nativeEddsa.available) {
    for (const c of cases) verifyPackedNative(c.message, c.signature, c.publicKey); // warm its key cache
    row(
      "native addon: verifyPackedNative (bytes in, known key)",
      measure(seconds, 100, (i) => {
        const c = at(i);
        check(verifyPackedNative(c.message, c.signature, c.publicKey), "verifyPackedNative");
      }),
    );
  }

  const decoded = cases.map((c) => ({
    message: c.message,
    sig: unpackSignature(c.signature),
    key: PublicKey.fromBytes(c.publicKey),
  }));
  row(
    "verifyPoseidon (decoded signature, PublicKey)",
    measure(seconds, 100, (i) => {
      const d = decoded[i % decoded.length]!;
      check(verifyPoseidon(d.message, d.sig, d.key), "verifyPoseidon");
    }),
  );

  // A key never seen before on every call: strict decode, subgroup check, table build.
  const coldPrivs = Array.from({ length: 40 }, () => randomBytes(32));
  const coldCases = coldPrivs.map((priv) => {
    const message = randomMessage();
    return {
      message,
      signature: packSignature(signPoseidon(priv, message)),
      publicKey: packPublicKey(derivePublicKey(priv)),
    };
  });
  const cold = measure(0, coldCases.length, (i) => {
    const c = coldCases[i]!;
    check(verifyPacked(c.message, c.signature, c.publicKey), "verifyPacked (cold key)");
  });
  row("verifyPacked, new key every time", cold);

  row(
    "signPoseidon (ours, for reference)",
    measure(seconds / 2, 20, (i) => {
      signPoseidon(privs[i % privs.length]!, BigInt(i));
    }),
  );

  // Worker pool: one big batch, timed after a warm-up batch that fills each worker's caches.
  const jobs: VerifyJob[] = Array.from({ length: 4000 }, (_, i) => at(i));
  for (const native of nativeEddsa.available ? [false, true] : [false]) {
    for (const workers of [1, 2]) {
      const pool = await VerifyPool.create({ workers, native });
      try {
        await pool.verifyBatch(cases);
        const start = performance.now();
        const cpu0 = cpuSeconds();
        const results = await pool.verifyBatch(native ? [...jobs, ...jobs, ...jobs] : jobs);
        const elapsed = (performance.now() - start) / 1000;
        const cpu = cpuSeconds() - cpu0;
        check(results.every((x) => x), `pool(${workers})`);
        const kind = pool.native ? "native" : "WebAssembly";
        row(`VerifyPool, ${workers} worker${workers > 1 ? "s" : ""}, ${kind} (batch of ${results.length})`, {
          perSecond: results.length / elapsed,
          perCpuSecond: results.length / cpu,
          ops: results.length,
        });
      } finally {
        await pool.close();
      }
    }
  }
  return rows;
}

export function formatRows(rows: BenchRow[]): string {
  const n = (x: number): string => Math.round(x).toLocaleString("en-US");
  const lines = [
    "| EdDSA-Poseidon | per CPU-second | per wall-second | vs circomlibjs (CPU) | ops |",
    "| --- | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.name} | ${n(r.perCpuSecond)} | ${n(r.perSecond)} | ${r.ratio.toFixed(1)}x | ${r.ops} |`),
  ];
  return lines.join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const rows = await benchEddsa(seconds === undefined ? {} : { seconds });
  console.log(formatRows(rows));
  if (!nativeEddsa.available) console.log(`(native addon ${nativeEddsa.reason})`);
}
