/**
 * Naming program errors, and web3.js's two confirmation outcomes. The real-component check is
 * tests/localnet.test.ts, which confirms a failed transaction on the local chain.
 */
import { expect } from "chai";
import { confirmationError, programErrorOf } from "../src/chain.js";

describe("chain: program errors and confirmation outcomes", function () {
  it("names a custom program error from the IDL", function () {
    expect(programErrorOf({ InstructionError: [1, { Custom: 6003 }] })).to.deep.include({ name: "WrongBatchIndex", number: 6003 });
    expect(programErrorOf({ InstructionError: [0, { Custom: 1 }] })).to.deep.equal({ name: "Custom(1)", number: 1, msg: "" });
    expect(programErrorOf({ InstructionError: [0, "InvalidAccountData"] })).to.equal(null);
    expect(programErrorOf("AccountInUse")).to.equal(null);
    expect(programErrorOf(null)).to.equal(null);
  });

  it("reads the error whether confirmTransaction resolves with it or rejects with it", async function () {
    const err = { InstructionError: [0, { Custom: 6000 }] };
    expect(await confirmationError(Promise.resolve({ value: { err } }))).to.deep.equal(err);
    expect(await confirmationError(Promise.reject(err))).to.deep.equal(err);
    expect(await confirmationError(Promise.reject("AccountInUse"))).to.equal("AccountInUse");
    expect(await confirmationError(Promise.resolve({ value: { err: null } }))).to.equal(null);
  });

  it("rethrows a real failure (timeout, expiry, network)", async function () {
    const thrown = await confirmationError(Promise.reject(new Error("block height exceeded"))).catch((e: unknown) => e);
    expect(thrown).to.be.instanceOf(Error);
    expect((thrown as Error).message).to.equal("block height exceeded");
  });
});
