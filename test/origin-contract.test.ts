// The origin's contract, as an integration team meets it (issue 34): every
// body is strict (an unknown field is 422 naming it, and nothing is
// recorded), a payment needs its reference and keeps the first one, a closed
// intake says why, the always-eligible lane stays open after a close, and a
// retry after the admission's exp still gets its receipt.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import {
  admissionToken,
  applicant,
  counter,
  createEvent,
  d1Submissions,
  DESKTOP_UA,
  eventually,
  gateway,
  OPS_AUTH,
  ORIGIN_AUTH,
  submissionBody,
  submit,
  uniqueEvent,
} from "./helpers";

const json = { ...ORIGIN_AUTH, "content-type": "application/json" };

async function post(path: string, body: unknown) {
  const res = await gateway(path, { method: "POST", headers: json, body: typeof body === "string" ? body : JSON.stringify(body) });
  return { res, body: (await res.json()) as any };
}

const pay = (eventId: string, id: string, body: unknown) => post(`/guichet/api/submissions/${id}/payment?event=${eventId}`, body);

function eligibleBody(overrides: Record<string, unknown> = {}) {
  const { admissionToken: _, ...rest } = submissionBody("unused");
  return { ...rest, eligibility: "temporary_resident", ...overrides };
}

describe("strict bodies: an unknown field is 422 naming it, and nothing is recorded", () => {
  it("refuses 12 misspelt or extra fields on submissions, eligible submissions, payments and releases", async () => {
    const id = uniqueEvent("strict");
    await createEvent(id, { quota: 10 });
    const token = await admissionToken(id);
    const accepted = await submit(id, submissionBody(await admissionToken(id)));
    expect(accepted.res.status).toBe(201);
    const subId = accepted.body.receipt.id as string;
    const body = submissionBody(token);
    const cases: [string, string, unknown, string][] = [
      ["submission: a stray top-level field", `/guichet/api/submissions?event=${id}`, { ...body, foo: 1 }, "foo"],
      ["submission: accountID for accountId", `/guichet/api/submissions?event=${id}`, { ...body, accountID: "x" }, "accountID"],
      ["submission: an amount", `/guichet/api/submissions?event=${id}`, { ...body, amount: 120 }, "amount"],
      ["submission: applicant.passport for passportNumber", `/guichet/api/submissions?event=${id}`, { ...body, applicant: { ...body.applicant, passport: "X1" } }, "applicant.passport"],
      ["submission: device.ua", `/guichet/api/submissions?event=${id}`, { ...body, device: { ua: DESKTOP_UA } }, "device.ua"],
      ["submission: namesakeReview for namesakeReviewed", `/guichet/api/submissions?event=${id}`, { ...body, namesakeReview: true }, "namesakeReview"],
      ["eligible: a stray field", `/guichet/api/eligible-submissions?event=${id}`, eligibleBody({ foo: "bar" }), "foo"],
      ["eligible: an admissionToken it does not take", `/guichet/api/eligible-submissions?event=${id}`, eligibleBody({ admissionToken: token }), "admissionToken"],
      ["eligible: applicant.mail", `/guichet/api/eligible-submissions?event=${id}`, eligibleBody({ applicant: { ...applicant(), mail: "a@b.c" } }), "applicant.mail"],
      ["payment: an amount beside the reference", `/guichet/api/submissions/${subId}/payment?event=${id}`, { reference: "CC-1", amount: 120 }, "amount"],
      ["payment: ref for reference", `/guichet/api/submissions/${subId}/payment?event=${id}`, { ref: "CC-1" }, "ref"],
      ["release: a stray field", `/guichet/api/admissions/release?event=${id}`, { admissionToken: token, reason: "abandoned" }, "reason"],
    ];
    for (const [what, path, sent, field] of cases) {
      const r = await post(path, sent);
      expect([what, r.res.status, r.body.error.code, r.body.error.field]).toEqual([what, 422, "invalid_body", field]);
    }
    // Nothing was recorded: one accepted submission (the setup's), none eligible, not paid, the token unbound and unreleased.
    expect(await counter(id).stats()).toMatchObject({ accepted: 1, eligible: 0, paid: 0, refusedAdmissionUsed: 0 });
    expect((await submit(id, body)).res.status).toBe(201);
  });

  it("says which field in English too", async () => {
    const id = uniqueEvent("strict-en");
    await createEvent(id, { quota: 10 });
    const res = await gateway(`/guichet/api/submissions?event=${id}&lang=en`, { method: "POST", headers: json, body: JSON.stringify({ ...submissionBody(await admissionToken(id)), foo: 1 }) });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toEqual({ code: "invalid_body", message: "The request body is not valid.", field: "foo" });
  });
});

