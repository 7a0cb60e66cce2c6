// The QueueRoom over RPC: the admission tick, expiries and no-shows, the caps,
// and storage as the truth across evictions.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { EnterResult, QueueRoom, RoomSnapshot } from "../src/durable/queue-room/queue-room";
import { newTicketId } from "../src/auth/ticket";
import { createEvent, room, tick, uniqueEvent } from "./helpers";

async function fill(eventId: string, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newTicketId());
  const results = await room(eventId).enter(ids.map((ticketId) => ({ ticketId })));
  expect(results.every((r) => r.ok)).toBe(true);
  return ids;
}

async function snap(eventId: string): Promise<RoomSnapshot> {
  const s = await room(eventId).snapshot();
  if (!s.exists) throw new Error("no room");
  return s;
}

async function states(eventId: string): Promise<Record<string, number>> {
  return runInDurableObject(room(eventId), (_: QueueRoom, state) => {
    const out: Record<string, number> = {};
    for (const row of state.storage.sql.exec<{ state: string; n: number }>("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")) {
      out[row.state] = row.n;
    }
    return out;
  });
}

describe("the admission tick", () => {
  it("never lets the active admissions exceed maxActive", async () => {
    const id = uniqueEvent("max");
    await createEvent(id, { maxActive: 7, admitPerMinute: 100_000 });
    await fill(id, 50);
    for (let i = 0; i < 5; i++) await tick(id);
    const s = await snap(id);
    expect(s.activeCount).toBe(7);
    expect(s.servingNumber).toBe(7);
    expect(await states(id)).toEqual({ called: 7, waiting: 43 });
  });

  it("spreads calls over the minute: at most admitPerMinute/60 a tick, admitPerMinute a minute", async () => {
    const id = uniqueEvent("rate");
    await createEvent(id, { maxActive: 1000, admitPerMinute: 120 });
    await fill(id, 300);
    await tick(id);
    expect((await snap(id)).servingNumber).toBe(2);
    for (let i = 0; i < 80; i++) await tick(id);
    // Within one real minute no more than 120 calls, whatever the number of ticks.
    expect((await snap(id)).servingNumber).toBe(120);
  });

  it("keeps active + accepted under quota × overbook (the quota-aware cap)", async () => {
    const id = uniqueEvent("cap");
    await createEvent(id, { quota: 10, maxActive: 100, admitPerMinute: 100_000, overbook: 1 });
    await fill(id, 40);
    await tick(id);
    expect((await snap(id)).activeCount).toBe(10);
    // Four submissions accepted: they leave active for accepted; the sum stays 10.
    const r = room(id);
    const tickets = await runInDurableObject(r, (_: QueueRoom, state) =>
      state.storage.sql.exec<{ ticket_id: string }>("SELECT ticket_id FROM tickets WHERE state = 'called' ORDER BY number LIMIT 4").toArray(),
    );
    let accepted = 0;
    for (const { ticket_id } of tickets) {
      const c = await r.claim(ticket_id, "desktop");
      if (!c.ok) throw new Error("claim failed");
      accepted += 1;
      await r.noteAccepted({ jti: c.jti, number: c.number }, accepted);
    }
    await tick(id);
    let s = await snap(id);
    expect(s.activeCount + s.quota.accepted).toBe(10);
    expect(s.servingNumber).toBe(10);
    // overbook 1.2 lets two more be called.
    await r.configure({ overbook: 1.2 }, { source: "test" });
    await tick(id);
    s = await snap(id);
    expect(s.activeCount + s.quota.accepted).toBe(12);
    expect(s.servingNumber).toBe(12);
  });

  it("calls nobody while paused, and resumes where it stopped", async () => {
    const id = uniqueEvent("pause");
    await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
    await fill(id, 10);
    await room(id).setPaused(true);
    await tick(id);
    expect((await snap(id)).servingNumber).toBe(0);
    await room(id).setPaused(false);
    await tick(id);
    expect((await snap(id)).servingNumber).toBe(3);
  });
});

