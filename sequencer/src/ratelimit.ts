/**
 * Rate limits (docs/operations.md#rate-limits). Per client address, in front of the body
 * parser (fastify `onRequest`), so a refused request costs a header parse and a map lookup:
 *   - requests per window on the submission route and on the expensive reads (search, proof
 *     bundles, batch records), counted by `@fastify/rate-limit`;
 *   - request body bytes per second on the submission route (a token bucket here, charged the
 *     request's Content-Length): a client posting 1 MB bodies is held to a few a second while
 *     one posting single records is not.
 * Per node, in the ingest path once the records' signatures are checked (so nobody can spend a
 * node's budget with records it did not sign): records per second, a token bucket per nodeId.
 * Every refusal is 429 RATE_LIMITED with Retry-After, in the API's error envelope.
 */

/** Token buckets by key: `rate` tokens a second, at most `burst` held. Keys unused longest go first past `maxKeys`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly rate: number,
    readonly burst: number,
    private readonly maxKeys = 100_000,
  ) {}

  private refill(key: string, now: number): { tokens: number; at: number } {
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.burst, at: now };
    return { tokens: Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate), at: now };
  }

  /** Tokens `key` holds at `now` (ms). */
  available(key: string, now: number): number {
    return this.refill(key, now).tokens;
  }

  /** Takes `n` tokens from `key`; false (and nothing taken) when it holds fewer. */
  take(key: string, n: number, now: number): boolean {
    const b = this.refill(key, now);
    if (b.tokens < n) return false;
    b.tokens -= n;
    this.buckets.delete(key); // re-inserted last: the map's order is the order of use
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return true;
  }

  /** Gives back `n` tokens taken from `key` (up to the burst). */
  give(key: string, n: number, now: number): void {
    const b = this.buckets.get(key);
    if (!b) return;
    const refilled = this.refill(key, now);
    b.tokens = Math.min(this.burst, refilled.tokens + n);
    b.at = now;
  }

  /** Whole seconds until `key` holds `n` tokens (at least 1). */
  secondsUntil(key: string, n: number, now: number): number {
    const missing = n - this.available(key, now);
    return Math.max(1, Math.ceil(missing / this.rate));
  }
}

/** The limits as the API and ingest apply them (from SequencerConfig). */
export interface RateLimits {
  /** POST /v1/records per client address per window. */
  clientSubmits: number;
  /** Expensive reads per client address per window. */
  clientReads: number;
  windowMs: number;
  /** Request body bytes per second per client address on POST /v1/records (burst: one second's worth, at least one largest body). */
  clientBytesPerSecond: number;
  /** Records per second per node, and the most a node may send at once. */
  nodeRecordsPerSecond: number;
  nodeBurst: number;
}
