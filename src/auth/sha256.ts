// HMAC-SHA256 (RFC 2104 over FIPS 180-4's SHA-256), synchronous, in plain
// JavaScript. The gateway's MACs are over short strings (a ticket is under 100
// bytes: two blocks of SHA-256 once the key's pads are hashed, which is done
// once per key), and there WebCrypto's own cost is the call, not the hash: a
// promise, an await and a copy into the runtime, several times the two
// blocks. Tested on RFC 4231's vectors, and against WebCrypto on random keys
// and messages of every length around the block edges (test/sha256.test.ts).
// Nothing here branches or indexes on secret data.

const K = Uint32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);
const INITIAL = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);
const BLOCK = 64;

// Scratch space, reused: everything here is synchronous.
const w = new Uint32Array(64);
/** The running state of the hash being computed. */
const state = new Uint32Array(8);

/** Reads the 64-byte block of `bytes` at `at` into w[0..15], big-endian. */
function load(bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) w[i] = (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/** Mixes the block in w[0..15] into `state`. */
function compress(): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = w[i - 16]! + s0 + w[i - 7]! + s1;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0]! += a;
  state[1]! += b;
  state[2]! += c;
  state[3]! += d;
  state[4]! += e;
  state[5]! += f;
  state[6]! += g;
  state[7]! += h;
}

/**
 * Hashes `message` into `state`, which has already absorbed `before` bytes
 * (whole blocks): every whole block, then the rest with its padding and
 * length, written into w directly (no copy of the message).
 */
function absorb(message: Uint8Array, before: number): void {
  let at = 0;
  for (; at + BLOCK <= message.length; at += BLOCK) {
    load(message, at);
    compress();
  }
  const rest = message.length - at;
  w.fill(0, 0, 16);
  for (let i = 0; i < rest; i++) w[i >> 2]! |= message[at + i]! << (24 - 8 * (i & 3));
  w[rest >> 2]! |= 0x80 << (24 - 8 * (rest & 3));
  if (rest + 9 > BLOCK) {
    compress();
    w.fill(0, 0, 16);
  }
  const bits = (before + message.length) * 8;
  w[14] = Math.floor(bits / 0x100000000);
  w[15] = bits >>> 0;
  compress();
}

/** The state as 32 bytes, big-endian. */
function digest(): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  return out;
}

export function sha256(message: Uint8Array): Uint8Array {
  state.set(INITIAL);
  absorb(message, 0);
  return digest();
}

/** The state after absorbing one 64-byte block from the initial state. */
function afterBlock(block: Uint8Array): Uint32Array {
  state.set(INITIAL);
  load(block, 0);
  compress();
  return state.slice();
}

/** HMAC-SHA256 under one key; the key's inner and outer pads are hashed once, here. */
export class HmacSha256 {
  private readonly inner: Uint32Array;
  private readonly outer: Uint32Array;

  constructor(key: Uint8Array) {
    const k = key.length > BLOCK ? sha256(key) : key;
    const pad = new Uint8Array(BLOCK);
    pad.set(k);
    for (let i = 0; i < BLOCK; i++) pad[i]! ^= 0x36;
    this.inner = afterBlock(pad);
    for (let i = 0; i < BLOCK; i++) pad[i]! ^= 0x36 ^ 0x5c;
    this.outer = afterBlock(pad);
  }

  /**
   * The inner hash over the message, then the outer hash over its 32 bytes:
   * one block, taken from the inner state's words as they are (the bytes
   * would be read back into the same words), with its padding and length
   * (64 + 32 bytes).
   */
  mac(message: Uint8Array): Uint8Array {
    state.set(this.inner);
    absorb(message, BLOCK);
    for (let i = 0; i < 8; i++) w[i] = state[i]!;
    w[8] = 0x80000000;
    w.fill(0, 9, 15);
    w[15] = (BLOCK + 32) * 8;
    state.set(this.outer);
    compress();
    return digest();
  }
}

/** Whether two byte strings are equal, in time that depends only on their lengths. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