describe("expiry and no-shows", () => {
  it("frees the place of an admission once it expires", async () => {
    const id = uniqueEvent("expire");
    await createEvent(id, { maxActive: 1, admitPerMinute: 100_000, admissionSeconds: 600 });
    const [a, b] = await fill(id, 2);
    await tick(id);
    const c = await room(id).claim(a!, "desktop");
    expect(c.ok && c.exp - c.iat).toBe(600);
    await room(id).advanceClock(599_000);
    await tick(id);
    expect((await snap(id)).servingNumber).toBe(1);
    // Past the expiry and its margin for clock skew, the place is free and 2 is called.
    await room(id).advanceClock(1_000 + 30_000);
    await tick(id);
    const s = await snap(id);
    expect(s.servingNumber).toBe(2);
    expect(await states(id)).toEqual({ expired: 1, called: 1 });
    expect(await room(id).claim(a!, "desktop")).toEqual({ ok: false, reason: "turn_lost" });
    expect((await room(id).claim(b!, "desktop")).ok).toBe(true);
  });

  it("releases a no-show after the grace period and readmits it ahead of higher numbers", async () => {
    const id = uniqueEvent("noshow");
    await createEvent(id, { maxActive: 1, admitPerMinute: 100_000, noShowGraceSeconds: 120 });
    const [a, b, c] = await fill(id, 3);
    await tick(id); // calls 1
    await room(id).advanceClock(121_000);
    await tick(id); // 1 is a no-show; 2 is called
    expect(await states(id)).toEqual({ no_show: 1, called: 1, waiting: 1 });
    expect((await snap(id)).servingNumber).toBe(2);

    // 1 comes back: requeued, then called before 3 once 2's place frees.
    const back = await room(id).ticketStatus(a!);
    expect(back).toMatchObject({ state: "requeued", number: 1, requeuedAhead: 0 });
    expect((await room(id).claim(b!, "desktop")).ok).toBe(true);
    await room(id).leave(b!);
    await tick(id);
    expect(await states(id)).toMatchObject({ called: 1, left: 1, waiting: 1 });
    expect((await room(id).claim(a!, "desktop")).ok).toBe(true);
    expect((await room(id).claim(c!, "desktop")).ok).toBe(false);
  });
});

describe("a batch of claims", () => {
  it("reads and writes a mixed batch in one go, each claim as if it came alone", async () => {
    const id = uniqueEvent("claimbatch");
    await createEvent(id, { maxActive: 1, admitPerMinute: 100_000, noShowGraceSeconds: 120, admissionSeconds: 600 });
    const [lapsed, twice, held, called, , waiting] = await fill(id, 6);
    await tick(id); // calls 1, who never claims
    await room(id).advanceClock(121_000);
    await room(id).configure({ maxActive: 4 }, { source: "test" });
    await tick(id); // 1 is a no-show; 2 to 5 are called
    const before = await room(id).claim(held!, "desktop");
    const batch = [
      { ticketId: twice!, device: "desktop" as const },
      { ticketId: lapsed!, device: "desktop" as const },
      { ticketId: waiting!, device: "desktop" as const },
      { ticketId: newTicketId(), device: "desktop" as const },
      { ticketId: held!, device: "desktop" as const },
      { ticketId: called!, device: "tablet" as const },
      { ticketId: twice!, device: "desktop" as const },
    ];
    const r = await room(id).claimMany(batch);
    expect(r.map((x) => (x.ok ? x.number : x.reason))).toEqual([2, "not_your_turn", "not_your_turn", "bad_ticket", 3, 4, 2]);
    // The ticket named twice gets one admission; the one admitted before keeps its own.
    expect(r[0]).toEqual(r[6]);
    expect(before.ok && r[4]!.ok && r[4]!.jti).toBe(before.ok && before.jti);
    expect(r[5]).toMatchObject({ ok: true, device: "tablet" });
    // What was answered is what was written: three admissions (one from before), 1 requeued on its return.
    const rows = await runInDurableObject(room(id), (_: QueueRoom, state) =>
      state.storage.sql.exec<{ number: number; state: string; jti: string | null; device: string | null; deadline: number | null }>("SELECT number, state, jti, device, deadline FROM tickets ORDER BY number").toArray(),
    );
    expect(rows.map((row) => row.state)).toEqual(["requeued", "admitted", "admitted", "admitted", "called", "waiting"]);
    for (const i of [0, 5]) {
      const answer = r[i]!;
      if (!answer.ok) throw new Error("expected an admission");
      // Deadlines are on the room's clock, which the test moved 121 s ahead.
      expect(rows[answer.number - 1]).toMatchObject({ jti: answer.jti, device: answer.device, deadline: answer.exp * 1000 + 121_000 });
    }
    expect((await snap(id)).activeCount).toBe(4);
  });
});

