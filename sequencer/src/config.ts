/**
 * The sequencer's configuration: every knob, its default and its environment variable, parsed
 * and validated once into one typed object. Every setting is in the one table of
 * docs/operations.md#settings.
 *
 * Precedence: explicit overrides (flags, tests) > environment > defaults.
 */
import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PublicKey } from "@solana/web3.js";
import { DEFAULT_BODY_LIMIT_BYTES, MAX_CLOCK_SKEW_MS, MAX_RECORDS_PER_REQUEST, ProvenanceError, isLoopbackHost } from "@provenance/client-sdk";
import { loadCircuitConfigs } from "@provenance/circuits";
import { DEFAULT_DATA_DIR } from "@provenance/prover/data-dir";
import { loadProverQueueSettings, type ProverQueueSettings } from "./prover-queue.js";

export interface SequencerConfig {
  /** HTTP listen address. */
  host: string;
  port: number;
  /** Solana JSON-RPC URL. */
  rpcUrl: string;
  /** Anchor batches on-chain (default). Off: no chain client, batches stop at `proven`. */
  anchoring: boolean;
  /** True when no RPC URL was given: `npm start` then runs the local chain at the default URL. */
  localChain: boolean;
  /** The sequencer's Solana keypair (solana-keygen JSON); generated when it is the default path. */
  solanaKeypair: string;
  /**
   * The program's admin (`Config.admin`, base58), a key this process does not hold: the
   * sequencer refuses a Config whose admin is any other key. Required off the local chain.
   */
  adminPubkey: string | undefined;
  /**
   * The admin's keypair file (solana-keygen JSON, 0600): accepted only when the RPC URL is on
   * this machine (the local chain). With it the sequencer initializes the program and stages
   * registry roots itself; without it the admin does (`provenance admin init`, `registry push`).
   */
  adminKeypair: string | undefined;
  /** Compute unit limit of `submit_batch` transactions (compute budget instruction). */
  computeUnitLimit: number;
  /** Priority fee of chain transactions, micro-lamports per compute unit (0 = none). */
  priorityFeeMicroLamports: number;
  /** LevelDB, keys, admin token (PROVENANCE_DATA_DIR; docs/operations.md#data-directory). */
  dataDir: string;
  /** The local chain's ledger when `npm start` runs it: PROVENANCE_LOCALNET_DIR, else `<dataDir>/localnet`. */
  localnetDir: string;
  /** Registry writes need `Authorization: Bearer <adminToken>`; unset = generated into dataDir. */
  adminToken: string | undefined;
  /** Seal a batch this long after its first pending record was accepted (or when full). */
  batchMaxAgeMs: number;
  /** Circuit configuration name (circuits/circuits.json). */
  circuit: string;
  /** Proving backend: `native` (arkworks addon), `snarkjs`, or `auto` (native where it loaded). */
  prover: "auto" | "native" | "snarkjs";
  /** Prover processes (each proves one batch at a time, with the next one's witness beside it). */
  proverWorkers: number;
  /** Niceness of the prover processes relative to the sequencer (0..19). */
  proverNiceness: number;
  /** Signature-verification worker threads; 0 verifies on the main thread. */
  verifyWorkers: number;
  /**
   * Backpressure: refuse new records (503) while this many accepted records are not yet
   * anchored (pending, batched or proven; with anchoring off: not yet proven).
   */
  maxBacklogRecords: number;
  /** Backpressure: refuse new records (503) while this many are being validated or written. */
  maxInFlightRecords: number;
  /** Seconds a refused client is told to wait (Retry-After). */
  retryAfterSeconds: number;
  /** Largest request body in bytes. */
  bodyLimitBytes: number;
  /** Most records in one POST /v1/records. */
  maxRecordsPerRequest: number;
  /** A record's timestamp may be at most this far ahead of the sequencer's clock. */
  maxFutureSkewMs: number;
  /** /healthz answers 503 once submission has been failing, waiting for the admin or blocked this long (ms). */
  submitUnhealthyAfterMs: number;
  /** Per-client and per-node rate limits (docs/operations.md#rate-limits); off: none. */
  rateLimit: boolean;
  /** Per client address: most POST /v1/records requests per window. */
  rateLimitClientSubmits: number;
  /** Per client address: most expensive reads (search, proof bundles, batch records) per window. */
  rateLimitClientReads: number;
  /** The window of the two request limits, ms. */
  rateLimitWindowMs: number;
  /** Per client address: request body bytes per second on POST /v1/records (burst: one second's worth, at least one largest body). */
  rateLimitClientBytesPerSecond: number;
  /** Per node: records per second accepted (a token bucket per nodeId). */
  rateLimitNodeRecordsPerSecond: number;
  /** Per node: the most records it may send at once (the bucket's size). */
  rateLimitNodeBurst: number;
  /**
   * Who the client is behind a reverse proxy: false (default) takes the socket's address and
   * ignores X-Forwarded-For; a list of proxy addresses or CIDRs takes the client's address from
   * X-Forwarded-For as those proxies wrote it (a client can write any X-Forwarded-For itself).
   */
  trustProxy: false | string[];
  /** Prove through prover workers on this Redis queue (PROVENANCE_PROVER_QUEUE*, prover-queue.ts); null: in process. */
  proverQueue: ProverQueueSettings | null;
  /** pino level. */
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** The explorer page's built folder, served at /explorer/ when it holds an index.html; null: not served. */
  explorerDir: string | null;
  /**
   * Which other origins' pages may call the API (CORS): a list of origins, `*` (any), or null
   * (off, the default: no CORS headers, so only pages on the sequencer's own origin, such as the
   * explorer it serves). Never with credentials: the API has no cookies, admin routes take a bearer token.
   */
  corsOrigins: "*" | string[] | null;
}

