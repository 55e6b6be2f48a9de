/** Key files are never read when group or others can read them (the Solana keypair included). */
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { Keypair } from "@solana/web3.js";
import { loadSolanaKeypair } from "../src/chain.js";
import { tempDir } from "./helpers.js";

describe("sequencer secrets", () => {
  it("refuses a Solana keypair file readable by others, and reads one at 0600", () => {
    const t = tempDir("secrets");
    try {
      const file = path.join(t.dir, "keypair.json");
      const kp = Keypair.generate();
      writeFileSync(file, JSON.stringify(Array.from(kp.secretKey)), { mode: 0o644 });
      chmodSync(file, 0o644);
      expect(() => loadSolanaKeypair(file, false)).to.throw(`${file} is readable by others (mode 644); chmod 600 it`);
      chmodSync(file, 0o600);
      expect(loadSolanaKeypair(file, false).keypair.publicKey.toBase58()).to.equal(kp.publicKey.toBase58());
      const made = loadSolanaKeypair(path.join(t.dir, "new.json"), true);
      expect(made.created).to.equal(true);
      expect(loadSolanaKeypair(path.join(t.dir, "new.json"), false).keypair.publicKey.toBase58()).to.equal(made.keypair.publicKey.toBase58());
    } finally {
      t.remove();
    }
  });
});