describe("admissions found again (release, an accepted submission)", () => {
  it("finds an admission by its number and jti, by its jti alone for an old delivery, and never by a mismatched pair", async () => {
    const id = uniqueEvent("byjti");
    await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
    const ids = await fill(id, 3);
    await tick(id);
    const [a, b, c] = await room(id).claimMany(ids.map((ticketId) => ({ ticketId, device: "desktop" as const })));
    if (!a?.ok || !b?.ok || !c?.ok) throw new Error("expected three admissions");
    // One admission's jti with another's number: no such admission, nothing changes.
    expect(await room(id).release({ jti: a.jti, number: b.number })).toEqual({ ok: false, state: null });
    await room(id).noteAccepted({ jti: b.jti, number: c.number }, 1);
    expect(await states(id)).toEqual({ admitted: 3 });
    // The right pair releases; an acceptance queued before numbers were sent along finds the jti alone.
    expect(await room(id).release({ jti: a.jti, number: a.number })).toEqual({ ok: true, state: "released" });
    await room(id).noteAccepted({ jti: b.jti, number: null }, 2);
    await room(id).noteAccepted({ jti: c.jti, number: c.number }, 3);
    expect(await states(id)).toEqual({ released: 1, used: 2 });
    expect((await snap(id)).quota.accepted).toBe(3);
  });
});