export const DEFAULTS = {
  listen: "127.0.0.1:8080",
  rpcUrl: "http://127.0.0.1:8899",
  dataDir: DEFAULT_DATA_DIR,
  batchMaxAgeMs: 5000,
  circuit: "dev",
  prover: "auto",
  proverWorkers: 1,
  proverNiceness: 10,
  verifyWorkers: Math.max(1, availableParallelism() - 1),
  maxBacklogRecords: 100_000,
  maxInFlightRecords: 20_000,
  retryAfterSeconds: 1,
  bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
  maxRecordsPerRequest: MAX_RECORDS_PER_REQUEST,
  maxFutureSkewMs: 60_000,
  submitUnhealthyAfterMs: 300_000,
  logLevel: "info",
  solanaKeypairFile: "solana-keypair.json",
  computeUnitLimit: 400_000,
  priorityFeeMicroLamports: 0,
  rateLimit: true,
  // Generous for one client: single-record POSTs at 64 in flight make about 1,400 a second on
  // two cores (docs/benchmarks.md). The body bytes are what a flood costs (JSON parsing): 4 MiB
  // a second is about 9,000 records a second, three times what the whole sequencer ingests on
  // two cores, and a few full-size (1 MiB) bodies.
  rateLimitClientSubmits: 3_000,
  rateLimitClientReads: 200,
  rateLimitWindowMs: 1_000,
  rateLimitClientBytesPerSecond: 4 * 1024 * 1024,
  rateLimitNodeRecordsPerSecond: 1_000,
  rateLimitNodeBurst: 10_000,
} as const;

