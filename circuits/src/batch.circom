pragma circom 2.1.5;

// The provenance batch circuit, v2 (docs/circuit-v2.md). Proves, for one public signal
//
//   publicHash = Poseidon(registryRoot, batchRoot, count, minTs, maxTs)
//
// that batchRoot is the Poseidon Merkle root of B = 2^batchLevels leaves, of which `count`
// (1 <= count <= B) are leaves of records and the rest are 0, and that every record
//   - was signed, alone (a v1 record) or as one of a chunk of 1..16 records of one node (one
//     EdDSA-Poseidon signature over the chunk digest), by a key A,
//   - whose nodeId = Poseidon(Ax, Ay) is a leaf of the registry tree under registryRoot,
//   - has minTs <= timestamp <= maxTs,
//   - differs from every other record of the batch (no duplicate leaves).
// Record math (message, nodeId, leaf) is exactly the SDK's: client-sdk/src/record.ts; the
// chunk digest is the SDK's chunkDigest (docs/circuit-v2.md, "Chunk digest").
//
// Layout. Record slot i (B of them) holds one record or padding. The slots are cut into
// G = B / C regions of C = 2^chunkLevels consecutive slots; region g is slots [g*C, (g+1)*C)
// and carries ONE signature: over its chunk's digest, or (isV1[g] = 1) over the v1 message of
// its single record. K = signerSlots signer slots each carry one key and ONE registry path;
// every non-empty region selects one of them. So the two expensive parts, the EdDSA verifier
// (~4.2k constraints) and the registry path (~242 per level), are paid per region and per
// distinct signer, not per record. With chunkLevels = 0 (the "single" shape) every region is
// one v1 record and no chunk digest is built.
//
// One public signal instead of five: each extra public input costs the on-chain verifier a
// G1 multiplication and addition (~4-6k CU), while the program recomputes this hash with the
// Poseidon syscall for ~2k CU, and the circuit pays one Poseidon(5) (~320 constraints) per batch.
// The statement is the same as v1's: the program does not need to know how records were signed.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/eddsaposeidon.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/bitify.circom";

// ASCII "provenance.record.v1" as a big-endian integer (DOMAIN_RECORD_V1 in the SDK).
function DOMAIN_RECORD_V1() {
    return 641958961036785396178669751930222399557626394161;
}

// ASCII "provenance.chunk.v1" as a big-endian integer (DOMAIN_CHUNK_V1 in the SDK).
function DOMAIN_CHUNK_V1() {
    return 2507652191549942953822928717397431549426562609;
}

// The chunk tree has this fixed depth (16 leaves) whatever the circuit's chunk size, so the
// signed digest does not depend on the deployment (CHUNK_LEVELS in the SDK).
function CHUNK_LEVELS() {
    return 4;
}

