#!/usr/bin/env node
// Recomputes a pre-queue shuffle from what Guichet published, so a candidate
// or a journalist can check it without trusting Guichet:
//   node scripts/verify-shuffle.mjs https://guichet.example/guichet/api/fairness?event=csq-2016-06
//   node scripts/verify-shuffle.mjs fairness.json
// It checks that SHA-256(seed) is the commitment published before the
// pre-queue opened, recomputes the order (public ids sorted on
// HMAC-SHA256(seed, publicId)) and compares it with the published numbers.
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";

export function verify(published) {
  const problems = [];
  const { commitment, seed, tickets } = published;
  if (!seed) return { ok: false, problems: ["the seed is not revealed yet (the shuffle happens at the opening)"] };
  const recomputed = createHash("sha256").update(Buffer.from(seed, "hex")).digest("hex");
  if (recomputed !== commitment) problems.push(`SHA-256(seed) = ${recomputed}, but the commitment was ${commitment}`);
  const order = tickets
    .map((t) => ({ id: t.publicId, key: createHmac("sha256", Buffer.from(seed, "hex")).update(t.publicId).digest("hex") }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  const expected = new Map(order.map((t, i) => [t.id, i + 1]));
  for (const t of tickets) {
    if (expected.get(t.publicId) !== t.number) problems.push(`ticket ${t.publicId}: published number ${t.number}, recomputed ${expected.get(t.publicId)}`);
  }
  return { ok: problems.length === 0, problems, count: tickets.length };
}

async function main() {
  const source = process.argv[2];
  if (!source) {
    console.error("usage: node scripts/verify-shuffle.mjs <fairness URL or JSON file>");
    process.exit(2);
  }
  const published = /^https?:/.test(source) ? await (await fetch(source)).json() : JSON.parse(readFileSync(source, "utf8"));
  const result = verify(published);
  if (result.ok) {
    console.log(`OK: the commitment matches the seed and all ${result.count} pre-queue numbers match the recomputed order.`);
  } else {
    console.log(`MISMATCH:\n${result.problems.slice(0, 20).join("\n")}`);
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
