/**
 * BLAKE-512 (the SHA-3 finalist, not BLAKE2): circomlibjs derives EdDSA keys and nonces with
 * it (through the `blake-hash` package, which needs Node's Buffer). This self-contained copy
 * keeps the SDK's key code free of Node-only imports; tests check it against `blake-hash`.
 * Speed is irrelevant here (two short hashes per signature), so it uses BigInt words.
 */

const MASK = (1n << 64n) - 1n;

const IV = [
  0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];

const C = [
  0x243f6a8885a308d3n, 0x13198a2e03707344n, 0xa4093822299f31d0n, 0x082efa98ec4e6c89n,
  0x452821e638d01377n, 0xbe5466cf34e90c6cn, 0xc0ac29b7c97c50ddn, 0x3f84d5b5b5470917n,
  0x9216d5d98979fb1bn, 0xd1310ba698dfb5acn, 0x2ffd72dbd01adfb7n, 0xb8e1afed6a267e96n,
  0xba7c9045f12c7f99n, 0x24a19947b3916cf7n, 0x0801f2e2858efc16n, 0x636920d871574e69n,
];

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

function rotr(x: bigint, n: bigint): bigint {
  return ((x >> n) | (x << (64n - n))) & MASK;
}

function compress(h: bigint[], block: Uint8Array, counterBits: bigint): void {
  const m: bigint[] = [];
  for (let i = 0; i < 16; i++) {
    let w = 0n;
    for (let j = 0; j < 8; j++) w = (w << 8n) | BigInt(block[i * 8 + j]!);
    m.push(w);
  }
  const t0 = counterBits & MASK;
  const t1 = (counterBits >> 64n) & MASK;
  const v = [
    ...h,
    C[0]!, C[1]!, C[2]!, C[3]!,
    t0 ^ C[4]!, t0 ^ C[5]!, t1 ^ C[6]!, t1 ^ C[7]!,
  ];
  const g = (r: number, i: number, a: number, b: number, c: number, d: number): void => {
    const s = SIGMA[r % 10]!;
    const x = s[2 * i]!;
    const y = s[2 * i + 1]!;
    v[a] = (v[a]! + v[b]! + (m[x]! ^ C[y]!)) & MASK;
    v[d] = rotr(v[d]! ^ v[a]!, 32n);
    v[c] = (v[c]! + v[d]!) & MASK;
    v[b] = rotr(v[b]! ^ v[c]!, 25n);
    v[a] = (v[a]! + v[b]! + (m[y]! ^ C[x]!)) & MASK;
    v[d] = rotr(v[d]! ^ v[a]!, 16n);
    v[c] = (v[c]! + v[d]!) & MASK;
    v[b] = rotr(v[b]! ^ v[c]!, 11n);
  };
  for (let r = 0; r < 16; r++) {
    g(r, 0, 0, 4, 8, 12);
    g(r, 1, 1, 5, 9, 13);
    g(r, 2, 2, 6, 10, 14);
    g(r, 3, 3, 7, 11, 15);
    g(r, 4, 0, 5, 10, 15);
    g(r, 5, 1, 6, 11, 12);
    g(r, 6, 2, 7, 8, 13);
    g(r, 7, 3, 4, 9, 14);
  }
  for (let i = 0; i < 8; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 8]!;
}

/** BLAKE-512 of `data` (64 bytes), as `createBlakeHash("blake512").update(data).digest()`. */
export function blake512(data: Uint8Array): Uint8Array {
  const h = IV.slice();
  const len = data.length;
  const bitLen = BigInt(len) * 8n;
  let offset = 0;
  // Every full block except the last block holding message bytes.
  while (len - offset > 128) {
    compress(h, data.subarray(offset, offset + 128), BigInt(offset + 128) * 8n);
    offset += 128;
  }
  const rest = len - offset; // 0..128
  // Padding: 0x80, zeros, a final 1 bit before the length, 128-bit big-endian bit length.
  const padded = new Uint8Array(rest <= 111 ? 128 : 256);
  padded.set(data.subarray(offset), 0);
  padded[rest] = 0x80;
  padded[padded.length - 17] = padded[padded.length - 17]! | 0x01;
  for (let i = 0; i < 16; i++) padded[padded.length - 1 - i] = Number((bitLen >> BigInt(8 * i)) & 0xffn);
  // The counter is the number of message bits hashed up to the end of the block; a block
  // holding only padding counts zero.
  compress(h, padded.subarray(0, 128), bitLen);
  if (padded.length === 256) compress(h, padded.subarray(128), 0n);
  const out = new Uint8Array(64);
  for (let i = 0; i < 8; i++) {
    for (let j = 0; j < 8; j++) out[i * 8 + j] = Number((h[i]! >> BigInt(56 - 8 * j)) & 0xffn);
  }
  return out;
}
