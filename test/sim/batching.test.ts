// Enter and claim batching (src/batch.ts) in workerd as deployed, over HTTP.
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { startGateway } from "../../bench/gateway.mjs";
// @ts-expect-error: plain ES module without types
import { opsClient } from "../../bench/lib.mjs";

let g: any;
beforeAll(async () => {
  g = await startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() - 1000).toISOString() } });
});
afterAll(async () => {
  await g?.dispose();
});

/** An open event whose calling is paused, so every number stays waiting and countable. */
async function openEvent(event: string) {
  const ops = opsClient(g.url, g.secrets);
  await ops.configure(event, { opensAt: new Date(Date.now() - 1000).toISOString() });
  await ops.pause(event);
}

async function enter(event: string, signal?: AbortSignal) {
  const res = await fetch(`${g.url}/guichet/api/enter?event=${event}`, { method: "POST", signal });
  return { status: res.status, body: (await res.json()) as any };
}

async function waitingCount(event: string): Promise<number> {
  // The Worker answers from a snapshot up to a second old.
  await new Promise((r) => setTimeout(r, 1_100));
  const res = await fetch(`${g.url}/guichet/?event=${event}`, { headers: { accept: "application/json" } });
  return ((await res.json()) as any).waitingCount;
}

describe("enter batching", () => {
  it("numbers 600 concurrent arrivals 1..600 with no gap and no repeat, in fewer room calls", async () => {
    const event = "batch-concurrent";
    await openEvent(event);
    const results = await Promise.all(Array.from({ length: 600 }, () => enter(event)));
    expect(results.every((r) => r.status === 201)).toBe(true);
    const numbers = results.map((r) => r.body.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    const counts = await g.counts(event);
    expect(counts.room.enter).toBeGreaterThan(0);
    expect(counts.room.enter).toBeLessThan(600);
  });

  it("keeps numbering after clients disconnect mid-batch: no hang, no gap, no repeat", async () => {
    const event = "batch-cancel";
    await openEvent(event);
    const controllers = Array.from({ length: 400 }, () => new AbortController());
    const first = controllers.map((c, i) =>
      enter(event, c.signal).then(
        (r) => ({ i, ...r }),
        () => ({ i, status: 0, body: null }),
      ),
    );
    // Every other client goes away while its enter is queued or in flight.
    await new Promise((r) => setTimeout(r, 5));
    controllers.forEach((c, i) => i % 2 === 1 && c.abort());
    const done = await Promise.all(first);
    const kept = done.filter((r) => r.status === 201);
    expect(done.filter((r) => r.status !== 201 && r.status !== 0)).toEqual([]);
    expect(done.filter((r) => r.i % 2 === 0).every((r) => r.status === 201)).toBe(true);

    // Later arrivals are numbered at once, after every number handed out before.
    const later = await Promise.all(Array.from({ length: 200 }, () => enter(event)));
    expect(later.every((r) => r.status === 201)).toBe(true);
    const all = [...kept, ...later].map((r) => r.body.number);
    expect(new Set(all).size).toBe(all.length);
    // The room numbered every arrival that reached it once: 1..N without a gap
    // (cancelled clients' arrivals may or may not have reached it).
    const total = await waitingCount(event);
    expect(Math.max(...all)).toBe(total);
    expect(total).toBeGreaterThanOrEqual(all.length);
    expect(total).toBeLessThanOrEqual(600);
  });

  it("gives a returning ticket its number again (200), batched with new arrivals", async () => {
    const event = "batch-reload";
    await openEvent(event);
    const res = await fetch(`${g.url}/guichet/api/enter?event=${event}`, { method: "POST" });
    const cookie = res.headers.getSetCookie()[0]!.split(";")[0]!;
    const number = ((await res.json()) as any).number;
    const mixed = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fetch(`${g.url}/guichet/api/enter?event=${event}`, { method: "POST", headers: i % 10 === 0 ? { cookie } : {} }).then(async (r) => ({ status: r.status, body: (await r.json()) as any, again: i % 10 === 0 })),
      ),
    );
    for (const r of mixed.filter((m) => m.again)) expect([r.status, r.body.number]).toEqual([200, number]);
    expect(new Set(mixed.filter((m) => !m.again).map((m) => m.body.number)).size).toBe(90);
  });
});

