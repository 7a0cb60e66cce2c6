// The candidate API through the Worker: numbering, idempotent tickets, the
// opening, positions as the cursor moves, claims, leaving.
import { describe, expect, it } from "vitest";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { claim, cookieOf, createEvent, enter, gateway, room, status, tick, uniqueEvent } from "./helpers";

describe("POST /guichet/api/enter", () => {
  it("numbers 500 concurrent arrivals 1..500 with no gap and no repeat", async () => {
    const id = uniqueEvent("burst");
    await createEvent(id);
    const results = await Promise.all(Array.from({ length: 500 }, () => enter(id)));
    expect(results.map((r) => r.res.status).every((s) => s === 201)).toBe(true);
    const numbers = results.map((r) => r.body.number as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const snapshot = await room(id).snapshot();
    expect(snapshot.exists && snapshot.nextNumber).toBe(501);
    expect(snapshot.exists && snapshot.waitingCount).toBe(500);
  });

  it("gives the same ticket the same number (reload, second tab), with 200", async () => {
    const id = uniqueEvent("same");
    await createEvent(id);
    const first = await enter(id);
    expect(first.res.status).toBe(201);
    await enter(id); // someone else
    const again = await Promise.all([enter(id, first.cookie!), enter(id, first.cookie!), enter(id, first.cookie!)]);
    for (const r of again) {
      expect(r.res.status).toBe(200);
      expect(r.body.number).toBe(first.body.number);
    }
    const third = await enter(id);
    expect(third.body.number).toBe(3);
  });

  it("refuses before opening with 409 not_open, opensAt and Retry-After", async () => {
    const id = uniqueEvent("early");
    const opensAt = new Date(Date.now() + 90_000);
    await createEvent(id, { opensAt: opensAt.toISOString() });
    const r = await enter(id);
    expect(r.res.status).toBe(409);
    expect(r.body.error.code).toBe("not_open");
    expect(r.body.error.opensAt).toBe(opensAt.toISOString());
    const retry = Number(r.res.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(85);
    expect(retry).toBeLessThanOrEqual(90);
    expect(r.cookie).toBeNull();
    const s = await room(id).snapshot();
    expect(s.exists && s.nextNumber).toBe(1);
  });

  it("refuses after closing with 410 closed, and numbers nothing", async () => {
    const id = uniqueEvent("closed");
    await createEvent(id);
    await enter(id);
    await room(id).close("closed_by_operator");
    await tick(id);
    const r = await enter(id);
    expect(r.res.status).toBe(410);
    expect(r.body.error.code).toBe("closed");
    const direct = await room(id).enter([{ ticketId: "AAAAAAAAAAAAAAAAAAAAAA" }]);
    expect(direct[0]).toMatchObject({ ok: false, reason: "closed" });
    const s = await room(id).snapshot();
    expect(s.exists && s.nextNumber).toBe(2);
  });

  it("answers 404 unknown_event for an event that does not exist, in English when asked", async () => {
    const res = await gateway(`/guichet/api/enter?event=${uniqueEvent("none")}&lang=en`, { method: "POST" });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe("unknown_event");
    expect(body.error.message).toBe("This intake does not exist.");
  });

  it("refuses a body that is not JSON (415) or too large (413), and a cross-site request (403)", async () => {
    const id = uniqueEvent("bad");
    await createEvent(id);
    const text = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", body: "hello", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const big = await gateway(`/guichet/api/enter?event=${id}`, {
      method: "POST",
      body: JSON.stringify({ pad: "x".repeat(5000) }),
      headers: { "content-type": "application/json" },
    });
    expect(big.status).toBe(413);
    const cross = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: { origin: "https://evil.example" } });
    expect(cross.status).toBe(403);
    expect(((await cross.json()) as any).error.code).toBe("bad_origin");
    // Origins that begin the gateway's URL without being its origin (src/http/context.ts tells them without parsing the URL).
    const lookalikes = ["https:", "https://", "https://guichet.tes", "https://guichet.test.evil.example", "https://guichet.test/", "https://guichet.test:443", "http://guichet.test", "null"];
    const answers: number[] = [];
    for (const origin of lookalikes) answers.push((await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: { origin } })).status);
    expect(Object.fromEntries(lookalikes.map((o, i) => [o, answers[i]]))).toEqual(Object.fromEntries(lookalikes.map((o) => [o, 403])));
    const crossSite = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: { origin: "https://guichet.test", "sec-fetch-site": "cross-site" } });
    expect(crossSite.status).toBe(403);
    const s = await room(id).snapshot();
    expect(s.exists && s.nextNumber).toBe(1);
    // The gateway's own origin, as a browser sends it with every POST: taken.
    const own = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: { origin: "https://guichet.test", "sec-fetch-site": "same-origin" } });
    expect(own.status).toBe(201);
  });

  it("sets a __Host-, HttpOnly, Secure, SameSite=Lax ticket cookie on HTTPS", async () => {
    const id = uniqueEvent("cookie");
    await createEvent(id);
    const r = await enter(id);
    const line = r.res.headers.getSetCookie().find((l) => l.startsWith("__Host-guichet_ticket="))!;
    expect(line).toMatch(/; Path=\/;/);
    expect(line).not.toMatch(/Domain=/i);
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(r.res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("GET /guichet/api/status", () => {
  it("moves position, ahead and servingNumber as the cursor advances", async () => {
    const id = uniqueEvent("move");
    await createEvent(id, { maxActive: 2, admitPerMinute: 600 });
    const tickets = [];
    for (let i = 0; i < 6; i++) tickets.push(await enter(id));
    forgetSnapshot(id); // this isolate's copy is up to a second old
    let s = await status(id, tickets[4]!.cookie!);
    expect(s.body).toMatchObject({ state: "waiting", number: 5, position: 5, ahead: 4, servingNumber: 0, waitingCount: 6 });

    await tick(id); // calls 1 and 2 (maxActive 2)
    s = await status(id, tickets[4]!.cookie!);
    expect(s.body).toMatchObject({ state: "waiting", number: 5, position: 3, ahead: 2, servingNumber: 2 });
    expect((await status(id, tickets[0]!.cookie!)).body).toMatchObject({ state: "your_turn", number: 1, position: 0 });

    // Number 3 leaves: it is skipped, and 5 moves up.
    const left = await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: tickets[2]!.cookie! });
    expect(left.status).toBe(200);
    await tick(id);
    s = await status(id, tickets[4]!.cookie!);
    expect(s.body).toMatchObject({ position: 2, ahead: 1, servingNumber: 2 });

    // 1 claims, 2 leaves: one place frees, the next tick calls 4.
    expect((await claim(id, tickets[0]!.cookie!)).res.status).toBe(200);
    await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: tickets[1]!.cookie! });
    await tick(id);
    s = await status(id, tickets[4]!.cookie!);
    expect(s.body).toMatchObject({ state: "waiting", position: 1, ahead: 0, servingNumber: 4 });
    expect((await status(id, tickets[3]!.cookie!)).body.state).toBe("your_turn");
    expect(s.body.estimatedWaitSeconds).toBeGreaterThanOrEqual(0);
    expect(s.body.pollAfterMs).toBeGreaterThan(0);
  });

  it("answers 401 no_ticket without a cookie and 401 bad_ticket for a tampered or foreign one", async () => {
    const id = uniqueEvent("tamper");
    const other = uniqueEvent("other");
    await createEvent(id);
    await createEvent(other);
    const none = await gateway(`/guichet/api/status?event=${id}`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.code).toBe("no_ticket");

    await enter(id);
    const { cookie } = await enter(id); // number 2
    const [name, value] = cookie!.split("=") as [string, string];
    const parts = value.split(".");
    const forged = [parts[0], parts[1], "1", parts[3]].join("."); // a better number, same MAC
    const flipped = value.slice(0, -2) + (value.endsWith("A") ? "BB" : "AA");
    for (const bad of [`${name}=${forged}`, `${name}=${flipped}`, `${name}=garbage`, `${name}=${value}.x`]) {
      const res = await gateway(`/guichet/api/status?event=${id}`, { cookie: bad });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe("bad_ticket");
    }
    const foreign = await gateway(`/guichet/api/status?event=${other}`, { cookie: cookie! });
    expect(foreign.status).toBe(401);
    expect(((await foreign.json()) as any).error.code).toBe("bad_ticket");
  });

  it("refuses a ticket after leave (a copied cookie) with 410 ticket_left", async () => {
    const id = uniqueEvent("stolen");
    await createEvent(id);
    const a = await enter(id);
    await enter(id);
    const left = await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: a.cookie! });
    expect(cookieOf(left, "guichet_ticket")).toBeNull();
    await tick(id);
    const res = await gateway(`/guichet/api/status?event=${id}`, { cookie: a.cookie! });
    expect(res.status).toBe(410);
    expect(((await res.json()) as any).error.code).toBe("ticket_left");
    // Entering again with it gives a new number at the back, not the old place.
    const back = await enter(id, a.cookie!);
    expect(back.res.status).toBe(201);
    expect(back.body.number).toBe(3);
  });
});

