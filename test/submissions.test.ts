// The submission gateway: the quota counted exactly under concurrency, single
// use of admissions, duplicates, devices, and the origin's other commands.
import { createExecutionContext, createScheduledController, waitOnExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import worker from "../src/worker";
import {
  admissionToken,
  applicant,
  claim,
  counter,
  createEvent,
  d1Submissions,
  DESKTOP_UA,
  enter,
  eventually,
  gateway,
  ORIGIN_AUTH,
  room,
  snapshotOf,
  submissionBody,
  submit,
  tick,
  uniqueEvent,
} from "./helpers";

describe("POST /guichet/api/submissions", () => {
  it("accepts exactly the quota out of 1,000 concurrent submissions, ranks 1..100, none lost", async () => {
    const id = uniqueEvent("quota");
    await createEvent(id, { quota: 100 });
    const bodies = await Promise.all(Array.from({ length: 1000 }, async (_, i) => submissionBody(await admissionToken(id, { num: i + 1 }))));
    const results = await Promise.all(bodies.map((b) => submit(id, b)));

    const accepted = results.filter((r) => r.res.status === 201);
    const refused = results.filter((r) => r.res.status === 410);
    expect(accepted.length).toBe(100);
    expect(refused.length).toBe(900);
    expect(refused.every((r) => r.body.error.code === "quota_reached")).toBe(true);
    expect(accepted.map((r) => r.body.receipt.rank).sort((a: number, b: number) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    for (const r of accepted) {
      expect(r.body.receipt).toMatchObject({ quota: 100, status: "accepted", kind: "quota" });
      expect(Date.parse(r.body.receipt.paymentDueAt) - Date.parse(r.body.receipt.acceptedAt)).toBe(30 * 24 * 3600 * 1000);
      expect(r.body.receipt.receiptToken).toMatch(/^r2\.t0\./);
    }
    expect(await counter(id).stats()).toMatchObject({ accepted: 100, refusedQuota: 900, closed: true, closedReason: "quota_reached" });

    // Every accepted submission reaches D1, exactly once, in rank order.
    const rows = await eventually(() => d1Submissions(id), (r) => r.length === 100);
    expect(rows.map((r) => r.rank)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(accepted.map((r) => r.body.receipt.id)));

    // The quota reached closes the room: no more numbers.
    const closed = await eventually(() => snapshotOf(id), (s) => s.phase === "closed");
    expect(closed).toMatchObject({ phase: "closed", closedReason: "quota_reached" });
    const late = await enter(id);
    expect(late.res.status).toBe(410);
    expect(late.body.error.code).toBe("closed");
  });

  it("gives one place to one admission: the same token again returns the original receipt", async () => {
    const id = uniqueEvent("replay");
    await createEvent(id, { quota: 10 });
    const body = submissionBody(await admissionToken(id));
    const results = await Promise.all(Array.from({ length: 20 }, () => submit(id, body)));
    const created = results.filter((r) => r.res.status === 201);
    const replays = results.filter((r) => r.res.status === 200);
    expect(created.length).toBe(1);
    expect(replays.length).toBe(19);
    for (const r of replays) {
      expect(r.body.replay).toBe(true);
      expect(r.body.receipt).toEqual(created[0]!.body.receipt);
    }
    // The same admission for another account is someone else's application: refused, no second place.
    const other = await submit(id, { ...body, accountId: "someone-else", applicant: applicant() });
    expect(other.res.status).toBe(409);
    expect(other.body.error.code).toBe("admission_used");
    expect(await counter(id).stats()).toMatchObject({ accepted: 1 });
  });

  it("refuses duplicates by account and by identity (accents, case, spaces, hyphens) without taking a place", async () => {
    const id = uniqueEvent("dup");
    await createEvent(id, { quota: 10 });
    const person = { familyName: "Côté-Lévesque", givenNames: "Jean-François", birthDate: "1980-01-31", countryOfBirth: "fr", passportNumber: "12 AB-345" };
    const first = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-1", applicant: applicant(person) }));
    expect(first.res.status).toBe(201);

    const sameAccount = await submit(id, submissionBody(await admissionToken(id), { accountId: "acct-1" }));
    expect(sameAccount.res.status).toBe(409);
    expect(sameAccount.body.error).toMatchObject({ code: "duplicate", firstReceiptId: first.body.receipt.id, by: "account" });

    for (const variant of [
      { familyName: "COTE LEVESQUE", givenNames: "jean francois" },
      { familyName: "  côté   lévesque ", givenNames: "Jean François" },
      { familyName: "Cote-Levesque", givenNames: "JEAN-FRANÇOIS", passportNumber: "12ab345", countryOfBirth: "FR" },
    ]) {
      const dup = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant({ ...person, ...variant }) }));
      expect(dup.res.status).toBe(409);
      expect(dup.body.error).toMatchObject({ code: "duplicate", firstReceiptId: first.body.receipt.id, by: "identity" });
    }
    // A different person (another birth date) is not a duplicate.
    const other = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant({ ...person, birthDate: "1980-02-01" }) }));
    expect(other.res.status).toBe(201);
    expect(other.body.receipt.rank).toBe(2);
    expect(await counter(id).stats()).toMatchObject({ accepted: 2, refusedDuplicates: 4 });
  });

  it("refuses phones and tablets (403 device_not_allowed), whichever side saw them", async () => {
    const id = uniqueEvent("device");
    await createEvent(id, { quota: 10 });
    const phone = { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", mobileHint: "?1" };
    const androidTablet = { userAgent: "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 Chrome/126 Safari/537.36" };
    const iPadAsMac = { userAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17 Safari/605.1.15", touchPoints: 5 };
    for (const device of [phone, androidTablet, iPadAsMac]) {
      const r = await submit(id, submissionBody(await admissionToken(id), { device }));
      expect(r.res.status).toBe(403);
      expect(r.body.error.code).toBe("device_not_allowed");
    }
    // Claimed on a phone, submitted with a desktop user agent: still a phone.
    const r = await submit(id, submissionBody(await admissionToken(id, { dev: "mobile" }), { device: { userAgent: DESKTOP_UA } }));
    expect(r.res.status).toBe(403);
    expect(await counter(id).stats()).toMatchObject({ accepted: 0, refusedDevices: 4 });
  });

  it("refuses expired, foreign, tampered and revoked admissions", async () => {
    const id = uniqueEvent("tok");
    const other = uniqueEvent("tokother");
    await createEvent(id, { quota: 10 });
    await createEvent(other, { quota: 10 });
    const expired = await submit(id, submissionBody(await admissionToken(id, { iat: Math.floor(Date.now() / 1000) - 700 })));
    expect(expired.res.status).toBe(410);
    expect(expired.body.error.code).toBe("admission_expired");
    const foreign = await submit(id, submissionBody(await admissionToken(other)));
    expect(foreign.res.status).toBe(401);
    expect(foreign.body.error.code).toBe("admission_invalid");
    const token = await admissionToken(id);
    const tampered = await submit(id, submissionBody(token.slice(0, -4) + "AAAA"));
    expect(tampered.res.status).toBe(401);

    // A candidate who left cannot submit with the token they held.
    const a = await enter(id);
    await tick(id);
    const c = await claim(id, a.cookie!);
    await gateway(`/guichet/api/leave?event=${id}`, { method: "POST", cookie: a.cookie! });
    const revoked = await submit(id, submissionBody(c.body.admission.token));
    expect(revoked.res.status).toBe(401);
    expect(revoked.body.error).toMatchObject({ code: "admission_invalid", revoked: true });
    expect(await counter(id).stats()).toMatchObject({ accepted: 0 });
  });

  it("answers 401 without the origin's key and 422 with the field at fault", async () => {
    const id = uniqueEvent("auth");
    await createEvent(id);
    const body = JSON.stringify(submissionBody(await admissionToken(id)));
    for (const authorization of [undefined, "Bearer wrong", `Basic ${env.ORIGIN_API_KEY}`]) {
      const res = await gateway(`/guichet/api/submissions?event=${id}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body,
      });
      expect(res.status).toBe(401);
    }
    const bad = await submit(id, submissionBody(await admissionToken(id), { applicant: applicant({ birthDate: "1985-13-45" }) }));
    expect(bad.res.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: "invalid_body", field: "applicant.birthDate" });
    const rep = await submit(id, submissionBody(await admissionToken(id), { signedByRepresentative: true, representativeId: null }));
    expect(rep.res.status).toBe(422);
    expect(rep.body.error.field).toBe("representativeId");
  });
});

describe("the quota-aware line", () => {
  it("never refuses an admitted candidate for quota when overbook is 1", async () => {
    const id = uniqueEvent("fair");
    const quota = 8;
    await createEvent(id, { quota, maxActive: 5, admitPerMinute: 100_000, overbook: 1 });
    const tickets = [];
    for (let i = 0; i < 30; i++) tickets.push(await enter(id));
    const outcomes: number[] = [];
    for (let round = 0; round < 12; round++) {
      await tick(id);
      for (const t of tickets) {
        const c = await claim(id, t.cookie!);
        if (c.res.status !== 200) continue;
        const r = await submit(id, submissionBody(c.body.admission.token));
        if (r.res.status === 201 || r.res.status === 410) outcomes.push(r.res.status);
        await eventually(() => snapshotOf(id), (s) => s.quota.accepted >= outcomes.filter((o) => o === 201).length);
      }
    }
    expect(outcomes.filter((o) => o === 201).length).toBe(quota);
    expect(outcomes.filter((o) => o === 410).length).toBe(0);
  });
});

describe("the outbox to D1", () => {
  it("delivers a row exactly once when D1 takes it but the object dies before noting it", async () => {
    const id = uniqueEvent("once");
    await createEvent(id, { quota: 10 });
    await counter(id).armFault("d1_after", 1);
    const r = await submit(id, submissionBody(await admissionToken(id)));
    expect(r.res.status).toBe(201);
    const rows = await eventually(
      () => runInDurableObject(counter(id), (_: QuotaCounter, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'submission'").one().n),
      (n) => n === 0,
    );
    expect(rows).toBe(0);
    expect((await d1Submissions(id)).length).toBe(1);
  });

  it("keeps a row through an eviction while D1 fails, and retries until D1 takes it", async () => {
    const id = uniqueEvent("retry");
    await createEvent(id, { quota: 10 });
    await counter(id).armFault("d1", 3);
    const r = await submit(id, submissionBody(await admissionToken(id)));
    expect(r.res.status).toBe(201);
    const { evictDurableObject } = await import("cloudflare:test");
    await evictDurableObject(counter(id));
    expect((await d1Submissions(id)).length).toBe(0);
    // Backoff 0.5 s, 1 s, 2 s: the alarm retries on its own.
    const rows = await eventually(() => d1Submissions(id), (rows) => rows.length === 1, 15_000);
    expect(rows.length).toBe(1);
    expect(rows[0]).toMatchObject({ id: r.body.receipt.id, rank: 1, status: "accepted" });
    const stats = await counter(id).stats();
    expect(stats?.outbox.pending).toBe(0);
  }, 20_000);

  it("tells the room about accepted submissions even while D1 is down", async () => {
    const id = uniqueEvent("lanes");
    await createEvent(id, { quota: 10 });
    await counter(id).armFault("d1", 1000);
    for (let i = 0; i < 3; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const s = await eventually(() => snapshotOf(id), (s) => s.quota.accepted === 3);
    expect(s.quota.accepted).toBe(3);
    expect((await d1Submissions(id)).length).toBe(0);
    expect((await counter(id).stats())?.outbox.pending).toBe(3);
  });

  it("stores no plain identity in the counter or in D1", async () => {
    const id = uniqueEvent("privacy");
    await createEvent(id, { quota: 10 });
    const person = applicant({ familyName: "Gagnon-Secret", passportNumber: "ZX9876543", email: "secret.person@example.org" });
    const r = await submit(id, submissionBody(await admissionToken(id), { applicant: person }));
    expect(r.res.status).toBe(201);
    await eventually(() => d1Submissions(id), (rows) => rows.length === 1);
    const dump = await runInDurableObject(counter(id), (_: QuotaCounter, state) =>
      JSON.stringify(state.storage.sql.exec("SELECT * FROM submissions").toArray()),
    );
    const rows = JSON.stringify(await d1Submissions(id));
    for (const secret of ["Gagnon", "gagnon", "ZX9876543", "secret.person", "1985-04-02"]) {
      expect(dump).not.toContain(secret);
      expect(rows).not.toContain(secret);
    }
  });
});

describe("receipts, payments and always-eligible submissions", () => {
  it("lets the candidate read the status with the receipt token, and the origin mark it paid", async () => {
    const id = uniqueEvent("pay");
    await createEvent(id, { quota: 10 });
    const r = await submit(id, submissionBody(await admissionToken(id)));
    const { id: subId, receiptToken } = r.body.receipt;
    const read = await gateway(`/guichet/api/submissions/${subId}`, { headers: { authorization: `Bearer ${receiptToken}` } });
    expect(read.status).toBe(200);
    expect(((await read.json()) as any).submission).toMatchObject({ id: subId, status: "accepted", rank: 1 });
    const wrong = await gateway(`/guichet/api/submissions/${crypto.randomUUID()}`, { headers: { authorization: `Bearer ${receiptToken}` } });
    expect(wrong.status).toBe(401);

    const paid = await gateway(`/guichet/api/submissions/${subId}/payment?event=${id}`, {
      method: "POST",
      headers: { ...ORIGIN_AUTH, "content-type": "application/json" },
      body: JSON.stringify({ reference: "CC-1234" }),
    });
    expect(paid.status).toBe(200);
    expect(((await paid.json()) as any).submission.status).toBe("paid");
    const rows = await eventually(() => d1Submissions(id), (rows) => rows[0]?.status === "paid");
    expect(rows[0]).toMatchObject({ status: "paid" });
    const payment = await env.DB.prepare("SELECT * FROM payments WHERE submission_id = ?").bind(subId).first();
    expect(payment).toMatchObject({ reference: "CC-1234", event_id: id });
  });

  it("marks submissions unpaid after 30 days expired_unpaid in the daily sweep, without freeing places by default", async () => {
    const id = uniqueEvent("unpaid");
    await createEvent(id, { quota: 10 });
    await submit(id, submissionBody(await admissionToken(id)));
    await submit(id, submissionBody(await admissionToken(id)));
    await eventually(() => d1Submissions(id), (rows) => rows.length === 2);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 31 * 24 * 3600 * 1000 }), env, ctx);
    await waitOnExecutionContext(ctx);
    const rows = await eventually(() => d1Submissions(id), (rows) => rows.every((r) => r.status === "expired_unpaid"));
    expect(rows.map((r) => r.status)).toEqual(["expired_unpaid", "expired_unpaid"]);
    expect(await counter(id).stats()).toMatchObject({ accepted: 2 });
  });

  it("records always-eligible submissions outside the quota, counted apart, duplicates still refused", async () => {
    const id = uniqueEvent("elig");
    await createEvent(id, { quota: 1 });
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(410);
    const person = applicant();
    const eligible = { accountId: "mpq-eligible-1", applicationId: "app-e1", applicant: person, eligibility: "temporary_resident", device: { userAgent: DESKTOP_UA } };
    const e = await submit(id, eligible, "/guichet/api/eligible-submissions");
    expect(e.res.status).toBe(201);
    expect(e.body.receipt).toMatchObject({ kind: "eligible", rank: null });
    const dup = await submit(id, { ...eligible, accountId: "mpq-eligible-2" }, "/guichet/api/eligible-submissions");
    expect(dup.res.status).toBe(409);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, eligible: 1 });
  });
});

describe("POST /guichet/api/admissions/release", () => {
  it("frees the place at once and stops the token from submitting", async () => {
    const id = uniqueEvent("release");
    await createEvent(id, { quota: 10, maxActive: 1 });
    const a = await enter(id);
    const b = await enter(id);
    await tick(id);
    const c = await claim(id, a.cookie!);
    const res = await gateway(`/guichet/api/admissions/release?event=${id}`, {
      method: "POST",
      headers: { ...ORIGIN_AUTH, "content-type": "application/json" },
      body: JSON.stringify({ admissionToken: c.body.admission.token }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ released: true, submitted: false, number: 1 });
    expect(await room(id).snapshot()).toMatchObject({ activeCount: 0 });
    await tick(id);
    expect((await claim(id, b.cookie!)).res.status).toBe(200);
    const late = await submit(id, submissionBody(c.body.admission.token));
    expect(late.res.status).toBe(401);
  });
});