/** An open event with `maxActive` places, and the ticket cookies of `n` arrivals (one after the other: numbers 1..n). */
async function lineOf(event: string, n: number, maxActive: number): Promise<string[]> {
  const ops = opsClient(g.url, g.secrets);
  await ops.configure(event, { opensAt: new Date(Date.now() - 1000).toISOString(), maxActive, admitPerMinute: 60_000 });
  const cookies: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${g.url}/guichet/api/enter?event=${event}`, { method: "POST" });
    cookies.push(res.headers.getSetCookie()[0]!.split(";")[0]!);
    await res.arrayBuffer();
  }
  return cookies;
}

/** The state a ticket's holder sees. */
async function stateOf(event: string, cookie: string): Promise<string> {
  return ((await (await fetch(`${g.url}/guichet/api/status?event=${event}`, { headers: { cookie } })).json()) as any).state;
}

/** Waits (up to 10 s) for `cookie`'s turn: calls run on the room's alarm, a sixtieth of admitPerMinute a tick (1,000 here). */
async function turnOf(event: string, cookie: string): Promise<void> {
  for (let i = 0; i < 40 && (await stateOf(event, cookie)) !== "your_turn"; i++) await new Promise((r) => setTimeout(r, 250));
}

describe("claim batching", () => {
  it("gives each called ticket its own admission, and the same one to a ticket claimed twice at once", async () => {
    const event = "batch-claims";
    const cookies = await lineOf(event, 300, 10_000);
    await turnOf(event, cookies.at(-1)!);
    const claim = (cookie: string) =>
      fetch(`${g.url}/guichet/api/claim?event=${event}`, { method: "POST", headers: { cookie } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    // Every ticket once, and the first 50 a second time in the same burst.
    const results = await Promise.all([...cookies, ...cookies.slice(0, 50)].map(claim));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const jtiOf = (token: string) => JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti as string;
    const jtis = results.map((r) => jtiOf(r.body.admission.token));
    expect(new Set(jtis.slice(0, 300)).size).toBe(300);
    for (let i = 0; i < 50; i++) expect(jtis[300 + i]).toBe(jtis[i]);
    // A batch's admissions are signed together: each token is its own ticket's, and verifies.
    const jwks = createLocalJWKSet(await (await fetch(`${g.url}/.well-known/jwks.json`)).json());
    const verified = await Promise.all(results.map((r) => jwtVerify(r.body.admission.token, jwks, { algorithms: ["ES256"], issuer: g.vars.GATEWAY_ISSUER })));
    const ticketOf = (cookie: string) => cookie.split("=")[1]!.split(".");
    verified.forEach(({ payload }, i) => {
      const [, ticketId, number] = ticketOf([...cookies, ...cookies.slice(0, 50)][i]!);
      expect(payload.sub).toBe(ticketId);
      expect(payload.num).toBe(Number(number));
    });
    const counts = await g.counts(event);
    expect(counts.room.claimMany).toBeGreaterThan(0);
    expect(counts.room.claimMany).toBeLessThan(350);
  });

  it("signs only the admissions of a batch that mixes called and waiting tickets", async () => {
    const event = "batch-claims-mixed";
    const cookies = await lineOf(event, 300, 100);
    await turnOf(event, cookies[99]!);
    expect(await stateOf(event, cookies[99]!)).toBe("your_turn");
    expect(await stateOf(event, cookies[100]!)).toBe("waiting");
    // Waiting and called tickets interleaved in one burst.
    const order = cookies.map((_, i) => i).sort((a, b) => (a % 3) - (b % 3) || a - b);
    const results = await Promise.all(
      order.map((i) =>
        fetch(`${g.url}/guichet/api/claim?event=${event}`, { method: "POST", headers: { cookie: cookies[i]! } }).then(async (r) => ({ i, status: r.status, body: (await r.json()) as any })),
      ),
    );
    const admitted = results.filter((r) => r.status === 200);
    expect(admitted.map((r) => r.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(results.filter((r) => r.status === 409 && r.body.error.code === "not_your_turn")).toHaveLength(200);
    const jwks = createLocalJWKSet(await (await fetch(`${g.url}/.well-known/jwks.json`)).json());
    for (const r of admitted) {
      const { payload } = await jwtVerify(r.body.admission.token, jwks, { algorithms: ["ES256"] });
      expect(payload.sub).toBe(cookies[r.i]!.split("=")[1]!.split(".")[1]);
    }
  });
});
