import path from "node:path";
import { expect } from "chai";
import { loadCircuitConfigs } from "@provenance/circuits";
import { DEFAULTS, loadConfig, parseListen } from "../src/config.js";
import { expectRefusal } from "../../tests/support/expect.js";

describe("sequencer config", () => {
  it("has the documented defaults (docs/operations.md#settings) with an empty environment", () => {
    const c = loadConfig({});
    expect(c.host).to.equal("127.0.0.1");
    expect(c.port).to.equal(8080);
    expect(c.rpcUrl).to.equal("http://127.0.0.1:8899");
    expect(c.dataDir).to.equal(path.resolve(".provenance"));
    expect(c.adminToken).to.equal(undefined);
    expect(c.batchMaxAgeMs).to.equal(5000);
    expect(c.circuit).to.equal("dev");
    expect(c.maxRecordsPerRequest).to.equal(1000);
    expect(c.bodyLimitBytes).to.equal(DEFAULTS.bodyLimitBytes);
    expect(c.submitUnhealthyAfterMs).to.equal(300_000);
  });

  it("serves the checkout's built explorer page by default; PROVENANCE_EXPLORER_DIR moves it or turns it off", () => {
    expect(loadConfig({}).explorerDir).to.equal(path.resolve(import.meta.dirname, "..", "..", "explorer", "dist"));
    expect(loadConfig({ PROVENANCE_EXPLORER_DIR: "off" }).explorerDir).to.equal(null);
    expect(loadConfig({ PROVENANCE_EXPLORER_DIR: "site" }).explorerDir).to.equal(path.resolve("site"));
    expect(loadConfig({}, { explorerDir: null }).explorerDir).to.equal(null);
  });

  it("takes PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS, validated", () => {
    expect(loadConfig({ PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS: "1500" }).submitUnhealthyAfterMs).to.equal(1500);
    expect(loadConfig({}, { submitUnhealthyAfterMs: 200 }).submitUnhealthyAfterMs).to.equal(200);
    expectRefusal(() => loadConfig({ PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS: "5s" }), "INVALID_CONFIG", 'PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS must be an integer in [100, 604800000], got "5s"');
    expectRefusal(() => loadConfig({ PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS: "99" }), "INVALID_CONFIG", 'PROVENANCE_SUBMIT_UNHEALTHY_AFTER_MS must be an integer in [100, 604800000], got "99"');
  });

  it("reads every PROVENANCE_* variable, and overrides win over the environment", () => {
    const env = {
      PROVENANCE_LISTEN: "0.0.0.0:9000",
      PROVENANCE_RPC_URL: "http://localhost:1234",
      PROVENANCE_DATA_DIR: "/tmp/x",
      PROVENANCE_ADMIN_TOKEN: "0123456789abcdef0123",
      PROVENANCE_BATCH_MAX_AGE_MS: "250",
      PROVENANCE_CIRCUIT: "test",
      PROVENANCE_PROVER_WORKERS: "2",
      PROVENANCE_VERIFY_WORKERS: "0",
      PROVENANCE_MAX_BACKLOG_RECORDS: "10",
      PROVENANCE_LOG_LEVEL: "warn",
    };
    const c = loadConfig(env);
    expect([c.host, c.port, c.rpcUrl, c.dataDir, c.adminToken]).to.deep.equal(["0.0.0.0", 9000, "http://localhost:1234", "/tmp/x", "0123456789abcdef0123"]);
    expect([c.batchMaxAgeMs, c.circuit, c.proverWorkers, c.verifyWorkers, c.maxBacklogRecords, c.logLevel]).to.deep.equal([250, "test", 2, 0, 10, "warn"]);
    const o = loadConfig(env, { port: 0, circuit: "dev", batchMaxAgeMs: 7 });
    expect([o.port, o.circuit, o.batchMaxAgeMs, o.host]).to.deep.equal([0, "dev", 7, "0.0.0.0"]);
  });

  it("parses listen addresses", () => {
    expect(parseListen("127.0.0.1:8080")).to.deep.equal({ host: "127.0.0.1", port: 8080 });
    expect(parseListen(":81")).to.deep.equal({ host: "0.0.0.0", port: 81 });
    expect(parseListen("[::1]:8080")).to.deep.equal({ host: "::1", port: 8080 });
    expect(parseListen("localhost:0")).to.deep.equal({ host: "localhost", port: 0 });
  });

  it("takes the proving backend from PROVENANCE_PROVER (auto by default)", () => {
    expect(loadConfig({}).prover).to.equal("auto");
    expect(loadConfig({ PROVENANCE_PROVER: "snarkjs" }).prover).to.equal("snarkjs");
    expect(loadConfig({ PROVENANCE_PROVER: "native" }).prover).to.equal("native");
  });

  it("has rate limits on by default, read from PROVENANCE_RATE_LIMIT_*, and X-Forwarded-For ignored unless proxies are named", () => {
    const c = loadConfig({});
    expect([c.rateLimit, c.rateLimitClientSubmits, c.rateLimitClientReads, c.rateLimitWindowMs, c.rateLimitClientBytesPerSecond, c.rateLimitNodeRecordsPerSecond, c.rateLimitNodeBurst, c.trustProxy]).to.deep.equal([
      true, 3000, 200, 1000, 4 * 1024 * 1024, 1000, 10_000, false,
    ]);
    const e = loadConfig({
      PROVENANCE_RATE_LIMIT: "off",
      PROVENANCE_RATE_LIMIT_CLIENT_SUBMITS: "5",
      PROVENANCE_RATE_LIMIT_CLIENT_READS: "6",
      PROVENANCE_RATE_LIMIT_WINDOW_MS: "60000",
      PROVENANCE_RATE_LIMIT_CLIENT_BYTES_PER_SECOND: "2048",
      PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND: "0.5",
      PROVENANCE_RATE_LIMIT_NODE_BURST: "2000",
      PROVENANCE_TRUST_PROXY: "10.0.0.1, 10.1.0.0/16,::1",
    });
    expect([e.rateLimit, e.rateLimitClientSubmits, e.rateLimitClientReads, e.rateLimitWindowMs, e.rateLimitClientBytesPerSecond, e.rateLimitNodeRecordsPerSecond, e.rateLimitNodeBurst, e.trustProxy]).to.deep.equal([
      false, 5, 6, 60000, 2048, 0.5, 2000, ["10.0.0.1", "10.1.0.0/16", "::1"],
    ]);
    expect(loadConfig({ PROVENANCE_TRUST_PROXY: "off" }).trustProxy).to.equal(false);
  });

  it("refuses bad rate-limit settings, saying why", () => {
    expectRefusal(() => loadConfig({ PROVENANCE_RATE_LIMIT: "maybe" }), "INVALID_CONFIG", 'PROVENANCE_RATE_LIMIT must be on or off, got "maybe"');
    expectRefusal(() => loadConfig({ PROVENANCE_RATE_LIMIT_CLIENT_SUBMITS: "0" }), "INVALID_CONFIG", 'PROVENANCE_RATE_LIMIT_CLIENT_SUBMITS must be an integer in [1, 1000000000], got "0"');
    expectRefusal(() => loadConfig({ PROVENANCE_RATE_LIMIT_WINDOW_MS: "10" }), "INVALID_CONFIG", 'PROVENANCE_RATE_LIMIT_WINDOW_MS must be an integer in [100, 3600000], got "10"');
    expectRefusal(() => loadConfig({ PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND: "-1" }), "INVALID_CONFIG", 'PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND must be a number above 0 and at most 1000000000, got "-1"');
    expectRefusal(() => loadConfig({ PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND: "0" }), "INVALID_CONFIG", 'PROVENANCE_RATE_LIMIT_NODE_RECORDS_PER_SECOND must be a number above 0 and at most 1000000000, got "0"');
    expectRefusal(
      () => loadConfig({ PROVENANCE_RATE_LIMIT_NODE_BURST: "999" }),
      "INVALID_CONFIG",
      "PROVENANCE_RATE_LIMIT_NODE_BURST (999) must be at least the records one request may carry (1000): a node could never send a full request",
    );
    expect(loadConfig({ PROVENANCE_RATE_LIMIT_NODE_BURST: "999", PROVENANCE_RATE_LIMIT: "off" }).rateLimitNodeBurst).to.equal(999);
    expectRefusal(
      () => loadConfig({ PROVENANCE_TRUST_PROXY: "on" }),
      "INVALID_CONFIG",
      'PROVENANCE_TRUST_PROXY must be off or comma-separated addresses or CIDRs of your reverse proxies (e.g. 10.0.0.1,10.1.0.0/16), got "on": trusting every sender\'s X-Forwarded-For would let any client choose its own address',
    );
    expectRefusal(() => loadConfig({ PROVENANCE_TRUST_PROXY: "10.0.0.0/33" }), "INVALID_CONFIG", 'PROVENANCE_TRUST_PROXY must be off or comma-separated addresses or CIDRs of your reverse proxies (e.g. 10.0.0.1,10.1.0.0/16), got "10.0.0.0/33"');
    expectRefusal(() => loadConfig({ PROVENANCE_TRUST_PROXY: "2" }), "INVALID_CONFIG", 'PROVENANCE_TRUST_PROXY must be off or comma-separated addresses or CIDRs of your reverse proxies (e.g. 10.0.0.1,10.1.0.0/16), got "2"');
  });

  it("refuses bad values, naming the variable", () => {
    expectRefusal(() => loadConfig({ PROVENANCE_LISTEN: "8080" }), "INVALID_CONFIG", 'PROVENANCE_LISTEN must be host:port (e.g. 127.0.0.1:8080), got "8080"');
    expectRefusal(() => loadConfig({ PROVENANCE_LISTEN: "h:70000" }), "INVALID_CONFIG", 'PROVENANCE_LISTEN port must be an integer in [0, 65535], got "70000"');
    expectRefusal(() => loadConfig({ PROVENANCE_BATCH_MAX_AGE_MS: "5s" }), "INVALID_CONFIG", 'PROVENANCE_BATCH_MAX_AGE_MS must be an integer in [1, 86400000], got "5s"');
    expectRefusal(() => loadConfig({ PROVENANCE_BATCH_MAX_AGE_MS: "0" }), "INVALID_CONFIG", 'PROVENANCE_BATCH_MAX_AGE_MS must be an integer in [1, 86400000], got "0"');
    expectRefusal(() => loadConfig({ PROVENANCE_CIRCUIT: "huge" }), "INVALID_CONFIG", `PROVENANCE_CIRCUIT must be one of ${Object.keys(loadCircuitConfigs()).join(", ")}, got "huge"`);
    expectRefusal(() => loadConfig({ PROVENANCE_RPC_URL: "ftp://x" }), "INVALID_CONFIG", 'PROVENANCE_RPC_URL must be an http(s) URL, got "ftp://x"');
    expectRefusal(() => loadConfig({ PROVENANCE_ADMIN_TOKEN: "short" }), "INVALID_CONFIG", "PROVENANCE_ADMIN_TOKEN must be at least 16 characters without whitespace");
    expectRefusal(() => loadConfig({ PROVENANCE_MAX_FUTURE_SKEW_MS: "90001" }), "INVALID_CONFIG", 'PROVENANCE_MAX_FUTURE_SKEW_MS must be an integer in [0, 90000], got "90001"');
    expectRefusal(() => loadConfig({ PROVENANCE_PROVER: "fast" }), "INVALID_CONFIG", 'PROVENANCE_PROVER must be one of auto, native, snarkjs, got "fast"');
    expectRefusal(() => loadConfig({ PROVENANCE_LOG_LEVEL: "loud" }), "INVALID_CONFIG", 'PROVENANCE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"');
    expectRefusal(() => loadConfig({}, { maxRecordsPerRequest: 1001 }), "INVALID_CONFIG", "maxRecordsPerRequest must be in [1, 1000] (docs/protocol.md#http), got 1001");
  });

  describe("the admin key (security review H2/H3)", () => {
    const admin = "ProvC2tA11BGUd9XuDU9h7KgHEc7j8wf2Rj6K2s843Q";

    it("requires PROVENANCE_ADMIN_PUBKEY off the local chain, and takes it there", () => {
      expectRefusal(
        () => loadConfig({ PROVENANCE_RPC_URL: "https://api.devnet.solana.com" }),
        "INVALID_CONFIG",
        /^PROVENANCE_ADMIN_PUBKEY is required off the local chain \(PROVENANCE_RPC_URL is api\.devnet\.solana\.com\): set it to the program's admin, a key kept off this machine/,
      );
      const c = loadConfig({ PROVENANCE_RPC_URL: "https://api.devnet.solana.com", PROVENANCE_ADMIN_PUBKEY: admin });
      expect([c.adminPubkey, c.adminKeypair]).to.deep.equal([admin, undefined]);
      // Without anchoring there is no chain, so no admin to name.
      expect(loadConfig({ PROVENANCE_RPC_URL: "https://api.devnet.solana.com", PROVENANCE_ANCHORING: "off" }).adminPubkey).to.equal(undefined);
      // On the local chain it is optional.
      expect(loadConfig({}).adminPubkey).to.equal(undefined);
      expectRefusal(() => loadConfig({ PROVENANCE_ADMIN_PUBKEY: "not-a-key" }), "INVALID_CONFIG", 'PROVENANCE_ADMIN_PUBKEY must be a base58 Solana public key (32 bytes), got "not-a-key"');
    });

    it("accepts PROVENANCE_ADMIN_KEYPAIR only when the RPC is on this machine, saying why", () => {
      expect(loadConfig({ PROVENANCE_ADMIN_KEYPAIR: "admin.json" }).adminKeypair).to.equal(path.resolve("admin.json"));
      expect(loadConfig({ PROVENANCE_RPC_URL: "http://localhost:8899", PROVENANCE_ADMIN_KEYPAIR: "/k/admin.json" }).adminKeypair).to.equal("/k/admin.json");
      for (const url of ["https://api.devnet.solana.com", "http://10.0.0.5:8899"]) {
        expectRefusal(
          () => loadConfig({ PROVENANCE_RPC_URL: url, PROVENANCE_ADMIN_PUBKEY: admin, PROVENANCE_ADMIN_KEYPAIR: "/k/admin.json" }),
          "INVALID_CONFIG",
          new RegExp(
            `^PROVENANCE_ADMIN_KEYPAIR is accepted only on the local chain \\(an RPC URL on this machine\\), and PROVENANCE_RPC_URL is ${new URL(url).host.replace(/\./g, "\\.")}: ` +
              "off the local chain the admin key must not be on the sequencer's machine, or a thief of this machine could change the registry",
          ),
        );
      }
    });
  });
});
