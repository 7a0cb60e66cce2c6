// The entry puzzle's solver, run in a worker thread (served as
// /guichet/assets/pow.js): finds a nonce such that SHA-256(challenge + ":" +
// nonce) starts with `difficulty` zero bits. About a second for a person;
// a script that wants a thousand numbers pays a thousand times.
"use strict";
const encoder = new TextEncoder();

/** Leading zero bits of a digest (the server counts them alike: src/auth/pow.ts). */
function zeroBits(bytes) {
  let bits = 0;
  for (const b of bytes) {
    bits += Math.clz32(b) - 24; // 8 for a zero byte
    if (b !== 0) break;
  }
  return bits;
}

self.onmessage = async (event) => {
  const { challenge, difficulty } = event.data;
  for (let nonce = 0; ; nonce++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${nonce}`)));
    if (zeroBits(digest) >= difficulty) {
      self.postMessage({ nonce: String(nonce) });
      return;
    }
  }
};
