pragma circom 2.1.5;

// The provenance batch circuit. Proves, for one public signal
//
//   publicHash = Poseidon(registryRoot, batchRoot, count, minTs, maxTs)
//
// that batchRoot is the Poseidon Merkle root of B = 2^batchLevels leaves, of which the first
// `count` (1 <= count <= B) are leaves of records and the rest are 0, and that every record
// i < count
//   - has a valid EdDSA-Poseidon signature over its message by key A,
//   - was signed by a key whose nodeId = Poseidon(Ax, Ay) is a leaf of the registry tree
//     whose root is registryRoot,
//   - has minTs <= timestamp <= maxTs,
//   - differs from every other record of the batch (no duplicate leaves).
// Record math (message, nodeId, leaf) is exactly the SDK's: client-sdk/src/record.ts.
//
// One public signal instead of five: each extra public input costs the on-chain verifier a
// G1 multiplication and addition (~4-6k CU), while the program recomputes this hash with the
// Poseidon syscall for ~2k CU, and the circuit pays one Poseidon(5) (~320 constraints) per batch.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";

// ASCII "provenance.record.v1" as a big-endian integer (DOMAIN_RECORD_V1 in the SDK).
function DOMAIN_RECORD_V1() {
    return 641958961036785396178669751930222399557626394161;
}

// Root of a Merkle path of fixed depth. pathIndices[h] = 1 when the node at height h is a
// right child. The depth is fixed, so a path cannot stop at an inner node: a leaf proven here
// is a leaf of the tree.
template MerklePathRoot(levels) {
    signal input leaf;
    signal input pathElements[levels];
    signal input pathIndices[levels];
    signal output root;

    signal nodes[levels + 1];
    signal left[levels];
    component hashers[levels];
    nodes[0] <== leaf;
    for (var h = 0; h < levels; h++) {
        // A path index that is not a bit would let the prover mix node and sibling freely.
        pathIndices[h] * (1 - pathIndices[h]) === 0;
        // left = index ? sibling : node; right = node + sibling - left (linear, free).
        left[h] <== nodes[h] + pathIndices[h] * (pathElements[h] - nodes[h]);
        hashers[h] = Poseidon(2);
        hashers[h].inputs[0] <== left[h];
        hashers[h].inputs[1] <== nodes[h] + pathElements[h] - left[h];
        nodes[h + 1] <== hashers[h].out;
    }
    root <== nodes[levels];
}

// Root of a full binary tree over 2^levels leaves.
template TreeRoot(levels) {
    var n = 1 << levels;
    signal input leaves[n];
    signal output root;

    component hashers[n - 1];
    signal nodes[2 * n - 1];
    // nodes[0..n) are the leaves, then each level above in order; nodes[2n-2] is the root.
    for (var i = 0; i < n; i++) nodes[i] <== leaves[i];
    for (var i = 0; i < n - 1; i++) {
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== nodes[2 * i];
        hashers[i].inputs[1] <== nodes[2 * i + 1];
        nodes[n + i] <== hashers[i].out;
    }
    root <== nodes[2 * n - 2];
}

// One slot of the batch. When enabled = 0 (padding) nothing about the inputs is checked and
// the slot's leaf is forced to 0.
template RecordSlot(registryLevels) {
    signal input enabled;
    signal input urlHi;
    signal input urlLo;
    signal input contentHi;
    signal input contentLo;
    signal input timestamp;
    signal input Ax;
    signal input Ay;
    signal input S;
    signal input R8x;
    signal input R8y;
    signal input registryPath[registryLevels];
    signal input registryIndices[registryLevels];
    signal input registryRoot;
    signal input minTs;
    signal input maxTs;
    signal output leaf;

    // message binds the timestamp checked below to what the node signed.
    component message = Poseidon(6);
    message.inputs[0] <== DOMAIN_RECORD_V1();
    message.inputs[1] <== urlHi;
    message.inputs[2] <== urlLo;
    message.inputs[3] <== contentHi;
    message.inputs[4] <== contentLo;
    message.inputs[5] <== timestamp;

    component nodeId = Poseidon(2);
    nodeId.inputs[0] <== Ax;
    nodeId.inputs[1] <== Ay;

    component rawLeaf = Poseidon(2);
    rawLeaf.inputs[0] <== message.out;
    rawLeaf.inputs[1] <== nodeId.out;
    // Padding leaves are 0 by construction, whatever the prover puts in a disabled slot.
    leaf <== rawLeaf.out * enabled;

    // The signature: S < subgroup order, 8A not the identity, S*B8 = R8 + 8*H(R8, A, M)*A.
    // circomlib does not check that A and R8 are on the curve; a key off the curve has no
    // nodeId in the registry (the registry only admits keys the SDK decoded and checked), and
    // R8 off the curve cannot satisfy the equation for an honest key.
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== enabled;
    sig.Ax <== Ax;
    sig.Ay <== Ay;
    sig.S <== S;
    sig.R8x <== R8x;
    sig.R8y <== R8y;
    sig.M <== message.out;

    // Registry membership of this record's node: its nodeId is a leaf under registryRoot.
    // A revoked node's leaf is 0, so it fails here.
    component member = MerklePathRoot(registryLevels);
    member.leaf <== nodeId.out;
    for (var h = 0; h < registryLevels; h++) {
        member.pathElements[h] <== registryPath[h];
        member.pathIndices[h] <== registryIndices[h];
    }
    component memberCheck = ForceEqualIfEnabled();
    memberCheck.enabled <== enabled;
    memberCheck.in[0] <== member.root;
    memberCheck.in[1] <== registryRoot;

    // Time window. LessEqThan(64) is only sound for inputs below 2^64, hence the range check
    // (padding slots carry timestamp 0, which passes it).
    component tsBits = Num2Bits(64);
    tsBits.in <== timestamp;
    component afterMin = LessEqThan(64);
    afterMin.in[0] <== minTs;
    afterMin.in[1] <== timestamp;
    component beforeMax = LessEqThan(64);
    beforeMax.in[0] <== timestamp;
    beforeMax.in[1] <== maxTs;
    (1 - afterMin.out) * enabled === 0;
    (1 - beforeMax.out) * enabled === 0;
}