describe("payment: the reference is required, the first one is kept", () => {
  it("refuses a payment without a reference, records the first, repeats it idempotently, refuses another with the recorded one", async () => {
    const id = uniqueEvent("payref");
    await createEvent(id, { quota: 10 });
    const { id: subId, receiptToken } = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;

    // No body, an empty object, an empty or blank reference, a control character: 422, and still unpaid.
    const none = await gateway(`/guichet/api/submissions/${subId}/payment?event=${id}`, { method: "POST", headers: ORIGIN_AUTH });
    expect([none.status, ((await none.json()) as any).error.field]).toEqual([422, "(body)"]);
    for (const [sent, field] of [
      [{}, "reference"],
      [{ reference: "" }, "reference"],
      [{ reference: "   " }, "reference"],
      [{ reference: "CC\n1" }, "reference"],
      [{ reference: "x".repeat(101) }, "reference"],
    ] as const) {
      const r = await pay(id, subId, sent);
      expect([r.res.status, r.body.error.field]).toEqual([422, field]);
    }
    expect(await counter(id).stats()).toMatchObject({ paid: 0 });

    const first = await pay(id, subId, { reference: "CC-1234" });
    expect(first.res.status).toBe(200);
    expect(first.body.submission).toMatchObject({ id: subId, status: "paid", paymentReference: "CC-1234" });
    const again = await pay(id, subId, { reference: " CC-1234 " });
    expect(again.res.status).toBe(200);
    expect(again.body.submission).toEqual(first.body.submission);

    const other = await pay(id, subId, { reference: "CC-9999" });
    expect(other.res.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: "already_paid", reference: "CC-1234", paidAt: first.body.submission.paidAt });

    // The reference is in every answer: the origin's read and the candidate's.
    for (const bearer of [env.ORIGIN_API_KEY, receiptToken]) {
      const read = await gateway(`/guichet/api/submissions/${subId}?event=${id}`, { headers: { authorization: `Bearer ${bearer}` } });
      expect(((await read.json()) as any).submission).toMatchObject({ status: "paid", paymentReference: "CC-1234" });
    }
    // And in D1: the submission's row and the payment's, once, with the first reference.
    const rows = await eventually(() => d1Submissions(id), (r) => r[0]?.payment_reference === "CC-1234");
    expect(rows[0]).toMatchObject({ status: "paid", payment_reference: "CC-1234" });
    const payments = await env.DB.prepare("SELECT reference FROM payments WHERE submission_id = ?").bind(subId).all();
    expect(payments.results).toEqual([{ reference: "CC-1234" }]);
  });

  it("shows the reference in the ministry's CSV export", async () => {
    const id = uniqueEvent("paycsv");
    await createEvent(id, { quota: 10 });
    const a = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;
    const b = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;
    expect((await pay(id, a.id, { reference: "=HYPERLINK(1)" })).res.status).toBe(200);
    await eventually(() => d1Submissions(id), (r) => r.length === 2 && r[0]?.payment_reference !== null);
    const csv = await (await gateway(`/guichet/ops/api/submissions.csv?event=${id}`, { headers: OPS_AUTH })).text();
    const [header, first, second] = csv.trimEnd().split("\r\n") as [string, string, string];
    const columns = header.split(",");
    expect(columns.at(-1)).toBe("payment_reference");
    // A spreadsheet formula in a reference is written as text.
    expect(first.split(",")[0]).toBe(a.id);
    expect(first.split(",").at(-1)).toBe("'=HYPERLINK(1)");
    expect(second.split(",")[0]).toBe(b.id);
    expect(second.split(",").at(-1)).toBe("");
  });

  it("gives a submission paid before references were kept the first reference it is sent", async () => {
    const id = uniqueEvent("paylegacy");
    await createEvent(id, { quota: 10 });
    const { id: subId } = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;
    const paidAt = Date.now() - 60_000;
    await runInDurableObject(counter(id), (_: QuotaCounter, state) => {
      state.storage.sql.exec("UPDATE submissions SET status = 'paid', paid_at = ?, payment_reference = NULL WHERE id = ?", paidAt, subId);
    });
    const first = await pay(id, subId, { reference: "LEGACY-1" });
    expect(first.res.status).toBe(200);
    expect(first.body.submission).toMatchObject({ status: "paid", paymentReference: "LEGACY-1", paidAt: new Date(paidAt).toISOString() });
    expect((await pay(id, subId, { reference: "LEGACY-2" })).body.error).toMatchObject({ code: "already_paid", reference: "LEGACY-1" });
  });
});