/** Environment variable of each setting. */
export const ENV = {
  listen: "PROVENANCE_LISTEN",
  rpcUrl: "PROVENANCE_RPC_URL",
  dataDir: "PROVENANCE_DATA_DIR",
  localnetDir: "PROVENANCE_LOCALNET_DIR",
  adminToken: "PROVENANCE_ADMIN_TOKEN",
  batchMaxAgeMs: "PROVENANCE_BATCH_MAX_AGE_MS",
  circuit: "PROVENANCE_CIRCUIT",
  prover: "PROVENANCE_PROVER",
  proverWorkers: "PROVENANCE_PROVER_WORKERS",
  proverNiceness: "PROVENANCE_PROVER_NICENESS",
  verifyWorkers: "PROVENANCE_VERIFY_WORKERS",
  maxBacklogRecords: "PROVENANCE_MAX_BACKLOG_RECORDS",
  maxInFlightRecords: "PROVENANCE_MAX_INFLIGHT_RECORDS",
  retryAfterSeconds: "PROVENANCE_RETRY_AFTER_SECONDS",
  bodyLimitBytes: "PROVENANCE_BODY_LIMIT_BYTES",
  maxFutureSkewMs: "PROVENANCE_MAX_FUTURE_SKEW_MS",
  submitUnhealthyAfterMs: "PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS",
  logLevel: "PROVENANCE_LOG_LEVEL",
  anchoring: "PROVENANCE_ANCHORING",
  solanaKeypair: "PROVENANCE_SOLANA_KEYPAIR",
  adminPubkey: "PROVENANCE_ADMIN_PUBKEY",
  adminKeypair: "PROVENANCE_ADMIN_KEYPAIR",
  computeUnitLimit: "PROVENANCE_COMPUTE_UNIT_LIMIT",
  priorityFeeMicroLamports: "PROVENANCE_PRIORITY_FEE_MICROLAMPORTS",
  rateLimit: "PROVENANCE_RATE_LIMIT",
  rateLimitClientSubmits: "PROVENANCE_RATE_LIMIT_CLIENT_SUBMITS",
  rateLimitClientReads: "PROVENANCE_RATE_LIMIT_CLIENT_READS",
  rateLimitWindowMs: "PROVENANCE_RATE_LIMIT_WINDOW_MS",
  rateLimitClientBytesPerSecond: "PROVENANCE_RATE_LIMIT_CLIENT_BYTES_PER_SECOND",
  rateLimitNodeRecordsPerSecond: "PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND",
  rateLimitNodeBurst: "PROVENANCE_RATE_LIMIT_NODE_BURST",
  trustProxy: "PROVENANCE_TRUST_PROXY",
  explorerDir: "PROVENANCE_EXPLORER_DIR",
  corsOrigins: "PROVENANCE_CORS_ORIGINS",
} as const;

/** Where `npm run build -w explorer` (run by `npm install`) puts the explorer page in this checkout. */
export const DEFAULT_EXPLORER_DIR = fileURLToPath(new URL("../../explorer/dist", import.meta.url));

/**
 * Most the sequencer may accept ahead of its clock: the program's tolerance against the cluster
 * clock less 30 s for the cluster clock's lag, so an accepted record never makes its batch
 * refused with TimestampInFuture (which would hold up every later batch).
 */
export const MAX_FUTURE_SKEW_CAP_MS = MAX_CLOCK_SKEW_MS - 30_000;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const PROVERS = ["auto", "native", "snarkjs"] as const;

function parseProver(raw: string): SequencerConfig["prover"] {
  if (!(PROVERS as readonly string[]).includes(raw)) bad(`${ENV.prover} must be one of ${PROVERS.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as SequencerConfig["prover"];
}

/** A folder, or `off` (null): not served. */
function parseExplorerDir(raw: string | null): string | null {
  if (raw === null || raw.trim().toLowerCase() === "off") return null;
  return path.resolve(raw);
}

/**
 * off | `*` | comma-separated origins (`scheme://host[:port]`, as a browser sends them in
 * `Origin`: no path, no trailing slash, the default port left out).
 */
export function parseCorsOrigins(raw: string | string[] | null, name: string = ENV.corsOrigins): "*" | string[] | null {
  if (raw === null) return null;
  const parts = (Array.isArray(raw) ? raw : raw.split(",")).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 0 || (parts.length === 1 && ["off", "false", "no", "none"].includes(parts[0]!.toLowerCase()))) return null;
  if (parts.includes("*")) {
    if (parts.length > 1) bad(`${name} is either * (any origin) or a list of origins, not both, got ${JSON.stringify(Array.isArray(raw) ? raw.join(",") : raw)}`);
    return "*";
  }
  const origins: string[] = [];
  for (const p of parts) {
    let url: URL | null;
    try {
      url = new URL(p);
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || !url.host) {
      bad(`${name} must be off, * or comma-separated origins such as https://explorer.example.com, got ${JSON.stringify(p)}`);
    }
    if (url.origin !== p) {
      bad(
        `${name}: ${JSON.stringify(p)} is not an origin as browsers send it (scheme://host[:port]: no path, query or trailing slash, ` +
          `lowercase host, no default port): write ${JSON.stringify(url.origin)}`,
      );
    }
    if (!origins.includes(p)) origins.push(p);
  }
  return origins;
}