describe("storage is the truth", () => {
  it("changes no state when the object is evicted in the middle of a line", async () => {
    const id = uniqueEvent("evict");
    await createEvent(id, { maxActive: 5, admitPerMinute: 100_000 });
    const ids = await fill(id, 20);
    await tick(id);
    const claimed = await room(id).claim(ids[0]!, "desktop");
    await room(id).leave(ids[10]!);
    const before = await snap(id);
    const statesBefore = await states(id);

    await evictDurableObject(room(id));

    const after = await snap(id);
    const { generatedAt: _a, ...restBefore } = before;
    const { generatedAt: _b, ...restAfter } = after;
    expect(restAfter).toEqual(restBefore);
    expect(await states(id)).toEqual(statesBefore);
    // The same ticket keeps its number, the claim is the same admission, numbering continues.
    expect(await room(id).enter([{ ticketId: ids[3]! }])).toEqual([{ ok: true, ticketId: ids[3], number: 4, created: false }]);
    const again = await room(id).claim(ids[0]!, "desktop");
    expect(again.ok && claimed.ok && again.jti === claimed.jti).toBe(true);
    const next = await room(id).enter([{ ticketId: newTicketId() }]);
    expect(next[0]).toMatchObject({ ok: true, number: 21 });
    // The tick goes on from where it was: 5 active, nothing more called.
    await tick(id);
    expect((await snap(id)).servingNumber).toBe(5);
  });

  it("numbers concurrent batches with no gap across an eviction", async () => {
    const id = uniqueEvent("evictburst");
    await createEvent(id);
    const first = Promise.all(Array.from({ length: 100 }, () => room(id).enter([{ ticketId: newTicketId() }])));
    const firstResults = await first;
    await evictDurableObject(room(id));
    const second = await Promise.all(Array.from({ length: 100 }, () => room(id).enter([{ ticketId: newTicketId() }])));
    const numbers = [...firstResults, ...second].map((r) => (r[0]!.ok ? r[0]!.number : -1)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it("survives an alarm that throws: the retry calls once, as if nothing had failed", async () => {
    const id = uniqueEvent("alarmfault");
    await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
    await fill(id, 10);
    await room(id).armFault("alarm", 1);
    await expect(runInDurableObject(room(id), (instance: QueueRoom) => instance.alarm())).rejects.toThrow(/injected fault: alarm/);
    expect(await states(id)).toEqual({ waiting: 10 });
    // The runtime retries a failed alarm; here the retry is run by hand, twice.
    await runInDurableObject(room(id), (instance: QueueRoom) => instance.alarm());
    await runInDurableObject(room(id), (instance: QueueRoom) => instance.alarm());
    expect(await states(id)).toEqual({ called: 3, waiting: 7 });
  });

  it("answers a batch sent twice (its sender cancelled) with the numbers of the first send", async () => {
    const id = uniqueEvent("resend");
    await createEvent(id);
    const batch = [
      { ticketId: newTicketId(), fresh: true },
      { ticketId: newTicketId(), fresh: true, powId: "puzzle-1" },
    ];
    const first = await room(id).enter(batch);
    const again = await room(id).enter(batch);
    expect(first.map((r) => r.ok && r.number)).toEqual([1, 2]);
    expect(again).toEqual(first.map((r) => ({ ...r, created: false })));
    // The puzzle stays spent for anyone else.
    const other = await room(id).enter([{ ticketId: newTicketId(), fresh: true, powId: "puzzle-1" }]);
    expect(other[0]).toMatchObject({ ok: false, reason: "pow_reused" });
    expect((await snap(id)).nextNumber).toBe(3);
  });

  it("numbers a batch of fresh arrivals in one statement, in order, and a resent batch keeps its numbers", async () => {
    const id = uniqueEvent("freshbatch");
    await createEvent(id);
    const batch = Array.from({ length: 60 }, () => ({ ticketId: newTicketId(), fresh: true }));
    const first = await room(id).enter(batch);
    expect(first).toEqual(batch.map((a, i) => ({ ok: true, ticketId: a.ticketId, number: i + 1, created: true })));
    // Sent again whole (its sender cancelled after the room answered): the same numbers, nothing new.
    const again = await room(id).enter(batch);
    expect(again).toEqual(first.map((r) => ({ ...r, created: false })));
    // Sent again in part, with new arrivals between: the known ones keep theirs, the new ones follow without a gap.
    const fresh = [{ ticketId: newTicketId(), fresh: true }, { ticketId: newTicketId(), fresh: true }];
    const mixed = await room(id).enter([fresh[0]!, batch[10]!, fresh[1]!]);
    expect(mixed.map((r) => r.ok && [r.number, r.created])).toEqual([[61, true], [11, false], [62, true]]);
    expect((await snap(id)).nextNumber).toBe(63);
    expect(await states(id)).toEqual({ waiting: 62 });
  });

  it("numbers 300 concurrent batches of fresh arrivals exactly once, with no gap", async () => {
    const id = uniqueEvent("freshburst");
    await createEvent(id);
    const batches = Array.from({ length: 300 }, (_, b) => Array.from({ length: 1 + (b % 5) }, () => ({ ticketId: newTicketId(), fresh: true })));
    const results = await Promise.all(batches.map((batch) => room(id).enter(batch)));
    const numbers = results.flat().map((r) => (r.ok && r.created ? r.number : -1));
    const total = batches.reduce((n, b) => n + b.length, 0);
    expect(numbers.slice().sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    // Within a batch, numbers follow the batch's order.
    const numberOf = (r: EnterResult) => (r.ok ? r.number : -1);
    for (const r of results) for (let i = 1; i < r.length; i++) expect(numberOf(r[i]!) - numberOf(r[i - 1]!)).toBe(1);
  });

  it("numbers fresh batches with no gap across an eviction in the middle of them", async () => {
    const id = uniqueEvent("freshevict");
    await createEvent(id);
    const batch = () => Array.from({ length: 7 }, () => ({ ticketId: newTicketId(), fresh: true }));
    const first = Promise.all(Array.from({ length: 40 }, () => room(id).enter(batch())));
    await evictDurableObject(room(id));
    const second = Promise.all(Array.from({ length: 40 }, () => room(id).enter(batch())));
    const results = [...(await first), ...(await second)].flat();
    // Numbering goes on from the stored next_number: 1..N with no gap or repeat, and the room holds exactly them.
    const numbers = results.map((r) => (r.ok ? r.number : -1)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: results.length }, (_, i) => i + 1));
    expect((await snap(id)).nextNumber).toBe(results.length + 1);
    expect(await states(id)).toEqual({ waiting: results.length });
  });

  it("writes only the tickets for fresh arrivals; next number and the minutes' arrivals are read back from them, across an eviction", async () => {
    const id = uniqueEvent("freshwrites");
    await createEvent(id);
    await tick(id); // the first history copy: nothing to count yet
    const stored = () =>
      runInDurableObject(room(id), (_: QueueRoom, state) => ({
        nextNumber: state.storage.sql.exec<{ n: number }>("SELECT next_number AS n FROM room").one().n,
        arrivals: state.storage.sql.exec<{ n: number | null }>("SELECT SUM(arrivals) AS n FROM minutes").one().n ?? 0,
        tickets: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets").one().n,
      }));
    const before = await stored();
    for (let i = 0; i < 5; i++) await room(id).enter([{ ticketId: newTicketId(), fresh: true }]);
    await room(id).enter(Array.from({ length: 4 }, () => ({ ticketId: newTicketId(), fresh: true })));
    // Nine calls' writes: nine ticket rows; the room row and the minutes untouched.
    expect(await stored()).toEqual({ ...before, tickets: 9 });
    await evictDurableObject(room(id));
    const after = await room(id).enter([{ ticketId: newTicketId(), fresh: true }]);
    expect(after[0]).toMatchObject({ ok: true, number: 10 });
    // The alarm's history copy counts every arrival from the tickets, the ones before the eviction too.
    await runInDurableObject(room(id), async (instance: QueueRoom) => instance.alarm());
    expect((await stored()).arrivals).toBe(10);
    await evictDurableObject(room(id));
    await room(id).enter([{ ticketId: newTicketId(), fresh: true }]);
    await runInDurableObject(room(id), async (instance: QueueRoom) => instance.alarm());
    expect((await stored()).arrivals).toBe(11);
  });

  it("runs an alarm twice without calling twice", async () => {
    const id = uniqueEvent("twice");
    await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
    await fill(id, 10);
    await runInDurableObject(room(id), async (instance: QueueRoom) => {
      await instance.alarm();
      await instance.alarm();
    });
    expect((await snap(id)).servingNumber).toBe(3);
    expect(await states(id)).toEqual({ called: 3, waiting: 7 });
  });
});

describe("configuration", () => {
  it("refuses a quota below the accepted count and an opening time moved under people's feet", async () => {
    const id = uniqueEvent("cfg");
    await createEvent(id, { quota: 10 });
    await room(id).noteAccepted(null, 4);
    const low = await room(id).configure({ quota: 3 }, { source: "test" });
    expect(low).toMatchObject({ ok: false, reason: "invalid_change", field: "quota" });
    await fill(id, 1);
    const moved = await room(id).configure({ opensAt: new Date(Date.now() + 3600_000).toISOString() }, { source: "test" });
    expect(moved).toMatchObject({ ok: false, field: "opensAt" });
    const s = await snap(id);
    expect(s.quota.total).toBe(10);
  });

  it("seeds the default event from the Worker vars", async () => {
    const s = await room("csq-2016-06").snapshot();
    expect(s).toMatchObject({ exists: true, event: "csq-2016-06", maxActive: 500, admitPerMinute: 1000, admissionSeconds: 600, overbook: 1 });
    expect(s.exists && s.quota.total).toBe(5100);
  });
});