describe("POST /guichet/api/claim", () => {
  it("is refused with 409 not_your_turn before the turn, and gives a token after", async () => {
    const id = uniqueEvent("claim");
    await createEvent(id, { maxActive: 1 });
    const a = await enter(id);
    const b = await enter(id);
    const early = await claim(id, a.cookie!);
    expect(early.res.status).toBe(409);
    expect(early.body.error.code).toBe("not_your_turn");
    await tick(id);
    const ok = await claim(id, a.cookie!);
    expect(ok.res.status).toBe(200);
    expect(ok.body.redirect).toBe("/connexion");
    expect(ok.body.admission.token).toMatch(/^ey/);
    expect(cookieOf(ok.res, "guichet_admission")).toBe(`__Host-guichet_admission=${ok.body.admission.token}`);
    // Idempotent: claiming again gives the same admission (same jti, same expiry).
    const again = await claim(id, a.cookie!);
    expect(again.body.admission.expiresAt).toBe(ok.body.admission.expiresAt);
    const jti = (t: string) => JSON.parse(atob(t.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).jti;
    expect(jti(again.body.admission.token)).toBe(jti(ok.body.admission.token));
    // b is still behind: maxActive 1 is held by a.
    await tick(id);
    expect((await claim(id, b.cookie!)).res.status).toBe(409);
    expect((await status(id, a.cookie!)).body.state).toBe("admitted");
  });

  it("is refused with 410 when the room is closed", async () => {
    const id = uniqueEvent("claimclosed");
    await createEvent(id);
    const a = await enter(id);
    await tick(id);
    await room(id).close("closed_by_operator");
    const r = await claim(id, a.cookie!);
    expect(r.res.status).toBe(410);
    expect(r.body.error.code).toBe("closed");
  });

  it("records the device class seen at claim in the token", async () => {
    const id = uniqueEvent("dev");
    await createEvent(id);
    const a = await enter(id);
    await tick(id);
    const r = await claim(id, a.cookie!, {
      headers: { "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148" },
    });
    const payload = JSON.parse(atob(r.body.admission.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    expect(payload.dev).toBe("mobile");
  });
});

describe("GET /guichet/", () => {
  it("answers JSON with the status body when asked, with or without a number", async () => {
    const id = uniqueEvent("page");
    await createEvent(id, { opensAt: new Date(Date.now() + 60_000).toISOString() });
    const before = await gateway(`/guichet/?event=${id}`, { headers: { accept: "application/json" } });
    expect(before.status).toBe(200);
    expect(((await before.json()) as any).state).toBe("before_open");
    const html = await gateway(`/guichet/?event=${id}`);
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
  });
});

describe("GET /guichet/healthz and /.well-known/jwks.json", () => {
  it("answers health without a Durable Object", async () => {
    const res = await gateway("/guichet/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("publishes the current and previous public keys, without private parts", async () => {
    const res = await gateway("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/public/);
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    expect(keys.length).toBe(2);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
      expect(k.d).toBeUndefined();
    }
    expect(keys.map((k) => k.kid)).toContain("k-previous");
  });
});