export type ConfigOverrides = Partial<SequencerConfig> & { listen?: string };

function bad(message: string): never {
  throw new ProvenanceError("INVALID_CONFIG", message);
}

function parseInteger(raw: string | number, name: string, min: number, max: number): number {
  const n = typeof raw === "number" ? raw : /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) bad(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

function parseOnOff(raw: string | boolean, name: string): boolean {
  if (typeof raw === "boolean") return raw;
  const v = raw.trim().toLowerCase();
  if (["on", "true", "1", "yes"].includes(v)) return true;
  if (["off", "false", "0", "no"].includes(v)) return false;
  bad(`${name} must be on or off, got ${JSON.stringify(raw)}`);
}

function parsePositive(raw: string | number, name: string, max: number): number {
  const n = typeof raw === "number" ? raw : /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > max) bad(`${name} must be a number above 0 and at most ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** off | comma-separated addresses or CIDRs of the reverse proxies in front of the sequencer. */
export function parseTrustProxy(raw: string | boolean | string[], name: string = ENV.trustProxy): false | string[] {
  if (raw === false) return false;
  const parts = (Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : [String(raw)]).map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length === 1 && ["off", "false", "no"].includes(parts[0]!.toLowerCase())) return false;
  if (parts.length === 0) bad(`${name} must be off or proxy addresses/CIDRs, got ${JSON.stringify(raw)}`);
  for (const p of parts) {
    const [addr, bits, more] = p.split("/");
    const family = isIP(addr ?? "");
    const ok = family !== 0 && more === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128)));
    if (!ok) {
      bad(
        `${name} must be off or comma-separated addresses or CIDRs of your reverse proxies (e.g. 10.0.0.1,10.1.0.0/16), got ${JSON.stringify(p)}` +
          (["on", "true", "yes"].includes(p.toLowerCase()) ? ": trusting every sender's X-Forwarded-For would let any client choose its own address" : ""),
      );
    }
  }
  return parts;
}

/** "host:port", "[v6]:port" or ":port" (all interfaces). */
export function parseListen(raw: string, name: string = ENV.listen): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (!m) bad(`${name} must be host:port (e.g. 127.0.0.1:8080), got ${JSON.stringify(raw)}`);
  const host = m[1] ?? (m[2] || "0.0.0.0");
  return { host, port: parseInteger(m[3]!, `${name} port`, 0, 65535) };
}

function parsePubkey(raw: string, name: string): string {
  try {
    return new PublicKey(raw.trim()).toBase58();
  } catch {
    bad(`${name} must be a base58 Solana public key (32 bytes), got ${JSON.stringify(raw.slice(0, 80))}`);
  }
}

/**
 * Whether an RPC URL names the local chain: a host on this machine (the same test as the
 * bundles' cluster name `localnet`, `clusterName` in chain.ts). The submitter checks once more
 * against the genesis hash it serves: a public cluster tunnelled to localhost is not local.
 */
export function isLocalRpcUrl(rpcUrl: string): boolean {
  return isLoopbackHost(new URL(rpcUrl).hostname);
}

function parseUrl(raw: string, name: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    bad(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") bad(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * Builds the configuration from defaults, then `env`, then `overrides`; throws
 * ProvenanceError INVALID_CONFIG naming the setting (and its variable) on any bad value.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: ConfigOverrides = {}): SequencerConfig {
  const pick = <K extends keyof typeof ENV>(key: K): string | undefined => {
    const v = env[ENV[key]];
    return v === undefined || v === "" ? undefined : v;
  };
  const int = (key: keyof typeof ENV, dflt: number, min: number, max: number): number => {
    const o = overrides[key as keyof ConfigOverrides];
    if (o !== undefined) return parseInteger(o as number, key, min, max);
    const raw = pick(key);
    return raw === undefined ? dflt : parseInteger(raw, ENV[key], min, max);
  };

  const listen = parseListen(overrides.listen ?? pick("listen") ?? DEFAULTS.listen, overrides.listen ? "listen" : ENV.listen);
  const host = overrides.host ?? listen.host;
  const port = overrides.port !== undefined ? parseInteger(overrides.port, "port", 0, 65535) : listen.port;

  const circuit = overrides.circuit ?? pick("circuit") ?? DEFAULTS.circuit;
  const circuits = loadCircuitConfigs();
  if (!circuits[circuit]) bad(`${ENV.circuit} must be one of ${Object.keys(circuits).join(", ")}, got ${JSON.stringify(circuit)}`);

  const adminToken = overrides.adminToken ?? pick("adminToken");
  if (adminToken !== undefined && (adminToken.length < 16 || /\s/.test(adminToken))) {
    bad(`${ENV.adminToken} must be at least 16 characters without whitespace`);
  }

  const logLevel = (overrides.logLevel ?? pick("logLevel") ?? DEFAULTS.logLevel) as SequencerConfig["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) bad(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(logLevel)}`);

  const givenRpcUrl = overrides.rpcUrl ?? pick("rpcUrl");
  const dataDir = path.resolve(overrides.dataDir ?? pick("dataDir") ?? DEFAULTS.dataDir);
  const rpcUrl = parseUrl(givenRpcUrl ?? DEFAULTS.rpcUrl, ENV.rpcUrl);
  const anchoring = parseOnOff(overrides.anchoring ?? pick("anchoring") ?? true, ENV.anchoring);
  const adminPubkeyRaw = overrides.adminPubkey ?? pick("adminPubkey");
  const adminPubkey = adminPubkeyRaw === undefined ? undefined : parsePubkey(adminPubkeyRaw, ENV.adminPubkey);
  const adminKeypairRaw = overrides.adminKeypair ?? pick("adminKeypair");
  const adminKeypair = adminKeypairRaw === undefined ? undefined : path.resolve(adminKeypairRaw);
  const local = isLocalRpcUrl(rpcUrl);
  if (adminKeypair !== undefined && !local) {
    bad(
      `${ENV.adminKeypair} is accepted only on the local chain (an RPC URL on this machine), and ${ENV.rpcUrl} is ${new URL(rpcUrl).host}: ` +
        "off the local chain the admin key must not be on the sequencer's machine, or a thief of this machine could change the registry, " +
        `pause the program or replace the sequencer. Unset it, set ${ENV.adminPubkey} to the admin's public key, and stage registry ` +
        "changes from the admin's machine with `provenance registry push --admin-keypair FILE` (docs/operations.md)",
    );
  }
  if (anchoring && !local && adminPubkey === undefined) {
    bad(
      `${ENV.adminPubkey} is required off the local chain (${ENV.rpcUrl} is ${new URL(rpcUrl).host}): set it to the program's admin, ` +
        "a key kept off this machine; the sequencer refuses a Config whose admin is any other key (docs/operations.md)",
    );
  }
  const config: SequencerConfig = {
    host,
    port,
    rpcUrl,
    localChain: givenRpcUrl === undefined,
    anchoring,
    solanaKeypair: path.resolve(overrides.solanaKeypair ?? pick("solanaKeypair") ?? path.join(dataDir, DEFAULTS.solanaKeypairFile)),
    adminPubkey,
    adminKeypair,
    computeUnitLimit: int("computeUnitLimit", DEFAULTS.computeUnitLimit, 10_000, 1_400_000),
    priorityFeeMicroLamports: int("priorityFeeMicroLamports", DEFAULTS.priorityFeeMicroLamports, 0, 1e12),
    dataDir,
    localnetDir: path.resolve(overrides.localnetDir ?? pick("localnetDir") ?? path.join(dataDir, "localnet")),
    adminToken,
    batchMaxAgeMs: int("batchMaxAgeMs", DEFAULTS.batchMaxAgeMs, 1, 24 * 3600 * 1000),
    circuit,
    prover: parseProver(overrides.prover ?? pick("prover") ?? DEFAULTS.prover),
    proverWorkers: int("proverWorkers", DEFAULTS.proverWorkers, 1, 64),
    proverNiceness: int("proverNiceness", DEFAULTS.proverNiceness, 0, 19),
    verifyWorkers: int("verifyWorkers", DEFAULTS.verifyWorkers, 0, 64),
    maxBacklogRecords: int("maxBacklogRecords", DEFAULTS.maxBacklogRecords, 1, 1e9),
    maxInFlightRecords: int("maxInFlightRecords", DEFAULTS.maxInFlightRecords, 1, 1e7),
    retryAfterSeconds: int("retryAfterSeconds", DEFAULTS.retryAfterSeconds, 1, 3600),
    bodyLimitBytes: int("bodyLimitBytes", DEFAULTS.bodyLimitBytes, 1024, 64 * 1024 * 1024),
    maxRecordsPerRequest: overrides.maxRecordsPerRequest ?? DEFAULTS.maxRecordsPerRequest,
    // Capped below the program's own tolerance (MAX_CLOCK_SKEW_MS against the cluster clock,
    // which may lag by tens of seconds): a record the sequencer accepts must be anchorable.
    maxFutureSkewMs: int("maxFutureSkewMs", DEFAULTS.maxFutureSkewMs, 0, MAX_FUTURE_SKEW_CAP_MS),
    submitUnhealthyAfterMs: int("submitUnhealthyAfterMs", DEFAULTS.submitUnhealthyAfterMs, 100, 7 * 24 * 3600 * 1000),
    rateLimit: parseOnOff(overrides.rateLimit ?? pick("rateLimit") ?? DEFAULTS.rateLimit, ENV.rateLimit),
    rateLimitClientSubmits: int("rateLimitClientSubmits", DEFAULTS.rateLimitClientSubmits, 1, 1e9),
    rateLimitClientReads: int("rateLimitClientReads", DEFAULTS.rateLimitClientReads, 1, 1e9),
    rateLimitWindowMs: int("rateLimitWindowMs", DEFAULTS.rateLimitWindowMs, 100, 3_600_000),
    rateLimitClientBytesPerSecond: int("rateLimitClientBytesPerSecond", DEFAULTS.rateLimitClientBytesPerSecond, 1, 1e12),
    rateLimitNodeRecordsPerSecond:
      overrides.rateLimitNodeRecordsPerSecond !== undefined
        ? parsePositive(overrides.rateLimitNodeRecordsPerSecond, "rateLimitNodeRecordsPerSecond", 1e9)
        : pick("rateLimitNodeRecordsPerSecond") !== undefined
          ? parsePositive(pick("rateLimitNodeRecordsPerSecond")!, ENV.rateLimitNodeRecordsPerSecond, 1e9)
          : DEFAULTS.rateLimitNodeRecordsPerSecond,
    rateLimitNodeBurst: int("rateLimitNodeBurst", DEFAULTS.rateLimitNodeBurst, 1, 1e9),
    trustProxy: parseTrustProxy(overrides.trustProxy ?? pick("trustProxy") ?? false, overrides.trustProxy !== undefined ? "trustProxy" : ENV.trustProxy),
    logLevel,
    explorerDir: parseExplorerDir(overrides.explorerDir !== undefined ? overrides.explorerDir : (pick("explorerDir") ?? DEFAULT_EXPLORER_DIR)),
    proverQueue: overrides.proverQueue !== undefined ? overrides.proverQueue : loadProverQueueSettings(env),
    corsOrigins:
      overrides.corsOrigins !== undefined
        ? parseCorsOrigins(overrides.corsOrigins, "corsOrigins")
        : parseCorsOrigins(pick("corsOrigins") ?? null),
  };
  if (config.rateLimit && config.rateLimitNodeBurst < config.maxRecordsPerRequest) {
    bad(
      `${ENV.rateLimitNodeBurst} (${config.rateLimitNodeBurst}) must be at least the records one request may carry (${config.maxRecordsPerRequest}): ` +
        "a node could never send a full request",
    );
  }
  if (!Number.isSafeInteger(config.maxRecordsPerRequest) || config.maxRecordsPerRequest < 1 || config.maxRecordsPerRequest > MAX_RECORDS_PER_REQUEST) {
    bad(`maxRecordsPerRequest must be in [1, ${MAX_RECORDS_PER_REQUEST}] (docs/protocol.md#http), got ${config.maxRecordsPerRequest}`);
  }
  return config;
}
