/**
 * How anchors and bundles name the cluster: by what the RPC serves (its genesis hash), never by
 * the RPC URL (which may carry an API key) nor a guess from its host name. The bundles of the
 * anchoring tests (anchor.test.ts, cli-e2e.test.ts) carry `localnet` from the real local chain.
 */
import { expect } from "chai";
import { KNOWN_CLUSTERS } from "@provenance/client-sdk";
import { clusterName } from "../src/chain.js";

describe("sequencer cluster names", () => {
  const devnet = KNOWN_CLUSTERS["devnet"]!;
  const mainnet = KNOWN_CLUSTERS["mainnet-beta"]!;
  const other = "3mA4fq9x19e7kCDVA4Bx8WUDrcDp5omBp6A4ksBpxnjq";

  it("names a public cluster by its genesis hash, whatever the RPC's host says", () => {
    expect(clusterName("https://rpc.ankr.com/solana_devnet/SECRETKEY", devnet)).to.equal("devnet");
    expect(clusterName("https://devnet.example.com/?api-key=SECRET", mainnet)).to.equal("mainnet-beta");
  });

  it("names any other cluster by its genesis hash, and never puts the URL in", () => {
    const name = clusterName("https://rpc.example.com/v1/SECRETKEY?api-key=SECRET", other);
    expect(name).to.equal(other);
    expect(clusterName("https://my-devnet-proxy.example.com/KEY", other)).to.equal(other);
    // Before the genesis hash is read (messages only): the host, without path or query.
    expect(clusterName("https://rpc.example.com/v1/SECRETKEY?api-key=SECRET")).to.equal("rpc.example.com");
  });

  it("names an RPC on this machine localnet", () => {
    for (const url of ["http://127.0.0.1:8899", "http://localhost:8899", "http://[::1]:8899", "http://127.0.0.2:8899"]) {
      expect(clusterName(url, other), url).to.equal("localnet");
    }
  });
});
