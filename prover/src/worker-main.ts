/**
 * `provenance-prover --queue redis://… --circuit NAME`: a prover worker on this machine
 * (queue-worker.ts). Needs the repository and the circuit's artifacts (compiled circuit, proving
 * key), nothing else. Logs: one line per event on stdout, human on a terminal, JSON lines
 * otherwise (--log-format / PROVENANCE_LOG_FORMAT forces either).
 *
 * SIGTERM / SIGINT: no new jobs, the ones at hand finished (or handed back after --drain-ms);
 * a second signal hands them back at once. Exit 0 when stopped, 3 when it refused a job for
 * another key or circuit, 1 when it could not start.
 */
import { parseArgs } from "node:util";
import { createLogger, resolveLogFormat } from "./logger.js";
import { resolveBackend } from "./native.js";
import { queueConnection } from "./queue.js";
import { startProverWorker } from "./queue-worker.js";
import { circuitConfig } from "@provenance/circuits";
import { familyMembers, familyOf } from "./family.js";

const HELP = `provenance-prover: prove batches from the sequencer's queue

  --queue URL        redis://[user[:password]@]host[:port][/db] or rediss://… (TLS)
                     default: PROVENANCE_PROVER_QUEUE
  --circuit NAME     circuit family (every shape of it) or one configuration
                     (default: PROVENANCE_CIRCUIT, else dev)
  --zkey FILE        proving key (default: PROVENANCE_ZKEY, else the cached setup's)
  --backend NAME     native | snarkjs (default: PROVENANCE_PROVER, else native where built)
  --concurrency N    jobs at once (default 2: the next one's witness while one proves)
  --lock-ms MS       job lock, renewed every half of it (default 30000); a killed worker's
                     job goes to another worker after about this long
  --drain-ms MS      on SIGTERM, how long the jobs at hand may take before they are handed back (default 20000)
  --tls-ca FILE      CA certificate (PEM) of the Redis server (TLS)
  --tls-servername NAME  name to check the server certificate against
  --log-level LEVEL  pino level (default: PROVENANCE_LOG_LEVEL, else info)
  --log-format F     json | pretty | auto (default: PROVENANCE_LOG_FORMAT, else auto:
                     pretty on a terminal, JSON lines otherwise)

The Redis password may be given as PROVENANCE_PROVER_QUEUE_PASSWORD instead of in the URL
(it then appears in neither the command line nor the logs).`;

const { values } = parseArgs({
  options: {
    queue: { type: "string" },
    circuit: { type: "string" },
    zkey: { type: "string" },
    backend: { type: "string" },
    concurrency: { type: "string" },
    "lock-ms": { type: "string" },
    "drain-ms": { type: "string" },
    "tls-ca": { type: "string" },
    "tls-servername": { type: "string" },
    "log-level": { type: "string" },
    "log-format": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const env = process.env;
let logFormat: "json" | "pretty";
try {
  logFormat = resolveLogFormat({ flag: values["log-format"] });
} catch (err) {
  process.stderr.write(`provenance-prover: ${(err as Error).message}\n`);
  process.exit(1);
}
const logger = createLogger({ name: "prover-worker", level: values["log-level"] ?? env["PROVENANCE_LOG_LEVEL"] ?? "info", flag: values["log-format"] });
const int = (raw: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    process.stderr.write(`provenance-prover: ${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}\n`);
    process.exit(1);
  }
  return n;
};

try {
  const url = values.queue ?? env["PROVENANCE_PROVER_QUEUE"];
  if (!url) throw new Error("no queue: pass --queue redis://host:port (or set PROVENANCE_PROVER_QUEUE)");
  const { connection, display } = queueConnection({
    url,
    password: env["PROVENANCE_PROVER_QUEUE_PASSWORD"] || undefined,
    tlsCaFile: values["tls-ca"] ?? (env["PROVENANCE_PROVER_QUEUE_TLS_CA"] || undefined),
    tlsServername: values["tls-servername"] ?? (env["PROVENANCE_PROVER_QUEUE_TLS_SERVERNAME"] || undefined),
  });
  const { backend, note } = resolveBackend(values.backend ?? (env["PROVENANCE_PROVER"] && env["PROVENANCE_PROVER"] !== "auto" ? env["PROVENANCE_PROVER"] : undefined));
  if (note) logger.warn({ backend }, note);
  const concurrency = int(values.concurrency, "--concurrency", 1, 4);
  const lockMs = int(values["lock-ms"], "--lock-ms", 500, 3_600_000);
  const drainMs = int(values["drain-ms"], "--drain-ms", 0, 24 * 3_600_000);
  const zkey = values.zkey ?? (env["PROVENANCE_ZKEY"] || undefined);
  // A family name proves every shape of it (one queue worker each); a member's name, that shape only.
  const circuit = values.circuit ?? (env["PROVENANCE_CIRCUIT"] || "dev");
  const members = circuitConfig(circuit).name === familyOf(circuitConfig(circuit)).family ? familyMembers(circuit) : [circuitConfig(circuit)];
  if (zkey && members.length > 1) {
    throw new Error(`--zkey names one proving key but circuit family "${circuit}" has ${members.length} shapes (${members.map((m) => m.name).join(", ")}): start one worker per shape with --circuit <shape> --zkey FILE`);
  }
  const workers: Awaited<ReturnType<typeof startProverWorker>>[] = [];
  for (const member of members) {
    workers.push(
      await startProverWorker({
        circuit: member.name,
        connection,
        display,
        logger,
        backend,
        ...(zkey ? { zkey } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(lockMs !== undefined ? { lockMs } : {}),
        ...(drainMs !== undefined ? { drainMs } : {}),
      }),
    );
  }
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      signals++;
      logger.info({ signal }, signals === 1 ? "shutting down" : "second signal: handing back at once");
      for (const w of workers) w.stop(signals > 1);
    });
  }
  // Any worker stopping (a refused job, a signal) stops the others: the process exits with the first code.
  const code = await Promise.race(workers.map((w) => w.done));
  for (const w of workers) w.stop();
  await Promise.all(workers.map((w) => w.done));
  process.exit(code);
} catch (err) {
  if (logFormat === "json") logger.fatal({ err: (err as Error).message }, "could not start");
  process.stderr.write(`provenance-prover failed to start: ${(err as Error).message}\n`);
  process.exit(1);
}
