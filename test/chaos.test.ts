// Faults at random points of a scripted line: both objects evicted between
// enter and claim, between a submission's write and its D1 delivery; D1
// failing for a while; the counter's alarm throwing; the room unreachable
// from the counter; retries and duplicate submissions. Afterwards the
// invariants of architecture.md must hold exactly.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QueueRoom } from "../src/durable/queue-room/queue-room";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { applicant, claim, counter, createEvent, d1Submissions, enter, eventually, gateway, room, snapshotOf, submissionBody, submit, uniqueEvent } from "./helpers";

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Candidate {
  cookie: string;
  number: number;
  token?: string;
  body?: ReturnType<typeof submissionBody>;
  receipts: string[];
  left?: boolean;
}

async function chaosRun(seed: number) {
  const random = prng(seed);
  const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(random() * xs.length)];
  const id = uniqueEvent(`chaos${seed}`);
  const quota = 12;
  await createEvent(id, { quota, maxActive: 8, admitPerMinute: 100_000, noShowGraceSeconds: 30 });
  const people: Candidate[] = [];
  const statuses: number[] = [];
  const faults = { evictRoom: 0, evictCounter: 0, d1: 0, d1After: 0, roomSync: 0, alarm: 0, noShowClock: 0, retries: 0, duplicates: 0 };
  const sharedIdentity = applicant();

  for (let step = 0; step < 500; step++) {
    const r = random();
    if (r < 0.2 && people.length < 70) {
      const e = await enter(id);
      statuses.push(e.res.status);
      people.push({ cookie: e.cookie!, number: e.body.number, receipts: [] });
    } else if (r < 0.32) {
      await runInDurableObject(room(id), (instance: QueueRoom) => instance.alarm());
      forgetSnapshot(id);
    } else if (r < 0.5) {
      // Someone whose number was called (or a returning no-show) claims.
      const serving = (await snapshotOf(id)).servingNumber;
      const c = pick(people.filter((p) => !p.token && !p.left && p.number <= serving));
      if (c) {
        const res = await claim(id, c.cookie);
        statuses.push(res.res.status);
        if (res.res.status === 200) {
          c.token = res.body.admission.token;
          // One in ten candidates is the same person as another: a duplicate identity.
          c.body = submissionBody(c.token!, random() < 0.1 ? { applicant: sharedIdentity } : {});
        }
      }
    } else if (r < 0.68) {
      // Mostly first submissions; one in five a retry of one already accepted.
      const retry = random() < 0.2;
      const c = pick(people.filter((p) => p.body && (retry ? p.receipts.length > 0 : p.receipts.length === 0)));
      if (c) {
        if (c.receipts.length > 0) faults.retries += 1;
        const res = await submit(id, c.body);
        statuses.push(res.res.status);
        if (res.res.status === 201 || res.res.status === 200) c.receipts.push(res.body.receipt.id);
        if (res.res.status === 409) faults.duplicates += 1;
      }
    } else if (r < 0.74) {
      faults.evictRoom += 1;
      await evictDurableObject(room(id)).catch(() => {});
    } else if (r < 0.8) {
      faults.evictCounter += 1;
      await evictDurableObject(counter(id)).catch(() => {});
    } else if (r < 0.84) {
      faults.d1 += 1;
      await counter(id).armFault("d1", 2);
    } else if (r < 0.87) {
      faults.d1After += 1;
      await counter(id).armFault("d1_after", 1);
    } else if (r < 0.9) {
      faults.roomSync += 1;
      await counter(id).armFault("room_sync", 1);
    } else if (r < 0.93) {
      faults.alarm += 1;
      await counter(id).armFault("alarm", 1);
    } else if (r < 0.96) {
      faults.noShowClock += 1;
      await room(id).advanceClock(31_000);
    } else {
      const c = pick(people.filter((p) => !p.left && p.receipts.length === 0));
      if (c) {
        c.left = true;
        statuses.push((await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: c.cookie })).status);
      }
    }
  }

  // Let the outboxes drain (faults are used up by the retries).
  const stats = await eventually(
    () => counter(id).stats(),
    (s) => s === null || s.outbox.pending === 0,
    20_000,
  );
  return { id, quota, people, statuses, faults, stats: stats ?? { accepted: 0, outbox: { pending: 0 } } };
}

describe("a scripted line under faults", () => {
  for (const seed of [1, 2, 3]) {
    it(`keeps every invariant (seed ${seed})`, async () => {
      const { id, quota, people, statuses, faults, stats } = await chaosRun(seed);

      // No 5xx, whatever failed.
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      // Numbers 1..N, no gap, no repeat.
      expect(people.map((p) => p.number).sort((a, b) => a - b)).toEqual(people.map((_, i) => i + 1));
      // Never more than the quota; every accepted submission has one rank.
      const receiptIds = new Set(people.flatMap((p) => p.receipts));
      expect(stats.accepted).toBe(receiptIds.size);
      expect(stats.accepted).toBeLessThanOrEqual(quota);
      // One admission, one place: retries returned the same receipt.
      for (const p of people) expect(new Set(p.receipts).size).toBeLessThanOrEqual(1);
      // Every accepted submission reached D1, exactly once, ranks 1..accepted.
      const rows = await eventually(() => d1Submissions(id), (rows) => rows.length === receiptIds.size, 15_000);
      expect(new Set(rows.map((r) => r.id))).toEqual(receiptIds);
      expect(rows.map((r) => r.rank)).toEqual(rows.map((_, i) => i + 1));
      // The room learned the accepted count, and never had more than maxActive in flight.
      const s = await eventually(() => snapshotOf(id), (s) => s.quota.accepted === stats.accepted, 15_000);
      expect(s.quota.accepted).toBe(stats.accepted);
      expect(s.activeCount).toBeLessThanOrEqual(8);
      const outbox = await runInDurableObject(counter(id), (_: QuotaCounter, st) =>
        st.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'outbox'").one().n > 0
          ? st.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n
          : 0,
      );
      expect(outbox).toBe(0);
      console.log(`chaos seed ${seed}: ${people.length} entered, ${stats.accepted} accepted, faults ${JSON.stringify(faults)}`);
      expect(faults.evictRoom + faults.evictCounter).toBeGreaterThan(0);
      expect(stats.accepted).toBeGreaterThan(0);
    }, 90_000);
  }
});
