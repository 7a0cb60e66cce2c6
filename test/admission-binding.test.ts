// Attacks on single use: one admission token offered for many accounts and
// applications at once. An admission is bound to the first (accountId,
// applicationId) that used it; the same pair again is the replay, any other
// pair 409 admission_used, with nothing of the first application in the body.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { admissionToken, applicant, counter, createEvent, d1Submissions, eventually, gateway, ORIGIN_AUTH, submissionBody, submit, uniqueEvent } from "./helpers";

const CONCURRENT = 300;

/** Waits until the counter's outbox is empty, then returns D1's rows for the event. */
async function settledRows(eventId: string) {
  await eventually(() => counter(eventId).stats(), (s) => s !== null && s.outbox.pending === 0);
  return d1Submissions(eventId);
}

describe("one admission offered for many applications", () => {
  it("serves only its first pair: 300 concurrent distinct pairs give one 201, no 200, 299 admission_used, one D1 row", async () => {
    const id = uniqueEvent("bind");
    await createEvent(id, { quota: 1000 });
    const token = await admissionToken(id);
    // Distinct accounts, applications and people: only the admission is shared.
    const bodies = Array.from({ length: CONCURRENT }, () => submissionBody(token));
    const results = await Promise.all(bodies.map((b) => submit(id, b)));

    const created = results.filter((r) => r.res.status === 201);
    const replays = results.filter((r) => r.res.status === 200);
    const used = results.filter((r) => r.res.status === 409 && r.body.error.code === "admission_used");
    expect(created.length).toBe(1);
    expect(replays.length).toBe(0);
    expect(used.length).toBe(CONCURRENT - 1);
    const receiptId = created[0]!.body.receipt.id as string;
    for (const r of used) {
      expect(JSON.stringify(r.body)).not.toContain(receiptId);
      expect(r.body.error).not.toHaveProperty("firstReceiptId");
    }
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedAdmissionUsed: CONCURRENT - 1, refusedDuplicates: 0 });
    const rows = await settledRows(id);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ id: receiptId, rank: 1 });
  });

  it("answers the same pair's 300 concurrent retries with one 201 and 299 replays of that receipt, one D1 row", async () => {
    const id = uniqueEvent("bindsame");
    await createEvent(id, { quota: 1000 });
    const body = submissionBody(await admissionToken(id));
    const results = await Promise.all(Array.from({ length: CONCURRENT }, () => submit(id, body)));

    const created = results.filter((r) => r.res.status === 201);
    const replays = results.filter((r) => r.res.status === 200);
    expect(created.length).toBe(1);
    expect(replays.length).toBe(CONCURRENT - 1);
    for (const r of replays) {
      expect(r.body.replay).toBe(true);
      expect(r.body.receipt).toEqual(created[0]!.body.receipt);
    }
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedAdmissionUsed: 0 });
    expect((await settledRows(id)).length).toBe(1);
  });

  it("refuses the same account with another application, and another account with the same application", async () => {
    const id = uniqueEvent("bindhalf");
    await createEvent(id, { quota: 10 });
    const body = submissionBody(await admissionToken(id), { accountId: "acct-a", applicationId: "app-a" });
    expect((await submit(id, body)).res.status).toBe(201);
    for (const pair of [
      { accountId: "acct-a", applicationId: "app-b" },
      { accountId: "acct-b", applicationId: "app-a" },
      { accountId: "acct-b", applicationId: "app-b" },
    ]) {
      const r = await submit(id, { ...body, ...pair, applicant: applicant() });
      expect(r.res.status).toBe(409);
      expect(r.body.error.code).toBe("admission_used");
    }
    // The first pair still gets its receipt, with another applicant in the body (the binding is the pair, not the person).
    const again = await submit(id, { ...body, applicant: applicant() });
    expect(again.res.status).toBe(200);
    expect(again.body.replay).toBe(true);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedAdmissionUsed: 3 });
  });

  it("says so in French by default and in English when asked", async () => {
    const id = uniqueEvent("bindlang");
    await createEvent(id, { quota: 10 });
    const token = await admissionToken(id);
    expect((await submit(id, submissionBody(token))).res.status).toBe(201);
    const send = (headers: Record<string, string>, query = "") =>
      gateway(`/guichet/api/submissions?event=${id}${query}`, {
        method: "POST",
        headers: { ...ORIGIN_AUTH, "content-type": "application/json", ...headers },
        body: JSON.stringify(submissionBody(token)),
      });
    const fr = (await (await send({})).json()) as any;
    const en = (await (await send({ "accept-language": "en-CA,en;q=0.9" })).json()) as any;
    const enQuery = (await (await send({}, "&lang=en")).json()) as any;
    expect(fr.error.code).toBe("admission_used");
    expect(fr.error.message).toMatch(/admission a déjà servi/);
    expect(en.error.message).toMatch(/admission was already used/);
    expect(enQuery.error.message).toBe(en.error.message);
  });

  it("keeps an admission used before bindings existed (a counter of version 1) bound to its account", async () => {
    const id = uniqueEvent("bindv1");
    await createEvent(id, { quota: 10 });
    const body = submissionBody(await admissionToken(id));
    const first = await submit(id, body);
    expect(first.res.status).toBe(201);
    // Back to the version-1 layout: everything version 2 added is dropped.
    await runInDurableObject(counter(id), (_: QuotaCounter, state) => {
      state.storage.sql.exec(`
        DROP TABLE admission_bindings;
        DROP TABLE revoked_tickets;
        DROP INDEX submissions_ticket;
        DROP INDEX submissions_person;
        ALTER TABLE submissions DROP COLUMN ticket_id;
        ALTER TABLE submissions DROP COLUMN person_key;
        ALTER TABLE submissions DROP COLUMN namesake_review_id;
        ALTER TABLE counter DROP COLUMN refused_admission_used;
        ALTER TABLE counter DROP COLUMN namesake_overrides;
        UPDATE schema_version SET version = 1;
      `);
    });
    const { evictDurableObject } = await import("cloudflare:test");
    await evictDurableObject(counter(id));

    // Migrated on start: the same account (whatever application it names now) replays; another account is refused.
    const replay = await submit(id, { ...body, applicationId: "app-renamed" });
    expect(replay.res.status).toBe(200);
    expect(replay.body.receipt.id).toBe(first.body.receipt.id);
    const other = await submit(id, { ...body, accountId: "acct-other", applicant: applicant() });
    expect(other.res.status).toBe(409);
    expect(other.body.error.code).toBe("admission_used");
    const version = await runInDurableObject(counter(id), (_: QuotaCounter, state) => state.storage.sql.exec("SELECT version FROM schema_version").one().version);
    expect(version).toBe(2);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedAdmissionUsed: 1, namesakeOverrides: 0 });
  });
});