template Batch(batchLevels, registryLevels) {
    var B = 1 << batchLevels;

    signal input publicHash;

    signal input registryRoot;
    signal input batchRoot;
    signal input count;
    signal input minTs;
    signal input maxTs;

    signal input enabled[B];
    signal input urlHi[B];
    signal input urlLo[B];
    signal input contentHi[B];
    signal input contentLo[B];
    signal input timestamp[B];
    signal input Ax[B];
    signal input Ay[B];
    signal input S[B];
    signal input R8x[B];
    signal input R8y[B];
    signal input registryPath[B][registryLevels];
    signal input registryIndices[B][registryLevels];
    // One entry per pair i < j, in order (0,1), (0,2), ..., (B-2,B-1): 1/(leaf_i - leaf_j)
    // when slot j is a record, else 0.
    signal input distinctInv[B * (B - 1) \ 2];

    // The public hash commits to every statement parameter; the program recomputes it.
    component statement = Poseidon(5);
    statement.inputs[0] <== registryRoot;
    statement.inputs[1] <== batchRoot;
    statement.inputs[2] <== count;
    statement.inputs[3] <== minTs;
    statement.inputs[4] <== maxTs;
    statement.out === publicHash;

    // enabled is a prefix of ones: bits, non-increasing, starting with 1, summing to count.
    // This fixes 1 <= count <= B and enabled[i] = (i < count) without comparators.
    enabled[0] === 1;
    var total = 0;
    for (var i = 0; i < B; i++) {
        enabled[i] * (1 - enabled[i]) === 0;
        if (i > 0) {
            enabled[i] * (1 - enabled[i - 1]) === 0;
        }
        total += enabled[i];
    }
    total === count;

    // The window bounds must be 64-bit numbers for the comparators in each slot to be sound.
    component minBits = Num2Bits(64);
    minBits.in <== minTs;
    component maxBits = Num2Bits(64);
    maxBits.in <== maxTs;

    component slots[B];
    component tree = TreeRoot(batchLevels);
    for (var i = 0; i < B; i++) {
        slots[i] = RecordSlot(registryLevels);
        slots[i].enabled <== enabled[i];
        slots[i].urlHi <== urlHi[i];
        slots[i].urlLo <== urlLo[i];
        slots[i].contentHi <== contentHi[i];
        slots[i].contentLo <== contentLo[i];
        slots[i].timestamp <== timestamp[i];
        slots[i].Ax <== Ax[i];
        slots[i].Ay <== Ay[i];
        slots[i].S <== S[i];
        slots[i].R8x <== R8x[i];
        slots[i].R8y <== R8y[i];
        for (var h = 0; h < registryLevels; h++) {
            slots[i].registryPath[h] <== registryPath[i][h];
            slots[i].registryIndices[h] <== registryIndices[i][h];
        }
        slots[i].registryRoot <== registryRoot;
        slots[i].minTs <== minTs;
        slots[i].maxTs <== maxTs;
        tree.leaves[i] <== slots[i].leaf;
    }
    tree.root === batchRoot;

    // No two records are equal: for i < j < count, leaf_i - leaf_j has an inverse. One
    // constraint per pair (IsZero would take two). Slot j enabled implies slot i enabled.
    var pair = 0;
    for (var i = 0; i < B; i++) {
        for (var j = i + 1; j < B; j++) {
            (slots[i].leaf - slots[j].leaf) * distinctInv[pair] === enabled[j];
            pair++;
        }
    }
}
