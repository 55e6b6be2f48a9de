// Minimal types for the parts of snarkjs 0.7.6 this project uses (it ships none).
// Keep additions additive: several parts of the project declare what they use here.
declare module "snarkjs" {
  /** snarkjs's logger: any object with these methods (console-like). */
  export interface SnarkjsLogger {
    debug(msg: string): void;
    info(msg: string): void;
    warn(msg: string): void;
    error(msg: string): void;
  }

  export type FileOrBuffer = string | Uint8Array | { type: "mem"; data?: Uint8Array };

  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }

  export interface VerificationKey {
    protocol: string;
    curve: string;
    nPublic: number;
    vk_alpha_1: string[];
    vk_beta_2: string[][];
    vk_gamma_2: string[][];
    vk_delta_2: string[][];
    vk_alphabeta_12: string[][][];
    IC: string[][];
    [key: string]: unknown;
  }

  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasmFile: FileOrBuffer,
      zkeyFile: FileOrBuffer,
      logger?: SnarkjsLogger,
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(
      zkeyFile: FileOrBuffer,
      witnessFile: FileOrBuffer,
      logger?: SnarkjsLogger,
      options?: { singleThread?: boolean },
    ): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(
      vk: VerificationKey,
      publicSignals: Array<string | bigint>,
      proof: Groth16Proof,
      logger?: SnarkjsLogger,
    ): Promise<boolean>;
  };

  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: SnarkjsLogger): Promise<Uint8Array>;
    contribute(
      oldPtau: string,
      newPtau: string,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array>;
    beacon(
      oldPtau: string,
      newPtau: string,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number | string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array | false>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: SnarkjsLogger): Promise<void>;
    verify(ptau: string, logger?: SnarkjsLogger): Promise<boolean>;
  };

  export const zKey: {
    /** Returns the circuit hash, or -1 on a (logged) error. */
    newZKey(r1cs: FileOrBuffer, ptau: FileOrBuffer, zkey: FileOrBuffer, logger?: SnarkjsLogger): Promise<Uint8Array | -1>;
    /** Returns the contribution hash; throws or returns false/undefined on error depending on the case. */
    contribute(
      zkeyOld: FileOrBuffer,
      zkeyNew: FileOrBuffer,
      name: string,
      entropy: string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array>;
    beacon(
      zkeyOld: FileOrBuffer,
      zkeyNew: FileOrBuffer,
      name: string,
      beaconHashHex: string,
      numIterationsExp: number | string,
      logger?: SnarkjsLogger,
    ): Promise<Uint8Array | false | undefined>;
    verifyFromR1cs(r1cs: FileOrBuffer, ptau: FileOrBuffer, zkey: FileOrBuffer, logger?: SnarkjsLogger): Promise<boolean>;
    verifyFromInit(zkeyInit: FileOrBuffer, ptau: FileOrBuffer, zkey: FileOrBuffer, logger?: SnarkjsLogger): Promise<boolean>;
    exportVerificationKey(zkey: FileOrBuffer, logger?: SnarkjsLogger): Promise<VerificationKey>;
  };

  export const r1cs: {
    info(r1csFile: FileOrBuffer, logger?: SnarkjsLogger): Promise<{
      nConstraints: number;
      nPubInputs: number;
      nOutputs: number;
      nPrvInputs: number;
      nVars: number;
      nLabels: number;
      prime: bigint;
      curve: unknown;
    }>;
  };

  export const curves: {
    getCurveFromName(name: string): Promise<unknown>;
  };

  export const wtns: {
    /** Runs the circuit's witness generator; throws when an assertion (===) fails. */
    calculate(input: Record<string, unknown>, wasmFile: FileOrBuffer, wtnsFile: FileOrBuffer): Promise<void>;
    /** Checks a witness against every R1CS constraint. */
    check(r1csFile: FileOrBuffer, wtnsFile: FileOrBuffer, logger?: SnarkjsLogger): Promise<boolean>;
  };
}
