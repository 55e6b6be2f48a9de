/**
 * Test support: a real `redis-server` on a free loopback port, with a password, started and
 * stopped (or SIGKILLed and restarted on the same port) by the test. No persistence: a killed
 * server comes back empty, as the worst case of a Redis restart.
 *
 * Where redis-server is missing the tests that need it skip with a message, except with
 * PROVENANCE_REQUIRE_NATIVE=1 (CI), where that is a failure (`.ci/run` installs it).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export const REDIS_AVAILABLE = spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
export const REDIS_MISSING = "redis-server is not installed (apt-get install -y redis-server; .ci/run installs it)";

/** In a mocha `before`: skips the suite where redis-server is missing, fails instead under PROVENANCE_REQUIRE_NATIVE=1. */
export function requireRedis(ctx: Mocha.Context): void {
  if (REDIS_AVAILABLE) return;
  if (process.env["PROVENANCE_REQUIRE_NATIVE"] === "1") throw new Error(`PROVENANCE_REQUIRE_NATIVE=1: ${REDIS_MISSING}`);
  console.warn(`    skipped: ${REDIS_MISSING}`);
  ctx.skip();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class RedisServer {
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    readonly password: string,
  ) {}

  /** The URL with the password, as an operator would configure it. */
  get url(): string {
    return `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`;
  }

  /** The URL without it (the password then comes from PROVENANCE_PROVER_QUEUE_PASSWORD). */
  get bareUrl(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(password = "queue-test-password-0123"): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), password);
    await server.run();
    return server;
  }

  /** (Re)starts the server on its port. */
  async run(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--requirepass", this.password, "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child = child;
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${out}`);
      const ping = spawnSync("redis-cli", ["-p", String(this.port), "-a", this.password, "--no-auth-warning", "ping"], { encoding: "utf8" });
      if (ping.stdout?.trim() === "PONG") return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on ${this.port}: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGKILL: everything in it is lost (no persistence). */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  stop(): Promise<void> {
    return this.kill();
  }
}
