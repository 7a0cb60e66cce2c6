// POST /guichet/api/leave against a racing submission. The leave revokes the
// ticket's admissions in the QuotaCounter before the QueueRoom frees the
// place, so a submission is accepted before the leave (which then says
// `submitted: true`) or refused after it, never accepted once the place is free.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QueueRoom } from "../src/durable/queue-room/queue-room";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { claim, counter, createEvent, enter, eventually, gateway, room, snapshotOf, submissionBody, submit, tick, uniqueEvent } from "./helpers";

const leave = async (eventId: string, cookie: string) => {
  const res = await gateway(`/guichet/api/leave?event=${eventId}`, { method: "POST", cookie });
  return { res, body: (await res.json()) as any };
};

/** `count` candidates entered, called and admitted: their cookies and admission tokens. */
async function admitted(eventId: string, count: number) {
  const tickets = [];
  for (let i = 0; i < count; i++) tickets.push(await enter(eventId));
  await tick(eventId);
  return Promise.all(
    tickets.map(async (t) => {
      const c = await claim(eventId, t.cookie!);
      expect(c.res.status).toBe(200);
      return { cookie: t.cookie!, number: t.body.number as number, token: c.body.admission.token as string };
    }),
  );
}

describe("POST /guichet/api/leave", () => {
  it("revokes before it frees the place: when the counter fails, the place stays held and the token stays good", async () => {
    const id = uniqueEvent("leavefault");
    await createEvent(id, { quota: 10, maxActive: 5 });
    const [a] = await admitted(id, 1);
    await counter(id).armFault("revoke", 1);

    const failed = await leave(id, a!.cookie);
    expect(failed.res.status).toBe(500);
    // Nothing happened in the room: the admission still holds its place.
    expect((await snapshotOf(id)).activeCount).toBe(1);
    const row = await runInDurableObject(room(id), (_: QueueRoom, state) => state.storage.sql.exec("SELECT state FROM tickets WHERE number = ?", a!.number).one());
    expect(row.state).toBe("admitted");

    // Left for good on the retry: place freed, token refused.
    const left = await leave(id, a!.cookie);
    expect(left.res.status).toBe(200);
    expect(left.body).toMatchObject({ left: true, number: a!.number, submitted: false });
    expect((await snapshotOf(id)).activeCount).toBe(0);
    const late = await submit(id, submissionBody(a!.token));
    expect(late.res.status).toBe(401);
    expect(late.body.error).toMatchObject({ code: "admission_invalid", revoked: true });
    expect(await counter(id).stats()).toMatchObject({ accepted: 0 });
  });

  it("reports a submission accepted before it, and keeps its receipt for the origin's retries", async () => {
    const id = uniqueEvent("leaveafter");
    await createEvent(id, { quota: 10, maxActive: 5 });
    const [a] = await admitted(id, 1);
    const body = submissionBody(a!.token);
    const first = await submit(id, body);
    expect(first.res.status).toBe(201);
    expect((await leave(id, a!.cookie)).body).toMatchObject({ left: true, submitted: true });
    const retry = await submit(id, body);
    expect(retry.res.status).toBe(200);
    expect(retry.body.receipt.id).toBe(first.body.receipt.id);
  });

  it("refuses a token claimed by a ticket that has left, even one claimed after the leave began", async () => {
    const id = uniqueEvent("leaveclaim");
    await createEvent(id, { quota: 10, maxActive: 5 });
    const t = await enter(id);
    await tick(id);
    // Claim and leave at once: whichever the room sees first, the token cannot submit afterwards.
    const [c, l] = await Promise.all([claim(id, t.cookie!), leave(id, t.cookie!)]);
    expect(l.body).toMatchObject({ left: true, submitted: false });
    if (c.res.status === 200) {
      const r = await submit(id, submissionBody(c.body.admission.token));
      expect(r.res.status).toBe(401);
    }
    expect(await counter(id).stats()).toMatchObject({ accepted: 0 });
  });

  it("under 60 concurrent submit-and-leave races: each submission is accepted before its leave or refused after, never once the place is free", async () => {
    const id = uniqueEvent("leaverace");
    const n = 60;
    await createEvent(id, { quota: 100, maxActive: n, admitPerMinute: 100_000 });
    const people = await admitted(id, n);
    // All in flight at once. A third submit and then leave, a third leave and then submit (so both
    // orders are always tried), and a third send both together and let the objects decide.
    const outcomes = await Promise.all(
      people.map(async (p, i) => {
        if (i % 3 === 0) {
          const sub = await submit(id, submissionBody(p.token));
          return { sub, left: await leave(id, p.cookie) };
        }
        if (i % 3 === 1) {
          const left = await leave(id, p.cookie);
          return { sub: await submit(id, submissionBody(p.token)), left };
        }
        const [sub, left] = await Promise.all([submit(id, submissionBody(p.token)), leave(id, p.cookie)]);
        return { sub, left };
      }),
    );
    let accepted = 0;
    for (const { sub, left } of outcomes) {
      expect(left.res.status).toBe(200);
      if (sub.res.status === 201) {
        accepted += 1;
        expect(left.body.submitted).toBe(true);
      } else {
        expect(sub.res.status).toBe(401);
        expect(sub.body.error).toMatchObject({ code: "admission_invalid", revoked: true });
        expect(left.body.submitted).toBe(false);
      }
    }
    expect(await counter(id).stats()).toMatchObject({ accepted });
    // The sequential thirds decide at least these.
    expect(accepted).toBeGreaterThanOrEqual(n / 3);
    expect(accepted).toBeLessThanOrEqual((2 * n) / 3);

    // Every accepted submission was decided no later than its place was freed in the room.
    const acceptedAt = await runInDurableObject(counter(id), (_: QuotaCounter, state) =>
      new Map(state.storage.sql.exec<{ ticket_id: string; accepted_at: number }>("SELECT ticket_id, accepted_at FROM submissions").toArray().map((r) => [r.ticket_id, r.accepted_at])),
    );
    const freedAt = await runInDurableObject(room(id), (_: QueueRoom, state) =>
      new Map(state.storage.sql.exec<{ ticket_id: string; ended_at: number }>("SELECT ticket_id, ended_at FROM tickets WHERE state = 'left'").toArray().map((r) => [r.ticket_id, r.ended_at])),
    );
    expect(acceptedAt.size).toBe(accepted);
    for (const [ticketId, at] of acceptedAt) {
      const freed = freedAt.get(ticketId);
      if (freed !== undefined) expect(at).toBeLessThanOrEqual(freed);
    }
    const s = await eventually(() => snapshotOf(id), (s) => s.activeCount === 0 && s.quota.accepted === accepted);
    expect(s).toMatchObject({ activeCount: 0, quota: { accepted } });
  });
});
