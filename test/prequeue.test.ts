// The fair opening through the Worker: the pre-queue and its verifiable draw,
// the proof of work at entry, and Turnstile's offline seam.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { leadingZeroBits } from "../src/auth/pow";
import { newTicketId } from "../src/auth/ticket";
import type { QueueRoom } from "../src/durable/queue-room/queue-room";
import type { AppContext } from "../src/http/context";
import { proveArrival } from "../src/line/arrival-proof";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { cookieOf, createEvent, enter, gateway, room, snapshotOf, status, uniqueEvent } from "./helpers";

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
const bytes = (h: string) => new Uint8Array(h.match(/../g)!.map((x) => parseInt(x, 16)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An independent recomputation of the draw with WebCrypto (not the code under test). */
async function recompute(seed: string, publicIds: string[]): Promise<Map<string, number>> {
  const key = await crypto.subtle.importKey("raw", bytes(seed), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const keyed = await Promise.all(publicIds.map(async (id) => ({ id, k: hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(id))) })));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.id < b.id ? -1 : 1));
  return new Map(keyed.map((x, i) => [x.id, i + 1]));
}

async function fairness(eventId: string) {
  const res = await gateway(`/guichet/api/fairness?event=${eventId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

describe("the pre-queue", () => {
  it("publishes a commitment before it opens, numbers pre-queue arrivals by the draw at the opening, and everyone after in order", async () => {
    const id = uniqueEvent("pq");
    const opensAt = Date.now() + 2500;
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(opensAt).toISOString() });
    const before = await fairness(id);
    expect(before).toMatchObject({ mode: "prequeue", seed: null, tickets: null });
    expect(before.commitment).toMatch(/^[0-9a-f]{64}$/);

    // 30 arrivals in the pre-queue: no number yet, a public id each.
    const early: Awaited<ReturnType<typeof enter>>[] = [];
    for (let i = 0; i < 30; i++) early.push(await enter(id));
    for (const e of early) {
      expect(e.res.status).toBe(201);
      expect(e.body).toMatchObject({ state: "before_open", number: null });
      expect(e.body.prequeue.publicId).toMatch(/^[0-9a-f]{32}$/);
      expect(e.body.prequeue.commitment).toBe(before.commitment);
    }
    const again = await enter(id, early[0]!.cookie!);
    expect(again.res.status).toBe(200);
    expect(again.body.prequeue.publicId).toBe(early[0]!.body.prequeue.publicId);
    // One leaves before the draw: out of it.
    expect((await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: early[29]!.cookie! })).status).toBe(200);
    expect((await fairness(id)).count).toBe(29);

    await sleep(opensAt - Date.now() + 50);
    forgetSnapshot(id);
    // The first arrival after the opening triggers the draw and comes after every pre-queue ticket.
    const late = [await enter(id), await enter(id)];
    expect(late.map((l) => l.body.number)).toEqual([30, 31]);

    const after = await fairness(id);
    expect(after.seed).toMatch(/^[0-9a-f]{64}$/);
    expect(after.count).toBe(29);
    expect(after.shuffleMs).toBeGreaterThanOrEqual(0);
    // The commitment matches the revealed seed.
    expect(hex(await crypto.subtle.digest("SHA-256", bytes(after.seed)))).toBe(before.commitment);
    // Recomputing the draw from the seed and the published ids gives the published numbers.
    const expected = await recompute(after.seed, after.tickets.map((t: any) => t.publicId));
    for (const t of after.tickets) expect(t.number).toBe(expected.get(t.publicId));
    expect(after.tickets.map((t: any) => t.number).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));

    // Each pre-queue ticket learns its number from its next poll, and its cookie carries it from then on.
    for (const e of early.slice(0, 29)) {
      const s = await status(id, e.cookie!);
      const mine = after.tickets.find((t: any) => t.publicId === e.body.prequeue.publicId);
      expect(s.body.number).toBe(mine.number);
      expect(["waiting", "your_turn"]).toContain(s.body.state);
    }
    const res = await gateway(`/guichet/api/status?event=${id}`, { cookie: early[0]!.cookie! });
    expect(cookieOf(res, "guichet_ticket")).toMatch(/\.\d+\./);
    // The one who left has no number.
    expect(after.tickets.some((t: any) => t.publicId === early[29]!.body.prequeue.publicId)).toBe(false);
  });

  it("takes a batch of fresh pre-queue arrivals in one statement; a resent batch keeps its public ids and counts once", async () => {
    const id = uniqueEvent("pqfresh");
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(Date.now() + 60_000).toISOString() });
    const batch = Array.from({ length: 40 }, () => ({ ticketId: newTicketId(), fresh: true }));
    const first = await room(id).enter(batch);
    expect(first.every((r) => r.ok && r.number === 0 && r.created)).toBe(true);
    const publicIds = first.map((r) => (r.ok && "prequeue" in r ? r.prequeue.publicId : null));
    expect(new Set(publicIds).size).toBe(40);
    // Sent again in part with a new arrival between (its sender cancelled after the room answered): nothing doubles.
    const extra = { ticketId: newTicketId(), fresh: true };
    const again = await room(id).enter([batch[3]!, extra, batch[7]!]);
    expect(again.map((r) => r.ok && [r.ticketId, r.created])).toEqual([[batch[3]!.ticketId, false], [extra.ticketId, true], [batch[7]!.ticketId, false]]);
    expect(again.map((r) => (r.ok && "prequeue" in r ? r.prequeue.publicId : null))).toEqual([publicIds[3], expect.stringMatching(/^[0-9a-f]{32}$/), publicIds[7]]);
    expect((await fairness(id)).count).toBe(41);
    expect((await snapshotOf(id)).prequeue?.count).toBe(41);
  });

  it("refuses entry before the pre-queue opens, and a pre-queue moved once open", async () => {
    const id = uniqueEvent("pqearly");
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() + 60_000).toISOString(), opensAt: new Date(Date.now() + 120_000).toISOString() });
    const r = await enter(id);
    expect(r.res.status).toBe(409);
    expect(r.body.error.code).toBe("not_open");
    const bad = await room(id).configure({ prequeueOpensAt: new Date(Date.now() + 200_000).toISOString() }, { source: "test" });
    expect(bad).toMatchObject({ ok: false, field: "prequeueOpensAt" });
    const open = uniqueEvent("pqopen");
    await createEvent(open, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(Date.now() + 60_000).toISOString() });
    await enter(open);
    expect(await room(open).configure({ prequeueOpensAt: null }, { source: "test" })).toMatchObject({ ok: false, field: "prequeueOpensAt" });
    expect(await room(open).configure({ opensAt: new Date(Date.now() + 90_000).toISOString() }, { source: "test" })).toMatchObject({ ok: false, field: "opensAt" });
  });

  it("draws 60,000 pre-queue tickets in one step, and says how long it took", async () => {
    const id = uniqueEvent("pqbig");
    const opensAt = Date.now() + 60_000;
    await createEvent(id, { prequeueOpensAt: new Date(Date.now() - 1000).toISOString(), opensAt: new Date(opensAt).toISOString() });
    const r = room(id);
    for (let batch = 0; batch < 60; batch++) {
      const arrivals = Array.from({ length: 1000 }, (_, i) => ({ ticketId: `T${String(batch * 1000 + i).padStart(21, "0")}` }));
      const results = await r.enter(arrivals);
      expect(results.every((x) => x.ok && x.number === 0)).toBe(true);
    }
    await r.advanceClock(opensAt - Date.now() + 1000);
    const started = Date.now();
    const s = await snapshotOf(id); // the first call after the opening draws
    const elapsed = Date.now() - started;
    expect(s.nextNumber).toBe(60_001);
    expect(s.waitingCount).toBe(60_000);
    const record = await r.fairness();
    expect(record.count).toBe(60_000);
    const numbers = await runInDurableObject(r, (_: QueueRoom, state) =>
      state.storage.sql.exec<{ n: number; lo: number; hi: number }>("SELECT COUNT(DISTINCT number) AS n, MIN(number) AS lo, MAX(number) AS hi FROM tickets").one(),
    );
    expect(numbers).toEqual({ n: 60_000, lo: 1, hi: 60_000 });
    console.log(`draw of 60,000 pre-queue tickets: ${record.shuffleMs} ms inside the QueueRoom (${elapsed} ms for the call that triggered it)`);
  }, 120_000);
});

async function solve(challenge: string, difficulty: number): Promise<string> {
  for (let n = 0; ; n++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${challenge}:${n}`)));
    if (leadingZeroBits(digest) >= difficulty) return String(n);
  }
}