describe("a closed intake says why, and the always-eligible lane stays open", () => {
  it("answers 410 closed_by_operator after an operator closes with 4 of 5,100 places taken, and takes eligible submissions still", async () => {
    const id = uniqueEvent("closedop");
    await createEvent(id, { quota: 5100 });
    for (let i = 0; i < 4; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const closed = await gateway(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers: OPS_AUTH });
    expect(closed.status).toBe(200);
    const r = await submit(id, submissionBody(await admissionToken(id)));
    expect(r.res.status).toBe(410);
    expect(r.body.error.code).toBe("closed_by_operator");
    const en = await gateway(`/guichet/api/submissions?event=${id}&lang=en`, { method: "POST", headers: json, body: JSON.stringify(submissionBody(await admissionToken(id))) });
    expect(((await en.json()) as any).error.message).toBe("The intake was closed by the operators: submission is closed.");
    const e = await submit(id, eligibleBody(), "/guichet/api/eligible-submissions");
    expect(e.res.status).toBe(201);
    expect(await counter(id).stats()).toMatchObject({ accepted: 4, eligible: 1, refusedQuota: 2, closedReason: "closed_by_operator" });
  });

  it("answers 410 quota_reached once the quota is filled, and takes eligible submissions still", async () => {
    const id = uniqueEvent("closedquota");
    await createEvent(id, { quota: 2 });
    for (let i = 0; i < 2; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const r = await submit(id, submissionBody(await admissionToken(id)));
    expect([r.res.status, r.body.error.code]).toEqual([410, "quota_reached"]);
    expect((await submit(id, eligibleBody(), "/guichet/api/eligible-submissions")).res.status).toBe(201);
    expect(await counter(id).stats()).toMatchObject({ accepted: 2, eligible: 1, closedReason: "quota_reached" });
  });
});

describe("a retry after the admission's exp", () => {
  it("gets the original receipt (200 replay) when the first attempt was accepted; 410 admission_expired otherwise", async () => {
    const id = uniqueEvent("lateretry");
    await createEvent(id, { quota: 10 });
    const now = Math.floor(Date.now() / 1000);
    // Valid for one more second: accepted now, retried 7 s after its exp (past the 5 s of clock tolerance).
    const token = await admissionToken(id, { iat: now - 599, lifetime: 600 });
    const body = submissionBody(token);
    const first = await submit(id, body);
    expect(first.res.status).toBe(201);
    const unused = submissionBody(await admissionToken(id, { iat: now - 599, lifetime: 600 }));
    await new Promise((r) => setTimeout(r, Math.max(0, (now + 1 + 7) * 1000 - Date.now())));

    const retry = await submit(id, { ...body, applicant: applicant() });
    expect(retry.res.status).toBe(200);
    expect(retry.body).toEqual({ receipt: first.body.receipt, replay: true });
    // Another pair with the spent admission: admission_used, not a word about expiry or the first application.
    const other = await submit(id, { ...body, accountId: "acct-late", applicationId: "app-late", applicant: applicant() });
    expect([other.res.status, other.body.error.code]).toEqual([409, "admission_used"]);
    // An admission never used: expired.
    const late = await submit(id, unused);
    expect([late.res.status, late.body.error.code]).toEqual([410, "admission_expired"]);
    // An expired token whose signature is wrong: invalid, not expired (the signature is checked first).
    const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${"A".repeat(86)}`;
    const f = await submit(id, { ...body, admissionToken: forged });
    expect([f.res.status, f.body.error.code]).toEqual([401, "admission_invalid"]);
    expect(await counter(id).stats()).toMatchObject({ accepted: 1 });
  }, 20_000);
});
