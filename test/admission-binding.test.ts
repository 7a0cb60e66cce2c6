// Attacks on single use: one admission token offered for many accounts and
// applications at once. An admission is bound to the first (accountId,
// applicationId) it is tried with, accepted or refused; the same pair again
// is the replay (or, after a refusal, decided again), any other pair 409
// admission_used, with nothing of the first application in the body.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { admissionToken, applicant, counter, createEvent, d1Submissions, DESKTOP_UA, eventually, gateway, ORIGIN_AUTH, submissionBody, submit, uniqueEvent } from "./helpers";

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
    // Back to the version-1 layout: everything versions 2 and 3 added is dropped.
    await runInDurableObject(counter(id), (_: QuotaCounter, state) => {
      state.storage.sql.exec(`
        DROP TABLE admission_bindings;
        DROP TABLE revoked_tickets;
        DROP INDEX submissions_ticket;
        DROP INDEX submissions_person;
        ALTER TABLE submissions DROP COLUMN ticket_id;
        ALTER TABLE submissions DROP COLUMN person_key;
        ALTER TABLE submissions DROP COLUMN namesake_review_id;
        ALTER TABLE submissions DROP COLUMN payment_reference;
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
    expect(version).toBe(3);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedAdmissionUsed: 1, namesakeOverrides: 0 });
  });
});

describe("a refused attempt spends the admission for anyone else (binding at the first attempt)", () => {
  it("after a 409 duplicate, refuses 300 concurrent distinct pairs with admission_used: none accepted, no D1 row", async () => {
    const id = uniqueEvent("bindrefused");
    await createEvent(id, { quota: 1000 });
    const taken = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-first" }));
    expect(taken.res.status).toBe(201);
    const token = await admissionToken(id);
    // The first attempt with this admission is a duplicate (an account that already has a place).
    const duplicate = await submit(id, submissionBody(token, { accountId: "acct-first" }));
    expect([duplicate.res.status, duplicate.body.error.code]).toEqual([409, "duplicate"]);
    const bodies = Array.from({ length: CONCURRENT }, () => submissionBody(token));
    const results = await Promise.all(bodies.map((b) => submit(id, b)));
    const used = results.filter((r) => r.res.status === 409 && r.body.error.code === "admission_used");
    expect(used.length).toBe(CONCURRENT);
    for (const r of used) expect(Object.keys(r.body.error).sort()).toEqual(["code", "message"]);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedDuplicates: 1, refusedAdmissionUsed: CONCURRENT });
    const rows = await settledRows(id);
    expect(rows.map((r) => r.account_id)).toEqual(["acct-first"]);
  });

  it("binds a phone's refused attempt too; that pair, sent again from a computer, is decided again and accepted", async () => {
    const id = uniqueEvent("bindphone");
    await createEvent(id, { quota: 10 });
    const token = await admissionToken(id);
    const body = submissionBody(token, { device: { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148" } });
    const phone = await submit(id, body);
    expect([phone.res.status, phone.body.error.code]).toEqual([403, "device_not_allowed"]);
    const someoneElse = await submit(id, submissionBody(token));
    expect([someoneElse.res.status, someoneElse.body.error.code]).toEqual([409, "admission_used"]);
    const again = await submit(id, { ...body, device: { userAgent: DESKTOP_UA, mobileHint: "?0" } });
    expect(again.res.status).toBe(201);
    expect((await submit(id, body)).body.replay).toBe(true);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, refusedDevices: 1, refusedAdmissionUsed: 1 });
  });

  it("lets a namesake, refused by the person key, be sent again with its review and the same admission", async () => {
    const id = uniqueEvent("bindnamesake");
    await createEvent(id, { quota: 10 });
    const person = applicant();
    expect((await submit(id, submissionBody(await admissionToken(id), { applicant: person }))).res.status).toBe(201);
    const token = await admissionToken(id);
    const body = submissionBody(token, { applicant: applicant({ ...person, passportNumber: "ZZ9999999" }) });
    const refused = await submit(id, body);
    expect(refused.body.error).toMatchObject({ code: "duplicate", by: "person" });
    const reviewed = await submit(id, { ...body, namesakeReviewed: true, namesakeReviewId: "REV-1" });
    expect(reviewed.res.status).toBe(201);
  });
});