async function challenge(eventId: string) {
  return (await (await gateway(`/guichet/api/challenge?event=${eventId}`)).json()) as { challenge: string; difficulty: number };
}

function enterWith(eventId: string, body: unknown, cookie?: string) {
  return gateway(`/guichet/api/enter?event=${eventId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body), cookie });
}

describe("the proof of work at entry", () => {
  it("asks new arrivals for a solved puzzle, refuses a wrong, foreign or reused one, and lets a returning ticket in", async () => {
    const id = uniqueEvent("pow");
    const other = uniqueEvent("powother");
    await createEvent(id, { powDifficulty: 8 });
    await createEvent(other, { powDifficulty: 8 });
    const none = await enterWith(id, {});
    expect(none.status).toBe(403);
    const refusal = ((await none.json()) as any).error;
    expect(refusal).toMatchObject({ code: "pow_required", difficulty: 8, challenge: { difficulty: 8 } });
    // The refusal's own challenge is a fresh one: solved, it enters (then it is spent).
    const given = refusal.challenge as { challenge: string; difficulty: number };
    const givenOk = await enterWith(id, { pow: { challenge: given.challenge, nonce: await solve(given.challenge, 8) } });
    expect(givenOk.status).toBe(201);

    const c = await challenge(id);
    expect(c.difficulty).toBe(8);
    const nonce = await solve(c.challenge, 8);
    const foreign = await challenge(other);
    const foreignNonce = await solve(foreign.challenge, 8);
    expect((await enterWith(id, { pow: { challenge: foreign.challenge, nonce: foreignNonce } })).status).toBe(403);

    const ok = await enterWith(id, { pow: { challenge: c.challenge, nonce } });
    expect(ok.status).toBe(201);
    const cookie = cookieOf(ok, "guichet_ticket")!;
    const reused = await enterWith(id, { pow: { challenge: c.challenge, nonce } });
    expect(reused.status).toBe(403);
    expect(((await reused.json()) as any).error.code).toBe("pow_reused");
    // A reload with the ticket needs no puzzle.
    expect((await enterWith(id, {}, cookie)).status).toBe(200);
    expect((await snapshotOf(id)).nextNumber).toBe(3);
  });

  it("refuses a puzzle easier than the difficulty now asked", async () => {
    const id = uniqueEvent("powhard");
    await createEvent(id, { powDifficulty: 4 });
    const c = await challenge(id);
    const nonce = await solve(c.challenge, 4);
    await room(id).configure({ powDifficulty: 10 }, { source: "test" });
    forgetSnapshot(id);
    const res = await enterWith(id, { pow: { challenge: c.challenge, nonce } });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).error.code).toBe("pow_too_easy");
  });
});

describe("Turnstile", () => {
  const context = (secret: string) => ({ env: { ...env, TURNSTILE_SECRET: secret }, req: { header: () => undefined } }) as unknown as AppContext;
  const snapshot = { powDifficulty: 0, event: "e" } as Parameters<typeof proveArrival>[1];

  it("decides Cloudflare's test keys offline: always pass, always fail", async () => {
    await expect(proveArrival(context("1x0000000000000000000000000000000AA"), snapshot, { turnstile: "any" }, Date.now())).resolves.toEqual({});
    await expect(proveArrival(context("2x0000000000000000000000000000000AA"), snapshot, { turnstile: "any" }, Date.now())).rejects.toMatchObject({ code: "turnstile_failed" });
    await expect(proveArrival(context("1x0000000000000000000000000000000AA"), snapshot, {}, Date.now())).rejects.toMatchObject({ code: "turnstile_failed" });
  });

  it("is checked only once the puzzle is solved, so that a 403 for the puzzle does not spend its token", async () => {
    const withPuzzle = { powDifficulty: 6, event: "e" } as Parameters<typeof proveArrival>[1];
    const failing = context("2x0000000000000000000000000000000AA");
    const first = await Promise.resolve()
      .then(() => proveArrival(failing, withPuzzle, { turnstile: "any" }, Date.now()))
      .catch((e) => e);
    expect(first).toMatchObject({ status: 403, code: "pow_required" });
    const c = first.details.challenge as { challenge: string; difficulty: number };
    expect(c.difficulty).toBe(6);
    const nonce = await solve(c.challenge, 6);
    await expect(Promise.resolve().then(() => proveArrival(failing, withPuzzle, { turnstile: "any", pow: { challenge: c.challenge, nonce } }, Date.now()))).rejects.toMatchObject({
      code: "turnstile_failed",
    });
  });
});