// Root of an empty Poseidon subtree of height h (0 <= h < 4): z[0] = 0, z[h+1] = H(z[h], z[h]);
// the SDK's zeroHashes(4). Constants, so climbing past a small region costs no extra witness.
function ZERO_SUBTREE(h) {
    var z[4] = [
        0,
        14744269619966411208579211824598458697587494354926760081771325075741142829156,
        7423237065226347324353380772367382631490014989348495481811164164159255474657,
        11286972368698509976183087595462810875513684078608517520839298933882497716792
    ];
    return z[h];
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

// (x, y) is on Baby Jubjub (a*x^2 + y^2 = 1 + d*x^2*y^2) when enabled = 1. circomlib's
// EdDSA verifier does not check this for A or R8, and its addition and doubling formulas are
// a group law only on the curve: an off-curve point gives the prover values the verification
// equation was never meant to accept. Gated, so padding (0, 0) passes.
template OnCurveIfEnabled() {
    signal input enabled;
    signal input x;
    signal input y;

    signal x2 <== x * x;
    signal y2 <== y * y;
    signal x2y2 <== x2 * y2;
    (168700 * x2 + y2 - 1 - 168696 * x2y2) * enabled === 0;
}

// The chunk root: the depth-4 Poseidon tree over 16 leaves whose first C = 2^chunkLevels are
// `leaves` and the rest 0 (a region holds at most C records). The C leaves are hashed as a
// full tree; the levels above chunkLevels climb with the region's root as the left child of a
// constant empty subtree, exactly the SDK's chunkRoot over [leaves..., 0, ..., 0].
template ChunkRoot(chunkLevels) {
    var C = 1 << chunkLevels;
    var climb = CHUNK_LEVELS() - chunkLevels;
    signal input leaves[C];
    signal output root;

    component region = TreeRoot(chunkLevels);
    for (var i = 0; i < C; i++) region.leaves[i] <== leaves[i];

    signal nodes[climb + 1];
    component up[climb];
    nodes[0] <== region.root;
    for (var h = 0; h < climb; h++) {
        up[h] = Poseidon(2);
        up[h].inputs[0] <== nodes[h];
        up[h].inputs[1] <== ZERO_SUBTREE(chunkLevels + h);
        nodes[h + 1] <== up[h].out;
    }
    root <== nodes[climb];
}

// One signer slot: a key, its node id and its registry membership, checked once however many
// regions select it. When enabled = 0 the slot is unused: nothing is checked and no region may
// select it (SignerSelect).
template SignerSlot(registryLevels) {
    signal input enabled;
    signal input Ax;
    signal input Ay;
    signal input registryPath[registryLevels];
    signal input registryIndices[registryLevels];
    signal input registryRoot;
    signal output nodeId;

    // A non-bit enabled would scale the gated checks below into something the prover chooses.
    enabled * (1 - enabled) === 0;

    // A on the curve. v1 relied on the registry admitting only keys the SDK decoded; checking
    // it here makes the proof sound whatever the registry's operator admitted.
    component keyOnCurve = OnCurveIfEnabled();
    keyOnCurve.enabled <== enabled;
    keyOnCurve.x <== Ax;
    keyOnCurve.y <== Ay;

    component id = Poseidon(2);
    id.inputs[0] <== Ax;
    id.inputs[1] <== Ay;
    nodeId <== id.out;

    // Registry membership: nodeId is a leaf under registryRoot. A revoked node's leaf is 0, so
    // it has no path.
    component member = MerklePathRoot(registryLevels);
    member.leaf <== id.out;
    for (var h = 0; h < registryLevels; h++) {
        member.pathElements[h] <== registryPath[h];
        member.pathIndices[h] <== registryIndices[h];
    }
    component memberCheck = ForceEqualIfEnabled();
    memberCheck.enabled <== enabled;
    memberCheck.in[0] <== member.root;
    memberCheck.in[1] <== registryRoot;
}

// A region's signer: the key and node id of the one signer slot that `sel` (one-hot) picks, or
// all zero for an empty region. The region's records take their node id from here, so a
// record's leaf names exactly the key that signed its region.
template SignerSelect(signerSlots) {
    var K = signerSlots;
    signal input enabled;
    signal input sel[K];
    signal input signerEnabled[K];
    signal input Ax[K];
    signal input Ay[K];
    signal input nodeId[K];
    signal output outAx;
    signal output outAy;
    signal output outNodeId;

    signal ax[K];
    signal ay[K];
    signal id[K];
    var picked = 0;
    var sx = 0;
    var sy = 0;
    var sid = 0;
    for (var k = 0; k < K; k++) {
        // Bits summing to `enabled`: exactly one slot for a non-empty region, none for an empty
        // one. Without the bits, weights like (2, -1) would blend two keys into one.
        sel[k] * (1 - sel[k]) === 0;
        // An unused slot's key was never checked against the registry: it must not sign.
        sel[k] * (1 - signerEnabled[k]) === 0;
        picked += sel[k];
        ax[k] <== sel[k] * Ax[k];
        ay[k] <== sel[k] * Ay[k];
        id[k] <== sel[k] * nodeId[k];
        sx += ax[k];
        sy += ay[k];
        sid += id[k];
    }
    picked === enabled;
    outAx <== sx;
    outAy <== sy;
    outNodeId <== sid;
}

// One record slot: the record's message, its leaf and the time window. When enabled = 0
// (padding) nothing about the inputs is checked and the slot's leaf is forced to 0.
template RecordSlot() {
    signal input enabled;
    signal input urlHi;
    signal input urlLo;
    signal input contentHi;
    signal input contentLo;
    signal input timestamp;
    signal input nodeId;
    signal input minTs;
    signal input maxTs;
    signal output message;
    signal output leaf;

    // message binds the timestamp checked below to what the node signed (alone, or through
    // the chunk tree built from these messages).
    component msg = Poseidon(6);
    msg.inputs[0] <== DOMAIN_RECORD_V1();
    msg.inputs[1] <== urlHi;
    msg.inputs[2] <== urlLo;
    msg.inputs[3] <== contentHi;
    msg.inputs[4] <== contentLo;
    msg.inputs[5] <== timestamp;
    message <== msg.out;

    component rawLeaf = Poseidon(2);
    rawLeaf.inputs[0] <== msg.out;
    rawLeaf.inputs[1] <== nodeId;
    // Padding leaves are 0 by construction, whatever the prover puts in a disabled slot.
    leaf <== rawLeaf.out * enabled;

    // Time window: timestamp - minTs and maxTs - timestamp are both 64-bit numbers. With minTs
    // and maxTs themselves 64-bit (checked once in Batch), minTs + sinceMin + untilMax = maxTs
    // holds over the integers (both sides are far below p), so minTs <= timestamp <= maxTs
    // with no wrap-around, and no separate range check of the timestamp is needed. Two
    // Num2Bits(64) instead of v1's range check and two LessEqThan(64).
    signal sinceMin <== enabled * (timestamp - minTs);
    signal untilMax <== enabled * (maxTs - timestamp);
    component sinceMinBits = Num2Bits(64);
    sinceMinBits.in <== sinceMin;
    component untilMaxBits = Num2Bits(64);
    untilMaxBits.in <== untilMax;
}

// A region's signature: over the chunk digest of its records, or (isV1 = 1) over the message
// of its single record. `enabled` and `message` are the region's C record slots, in order.
template RegionSignature(chunkLevels) {
    var C = 1 << chunkLevels;
    signal input enabled[C];
    signal input message[C];
    signal input isV1;
    signal input Ax;
    signal input Ay;
    signal input S;
    signal input R8x;
    signal input R8y;

    // The value signed.
    signal signed;
    if (chunkLevels == 0) {
        // The single shape: every region is one v1 record, signed over its own message.
        isV1 === 1;
        signed <== message[0];
    } else {
        isV1 * (1 - isV1) === 0;
        // n = number of records in the region; they are its first n slots (Batch).
        var n = 0;
        for (var i = 0; i < C; i++) n += enabled[i];
        // A v1 region holds exactly its one record: otherwise records without any signature
        // could ride along behind a v1 record.
        isV1 * (n - 1) === 0;

        // Chunk-tree leaves are the masked messages, so padding slots are 0 leaves whatever
        // the prover put in them, as in the SDK's chunk tree.
        signal masked[C];
        for (var i = 0; i < C; i++) masked[i] <== enabled[i] * message[i];
        component root = ChunkRoot(chunkLevels);
        for (var i = 0; i < C; i++) root.leaves[i] <== masked[i];

        // chunkDigest = Poseidon(DOMAIN_CHUNK_V1, n, chunkRoot). n is bound so a prefix of a
        // chunk (a chunk split) or padding read as records has another digest; the 3-input
        // Poseidon and the tag keep it apart from any 6-input v1 message.
        component digest = Poseidon(3);
        digest.inputs[0] <== DOMAIN_CHUNK_V1();
        digest.inputs[1] <== n;
        digest.inputs[2] <== root.root;

        // signed = isV1 ? message[0] : digest.
        signed <== digest.out + isV1 * (message[0] - digest.out);
    }

    // R8 on the curve, for the reason given at OnCurveIfEnabled.
    component r8OnCurve = OnCurveIfEnabled();
    r8OnCurve.enabled <== enabled[0];
    r8OnCurve.x <== R8x;
    r8OnCurve.y <== R8y;

    // The signature, when the region holds a record: S < subgroup order, 8A not the identity
    // (small-order keys), S*B8 = R8 + 8*H(R8, A, M)*A.
    component sig = EdDSAPoseidonVerifier();
    sig.enabled <== enabled[0];
    sig.Ax <== Ax;
    sig.Ay <== Ay;
    sig.S <== S;
    sig.R8x <== R8x;
    sig.R8y <== R8y;
    sig.M <== signed;
}

template Batch(batchLevels, registryLevels, chunkLevels, signerSlots) {
    var B = 1 << batchLevels;
    var C = 1 << chunkLevels;
    var G = B \ C;
    var K = signerSlots;
    assert(chunkLevels <= batchLevels);
    assert(chunkLevels <= CHUNK_LEVELS());
    assert(K >= 1);

    signal input publicHash;

    signal input registryRoot;
    signal input batchRoot;
    signal input count;
    signal input minTs;
    signal input maxTs;

    // Per record slot.
    signal input enabled[B];
    signal input urlHi[B];
    signal input urlLo[B];
    signal input contentHi[B];
    signal input contentLo[B];
    signal input timestamp[B];
    // Per region.
    signal input isV1[G];
    signal input signerSel[G][K];
    signal input S[G];
    signal input R8x[G];
    signal input R8y[G];
    // Per signer slot.
    signal input signerEnabled[K];
    signal input Ax[K];
    signal input Ay[K];
    signal input registryPath[K][registryLevels];
    signal input registryIndices[K][registryLevels];
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

    // enabled are bits summing to count, slot 0 holds a record (so count >= 1), and inside a
    // region they are a prefix: a chunk's records sit in its first n slots, so the chunk tree
    // has no padding leaf between records and n below counts exactly the signed leaves.
    // Regions themselves may be empty anywhere: padding leaves are 0 wherever they are and
    // distinctness below does not rely on an order.
    enabled[0] === 1;
    var total = 0;
    for (var i = 0; i < B; i++) {
        enabled[i] * (1 - enabled[i]) === 0;
        if (i % C != 0) {
            enabled[i] * (1 - enabled[i - 1]) === 0;
        }
        total += enabled[i];
    }
    total === count;

    // The window bounds must be 64-bit numbers for the window check in each slot to be sound.
    component minBits = Num2Bits(64);
    minBits.in <== minTs;
    component maxBits = Num2Bits(64);
    maxBits.in <== maxTs;

    // Signer slots: each key checked (curve, registry) once.
    component signers[K];
    for (var k = 0; k < K; k++) {
        signers[k] = SignerSlot(registryLevels);
        signers[k].enabled <== signerEnabled[k];
        signers[k].Ax <== Ax[k];
        signers[k].Ay <== Ay[k];
        for (var h = 0; h < registryLevels; h++) {
            signers[k].registryPath[h] <== registryPath[k][h];
            signers[k].registryIndices[h] <== registryIndices[k][h];
        }
        signers[k].registryRoot <== registryRoot;
    }

    // Each region's signer, selected by the region's first slot: a non-empty region has one.
    component select[G];
    for (var g = 0; g < G; g++) {
        select[g] = SignerSelect(K);
        select[g].enabled <== enabled[g * C];
        for (var k = 0; k < K; k++) {
            select[g].sel[k] <== signerSel[g][k];
            select[g].signerEnabled[k] <== signerEnabled[k];
            select[g].Ax[k] <== Ax[k];
            select[g].Ay[k] <== Ay[k];
            select[g].nodeId[k] <== signers[k].nodeId;
        }
    }

    component slots[B];
    component tree = TreeRoot(batchLevels);
    for (var i = 0; i < B; i++) {
        slots[i] = RecordSlot();
        slots[i].enabled <== enabled[i];
        slots[i].urlHi <== urlHi[i];
        slots[i].urlLo <== urlLo[i];
        slots[i].contentHi <== contentHi[i];
        slots[i].contentLo <== contentLo[i];
        slots[i].timestamp <== timestamp[i];
        slots[i].nodeId <== select[i \ C].outNodeId;
        slots[i].minTs <== minTs;
        slots[i].maxTs <== maxTs;
        tree.leaves[i] <== slots[i].leaf;
    }

    // One signature per region, by the region's selected signer.
    component regions[G];
    for (var g = 0; g < G; g++) {
        regions[g] = RegionSignature(chunkLevels);
        for (var c = 0; c < C; c++) {
            regions[g].enabled[c] <== enabled[g * C + c];
            regions[g].message[c] <== slots[g * C + c].message;
        }
        regions[g].isV1 <== isV1[g];
        regions[g].Ax <== select[g].outAx;
        regions[g].Ay <== select[g].outAy;
        regions[g].S <== S[g];
        regions[g].R8x <== R8x[g];
        regions[g].R8y <== R8y[g];
    }

    // The root covers all B slots, padding included (0 leaves), so a record's leaf index is
    // its slot.
    tree.root === batchRoot;

    // No two records are equal: for every pair i < j with slot j a record, leaf_i - leaf_j has
    // an inverse. One constraint per pair (IsZero would take two). Sound for any placement of
    // padding: if slot j is padding the right side is 0 and any inverse (0) works; if slot i
    // is padding and j a record, leaf_i = 0 and leaf_j != 0 (a Poseidon output is 0 with
    // negligible probability), so an inverse exists, as it must.
    var pair = 0;
    for (var i = 0; i < B; i++) {
        for (var j = i + 1; j < B; j++) {
            (slots[i].leaf - slots[j].leaf) * distinctInv[pair] === enabled[j];
            pair++;
        }
    }
}
