/**
 * The one way tests assert a refusal: `fn` must throw (or reject with) a ProvenanceError whose
 * `code` is `code` and whose message equals `message` (a string) or matches it (a RegExp).
 * Returns the error for further checks.
 */
import { expect } from "chai";
import { ProvenanceError } from "@provenance/client-sdk/errors";

type Coded = ProvenanceError;

function check(err: unknown, code: string, message: RegExp | string): Coded {
  expect(err, `expected a ProvenanceError with code ${code}, got ${String(err)}`).to.be.instanceOf(ProvenanceError);
  const e = err as Coded;
  expect(e.code, `refused with the wrong code (message: ${e.message})`).to.equal(code);
  if (typeof message === "string") expect(e.message).to.equal(message);
  else expect(e.message).to.match(message);
  return e;
}

const notRefused = (code: string): Error => new Error(`expected a refusal with code ${code}, but it succeeded`);

export function expectRefusal(fn: () => Promise<unknown>, code: string, message: RegExp | string): Promise<Coded>;
export function expectRefusal(fn: () => unknown, code: string, message: RegExp | string): Coded;
export function expectRefusal(fn: () => unknown, code: string, message: RegExp | string): Coded | Promise<Coded> {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    return check(err, code, message);
  }
  if (result instanceof Promise) {
    return result.then(
      () => {
        throw notRefused(code);
      },
      (err: unknown) => check(err, code, message),
    );
  }
  throw notRefused(code);
}
