// The fair opening's pure parts: the shuffle's commitment and order, the
// proof of work's challenges and checks, and the puzzle asked per address.
import { createHash } from "node:crypto";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkSolution, issueChallenge, leadingZeroBits } from "../src/auth/pow";
import { ADDRESS_CEILING_PER_MINUTE, addressLevel, arrivalDifficulty, commitmentOf, drawKey, drawOrder, newSeed, publicIdOf } from "../src/domain/fairness";

async function solve(challenge: string, difficulty: number): Promise<string> {
  for (let n = 0; ; n++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${challenge}:${n}`)));
    if (leadingZeroBits(digest) >= difficulty) return String(n);
  }
}

describe("the shuffle", () => {
  it("commits to the seed with SHA-256 and orders by HMAC-SHA256(seed, publicId)", () => {
    const seed = newSeed();
    expect(seed).toMatch(/^[0-9a-f]{64}$/);
    expect(commitmentOf(seed)).toBe(createHash("sha256").update(Buffer.from(seed, "hex")).digest("hex"));
    const ids = Array.from({ length: 1000 }, (_, i) => publicIdOf(`ticket-${i}`));
    const order = drawOrder(seed, ids);
    expect(new Set(order)).toEqual(new Set(ids));
    for (let i = 1; i < order.length; i++) expect(drawKey(seed, order[i - 1]!) < drawKey(seed, order[i]!)).toBe(true);
    // The same seed and list give the same order, whatever the list's order.
    expect(drawOrder(seed, [...ids].reverse())).toEqual(order);
    // Another seed gives another order.
    expect(drawOrder(newSeed(), ids)).not.toEqual(order);
  });

  it("does not favour early arrivals: the first tenth lands all over the order", () => {
    const ids = Array.from({ length: 5000 }, (_, i) => publicIdOf(`t-${i}`));
    const order = drawOrder(newSeed(), ids);
    const positions = ids.slice(0, 500).map((id) => order.indexOf(id));
    const median = positions.sort((a, b) => a - b)[250]!;
    expect(median).toBeGreaterThan(2000);
    expect(median).toBeLessThan(3000);
  });
});

describe("the proof of work", () => {
  it("accepts a solution of the required difficulty once issued for the event", async () => {
    const c = await issueChallenge(env.TICKET_HMAC_KEY, "e1", 8, Date.now());
    const nonce = await solve(c.challenge, 8);
    expect(await checkSolution(env.TICKET_HMAC_KEY, "e1", { challenge: c.challenge, nonce }, 8, Date.now())).toMatchObject({ ok: true, difficulty: 8 });
  });

  it("refuses a missing, wrong, foreign, forged, expired or too easy solution", async () => {
    const now = Date.now();
    const c = await issueChallenge(env.TICKET_HMAC_KEY, "e1", 8, now);
    const nonce = await solve(c.challenge, 8);
    const check = (event: string, challenge: string, n: string, min = 8, at = now) => checkSolution(env.TICKET_HMAC_KEY, event, { challenge, nonce: n }, min, at);
    expect(await checkSolution(env.TICKET_HMAC_KEY, "e1", undefined, 8, now)).toEqual({ ok: false, reason: "pow_required" });
    // A nonce that does not solve it (most do not at 8 bits; find one).
    let wrong = 0;
    while (leadingZeroBits(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${c.challenge}:${wrong}`)))) >= 8) wrong++;
    expect(await check("e1", c.challenge, String(wrong))).toEqual({ ok: false, reason: "pow_invalid" });
    expect(await check("e2", c.challenge, nonce)).toEqual({ ok: false, reason: "pow_invalid" });
    const easier = c.challenge.replace(/\.8\.([^.]+)$/, ".1.$1");
    expect(await check("e1", easier, nonce)).toEqual({ ok: false, reason: "pow_invalid" });
    expect(await check("e1", c.challenge, nonce, 8, now + 121_000)).toEqual({ ok: false, reason: "pow_expired" });
    expect(await check("e1", c.challenge, nonce, 12)).toEqual({ ok: false, reason: "pow_too_easy" });
    expect(await check("e1", c.challenge, "12abc")).toEqual({ ok: false, reason: "pow_invalid" });
  });

  it("counts leading zero bits", () => {
    expect(leadingZeroBits(new Uint8Array([0, 0, 0x0f]))).toBe(20);
    expect(leadingZeroBits(new Uint8Array([0x80]))).toBe(0);
    expect(leadingZeroBits(new Uint8Array([0x01, 0xff]))).toBe(7);
    expect(leadingZeroBits(new Uint8Array([0, 0]))).toBe(16);
  });
});

describe("the puzzle asked per address", () => {
  it.each([
    [0, 0],
    [1, 0],
    [32, 0],
    [33, 1],
    [64, 1],
    [65, 2],
    [128, 2],
    [129, 3],
    [500, 4],
    [1000, 5],
    [2000, 6],
    [4096, 7],
    [4097, 8],
    [8192, 8],
  ])("%i arrivals in a minute: level %i", (count, level) => {
    expect(addressLevel(count)).toBe(level);
  });

  it("asks nothing of a quiet address, then 8 bits and one more per doubling, up to 15 bits below the 8,192 ceiling", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((level) => arrivalDifficulty(0, level))).toEqual([0, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(arrivalDifficulty(0, addressLevel(ADDRESS_CEILING_PER_MINUTE))).toBe(15);
  });

  it("asks the higher of the event's puzzle and the address's, never their sum", () => {
    expect(arrivalDifficulty(4, 0)).toBe(4);
    expect(arrivalDifficulty(4, 1)).toBe(8);
    expect(arrivalDifficulty(16, 6)).toBe(16);
    expect(arrivalDifficulty(12, 8)).toBe(15);
  });
});
