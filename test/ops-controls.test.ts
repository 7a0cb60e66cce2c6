// The operators' controls: each one changes what the line does at once and
// leaves an audit row with who, before and after; an unauthenticated, foreign
// or invalid request changes nothing. And the ministry's CSV export.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { parse as parseCsv } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { newTicketId } from "../src/auth/ticket";
import worker from "../src/worker";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import {
  admissionToken,
  applicant,
  BASE,
  counter,
  createEvent,
  d1Submissions,
  enter,
  eventually,
  gateway,
  OPS_AUTH,
  room,
  snapshotOf,
  status,
  submissionBody,
  submit,
  tick,
  uniqueEvent,
} from "./helpers";

function ops(path: string, init: RequestInit = {}) {
  return gateway(path, { ...init, headers: { ...OPS_AUTH, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
}

function put(eventId: string, patch: unknown, headers: Record<string, string> = {}) {
  return ops(`/guichet/ops/api/event?event=${eventId}`, { method: "PUT", body: JSON.stringify(patch), headers });
}

async function auditRows(eventId: string): Promise<any[]> {
  const res = await ops(`/guichet/ops/api/audit?event=${eventId}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as any).audit;
}

/** Waits until the audit log holds `n` rows (the room's outbox carries them to D1). */
function auditOf(eventId: string, n: number) {
  return eventually(() => auditRows(eventId), (rows) => rows.length >= n);
}

async function settingsOf(eventId: string) {
  return ((await (await ops(`/guichet/ops/api/event?event=${eventId}`)).json()) as any).settings;
}

async function fill(eventId: string, n: number) {
  await room(eventId).enter(Array.from({ length: n }, () => ({ ticketId: newTicketId() })));
}

describe("each control changes the line and is audited", () => {
  it("pause stops calling, resume starts it again", async () => {
    const id = uniqueEvent("ctlpause");
    await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
    await fill(id, 6);
    const paused = await ops(`/guichet/ops/api/event/pause?event=${id}`, { method: "POST", headers: { "x-guichet-operator": "Lea Roy" } });
    expect(await paused.json()).toEqual({ paused: true, before: false });
    await tick(id);
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(0);
    // The candidates see it.
    const candidate = await enter(id);
    expect(candidate.body.paused).toBe(true);
    expect((await ops(`/guichet/ops/api/event/resume?event=${id}`, { method: "POST" })).status).toBe(200);
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(3);
    const rows = await auditOf(id, 2);
    const pause = rows.find((r) => r.action === "event.pause");
    expect(pause).toMatchObject({ actor: "ops-token (declared: Lea Roy)", before: { paused: false }, after: { paused: true } });
    expect(rows.find((r) => r.action === "event.resume")).toMatchObject({ actor: "ops-token", before: { paused: true }, after: { paused: false } });
    expect(Date.parse(pause.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("close stops numbering and submissions at once", async () => {
    const id = uniqueEvent("ctlclose");
    await createEvent(id, { quota: 10 });
    const holder = await enter(id);
    expect(holder.res.status).toBe(201);
    expect((await ops(`/guichet/ops/api/event/close?event=${id}`, { method: "POST" })).status).toBe(200);
    expect((await enter(id)).res.status).toBe(410);
    expect((await status(id, holder.cookie!)).body.state).toBe("closed");
    const refused = await submit(id, submissionBody(await admissionToken(id)));
    expect(refused.res.status).toBe(410);
    expect(refused.body.error.code).toBe("closed_by_operator");
    const again = await ops(`/guichet/ops/api/event/close?event=${id}`, { method: "POST" });
    expect(await again.json()).toEqual({ closed: true, alreadyClosed: true });
    const rows = await auditOf(id, 2);
    expect(rows.map((r) => r.after)).toContainEqual({ closed: true, reason: "closed_by_operator" });
    expect(rows.map((r) => r.before)).toEqual(expect.arrayContaining([{ closed: false }, { closed: true }]));
  });

  it("a quota at the accepted count is refused without the typed confirmation, and closes the intake with it, with a close row in the audit", async () => {
    const id = uniqueEvent("ctlconfirm");
    await createEvent(id, { quota: 5000 });
    for (let i = 0; i < 3; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const waiting = await enter(id);
    expect(waiting.res.status).toBe(201);

    // Without a confirmation, or with a wrong one: 409, nothing changes, and the intake stays open for everyone waiting.
    for (const body of [{ quota: 3 }, { quota: 3, confirmClose: "csq" }, { quota: 3, confirmClose: true }]) {
      const res = await put(id, body, { "x-guichet-operator": "Lea Roy" });
      expect(res.status, JSON.stringify(body)).toBe(409);
      const error = ((await res.json()) as any).error;
      expect(error).toMatchObject({ code: "confirmation_required", field: "quota", reason: "would_close", quota: 3, accepted: 3, confirmWith: "confirmClose" });
      expect(error.message).toContain(`(${id})`);
      expect(error.message).toMatch(/fermerait aussitôt/);
    }
    expect((await settingsOf(id)).quota).toBe(5000);
    expect(await counter(id).stats()).toMatchObject({ quota: 5000, closed: false });
    expect((await status(id, waiting.cookie!)).body.state).toBe("waiting");
    expect((await enter(id)).res.status).toBe(201);
    // In English too.
    const en = await put(id, { quota: 3 }, { "accept-language": "en" });
    expect(((await en.json()) as any).error.message).toMatch(/^A quota of 3 equals the 3 submissions already accepted: the intake would close at once/);

    // With the event's id typed, as Close asks: closed, for the line and the counter.
    const res = await put(id, { quota: 3, confirmClose: id }, { "x-guichet-operator": "Lea Roy" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ settings: { quota: 3 }, closed: true });
    expect(await counter(id).stats()).toMatchObject({ quota: 3, closed: true, closedReason: "quota_reached" });
    expect(await snapshotOf(id)).toMatchObject({ phase: "closed", closedReason: "quota_reached" });
    expect((await enter(id)).res.status).toBe(410);
    expect((await status(id, waiting.cookie!)).body.state).toBe("closed");

    const rows = await auditOf(id, 6);
    const refused = rows.filter((r) => r.action === "event.refused");
    expect(refused).toHaveLength(4);
    for (const r of refused) expect(r).toMatchObject({ before: { quota: 5000 }, after: { quota: 3, refused: { field: "quota", reason: "would_close" } } });
    const update = rows.find((r) => r.action === "event.update");
    expect(update).toMatchObject({ actor: "ops-token (declared: Lea Roy)" });
    expect([update.before.quota, update.after.quota]).toEqual([5000, 3]);
    // The closing has a row of its own, saying what closed it.
    const close = rows.filter((r) => r.action === "event.close");
    expect(close).toHaveLength(1);
    expect(close[0]).toMatchObject({
      actor: "ops-token (declared: Lea Roy)",
      before: { closed: false },
      after: { closed: true, reason: "quota_reached", via: "event.update", quota: 3, accepted: 3 },
    });

    // Closed is closed: raising the quota back is refused, and says why.
    const back = await put(id, { quota: 5000 });
    expect(back.status).toBe(422);
    expect(((await back.json()) as any).error).toMatchObject({
      code: "invalid_change",
      field: "quota",
      reason: "intake_closed",
      message: "La réception des demandes est fermée : son quota ne peut plus changer, et elle ne rouvre pas.",
    });
  });

  it("a quota above the accepted count needs no confirmation, and one below it is refused even when confirmed", async () => {
    const id = uniqueEvent("ctlnoconfirm");
    await createEvent(id, { quota: 50 });
    for (let i = 0; i < 3; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    expect((await put(id, { quota: 4 })).status).toBe(200);
    const below = await put(id, { quota: 2, confirmClose: id });
    expect(below.status).toBe(422);
    expect(((await below.json()) as any).error.reason).toBe("below_accepted");
    expect(await counter(id).stats()).toMatchObject({ quota: 4, closed: false });
  });

  it("a quota change moves the quota-aware cap in the room and the limit in the counter", async () => {
    const id = uniqueEvent("ctlquota");
    await createEvent(id, { quota: 3, maxActive: 100, admitPerMinute: 100_000 });
    await fill(id, 10);
    await tick(id);
    expect((await snapshotOf(id)).activeCount).toBe(3);
    const res = await put(id, { quota: 6 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).settings.quota).toBe(6);
    await tick(id);
    expect((await snapshotOf(id)).activeCount).toBe(6);
    expect(await counter(id).stats()).toMatchObject({ quota: 6 });
    const [row] = await auditOf(id, 1);
    expect(row).toMatchObject({ action: "event.update", actor: "ops-token" });
    expect([row.before.quota, row.after.quota]).toEqual([3, 6]);
  });

  it("maxActive, admitPerMinute, admission seconds and overbook take effect on the next tick", async () => {
    const id = uniqueEvent("ctlrates");
    await createEvent(id, { quota: 100, maxActive: 2, admitPerMinute: 100_000 });
    await fill(id, 50);
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(2);
    expect((await put(id, { maxActive: 40, admitPerMinute: 600, admissionSeconds: 300, overbook: 1.5 })).status).toBe(200);
    await tick(id);
    // 600 a minute is at most 10 a tick.
    expect((await snapshotOf(id)).servingNumber).toBe(12);
    expect(await settingsOf(id)).toMatchObject({ maxActive: 40, admitPerMinute: 600, admissionSeconds: 300, overbook: 1.5 });
    const [row] = await auditOf(id, 1);
    expect(row.before).toMatchObject({ maxActive: 2, admitPerMinute: 100_000, admissionSeconds: 600, overbook: 1 });
    expect(row.after).toMatchObject({ maxActive: 40, admitPerMinute: 600, admissionSeconds: 300, overbook: 1.5 });
  });

  it("a banner reaches the waiting candidates, and can be taken down", async () => {
    const id = uniqueEvent("ctlbanner");
    await createEvent(id);
    const candidate = await enter(id);
    expect(candidate.body.banner).toBeNull();
    expect((await put(id, { banner: "Interruption prévue à 9 h 15." })).status).toBe(200);
    expect((await status(id, candidate.cookie!)).body.banner).toBe("Interruption prévue à 9 h 15.");
    expect((await put(id, { banner: null })).status).toBe(200);
    expect((await status(id, candidate.cookie!)).body.banner).toBeNull();
    const rows = await auditOf(id, 2);
    expect(rows.map((r) => [r.before.banner, r.after.banner])).toEqual(
      expect.arrayContaining([
        [null, "Interruption prévue à 9 h 15."],
        ["Interruption prévue à 9 h 15.", null],
      ]),
    );
  });

  it("a route policy change closes a path of the origin at once", async () => {
    const id = uniqueEvent("ctlroutes");
    await createEvent(id);
    // The proxy fronts the default event; here the Worker runs with this test's event as the default.
    const viaProxy = async (path: string) => {
      forgetSnapshot(id);
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`${BASE}${path}`, { headers: { accept: "text/html" }, redirect: "manual" }), { ...env, EVENT_ID: id }, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    expect((await viaProxy("/faq")).status).toBe(200);
    const before = await settingsOf(id);
    const policy = { ...before.routePolicy, open: before.routePolicy.open.filter((p: string) => p !== "/faq*"), closed: [...before.routePolicy.closed, "/faq*"] };
    expect((await put(id, { routePolicy: { ...policy, closedUntil: "2016-06-14T12:00:00Z" } })).status).toBe(200);
    const closed = await viaProxy("/faq");
    expect(closed.status).toBe(403);
    const [row] = await auditOf(id, 1);
    expect(row.before.routePolicy.closed).not.toContain("/faq*");
    expect(row.after.routePolicy.closed).toContain("/faq*");
    expect(row.after.routePolicy.closedUntil).toBe("2016-06-14T12:00:00Z");
  });
});

describe("refusals change nothing", () => {
  it("401 without a token, with a wrong one, or with the origin's key; nothing changes, nothing is audited", async () => {
    const id = uniqueEvent("ctl401");
    await createEvent(id, { quota: 10, maxActive: 2 });
    const before = await settingsOf(id);
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${env.ORIGIN_API_KEY}`, `Basic ${btoa(`ops:${env.OPS_TOKEN}`)}`]) {
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (authorization) headers.authorization = authorization;
      const requests = [
        gateway(`/guichet/ops/api/event?event=${id}`, { method: "PUT", headers, body: JSON.stringify({ quota: 99 }) }),
        gateway(`/guichet/ops/api/event/pause?event=${id}`, { method: "POST", headers }),
        gateway(`/guichet/ops/api/event/close?event=${id}`, { method: "POST", headers }),
        gateway(`/guichet/ops/api/event?event=${id}`, { headers }),
        gateway(`/guichet/ops/api/metrics?event=${id}`, { headers }),
        gateway(`/guichet/ops/api/audit?event=${id}`, { headers }),
        gateway(`/guichet/ops/api/submissions.csv?event=${id}`, { headers }),
        gateway(`/guichet/ops/api/history?event=${id}`, { headers }),
      ];
      for (const res of await Promise.all(requests)) {
        expect(res.status).toBe(401);
        expect(res.headers.get("www-authenticate")).toBe('Bearer realm="guichet-ops"');
        expect(((await res.json()) as any).error.code).toBe("unauthorized");
      }
    }
    const s = await snapshotOf(id);
    expect(s).toMatchObject({ phase: "open", paused: false, quota: { total: 10 } });
    expect(await settingsOf(id)).toEqual(before);
    await tick(id); // lets any outbox row reach D1
    expect(await auditRows(id)).toEqual([]);
  });

  it("403 for a change sent from another site (Access cookies travel by themselves)", async () => {
    const id = uniqueEvent("ctlcsrf");
    await createEvent(id);
    const res = await ops(`/guichet/ops/api/event/pause?event=${id}`, { method: "POST", headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    expect((await snapshotOf(id)).paused).toBe(false);
  });

  it("422 for an invalid change, with the field and why; nothing changes, and each refusal is audited with who, the values and the reason", async () => {
    const id = uniqueEvent("ctl422");
    await createEvent(id, { quota: 10 });
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    await fill(id, 1);
    const before = await settingsOf(id);
    const cases: [unknown, string, string][] = [
      [{ quota: 1 }, "quota", "below_accepted"],
      [{ opensAt: new Date(Date.now() + 3600_000).toISOString() }, "opensAt", "opens_at_locked"],
      [{ admitPerMinute: -5 }, "admitPerMinute", "too_small"],
      [{ maxActive: 0 }, "maxActive", "too_small"],
      [{ overbook: 3 }, "overbook", "too_big"],
      [{ admissionSeconds: 1.5 }, "admissionSeconds", "invalid_type"],
      [{ banner: "x".repeat(501) }, "banner", "too_big"],
      [{ routePolicy: { open: "/" } }, "routePolicy.open", "invalid_type"],
      [{ quota: 20, unknownSetting: true }, "unknownSetting", "unrecognized_keys"],
    ];
    for (const [patch, field, reason] of cases) {
      const res = await put(id, patch, { "x-guichet-operator": "Lea Roy" });
      expect(res.status, JSON.stringify(patch)).toBe(422);
      const error = ((await res.json()) as any).error;
      expect(error.code).toMatch(/^invalid_(change|body)$/);
      expect(error.field, JSON.stringify(patch)).toBe(field);
      expect(error.reason, JSON.stringify(patch)).toBe(reason);
      // Why, not only that: more than the generic sentence.
      expect(error.message, JSON.stringify(patch)).not.toMatch(/^Ce changement n'est pas permis\.$|^Le contenu de la requête n'est pas valide\.$/);
    }
    expect(await settingsOf(id)).toEqual(before);
    expect(await counter(id).stats()).toMatchObject({ quota: 10, accepted: 2 });
    const rows = await auditOf(id, cases.length);
    expect(rows).toHaveLength(cases.length);
    for (const row of rows) expect(row).toMatchObject({ action: "event.refused", actor: "ops-token (declared: Lea Roy)" });
    const below = rows.find((r) => r.after.refused.reason === "below_accepted");
    expect(below).toMatchObject({ before: { quota: 10 }, after: { quota: 1, refused: { field: "quota", reason: "below_accepted" } } });
    expect(rows.find((r) => r.after.refused.reason === "too_big" && r.after.refused.field === "overbook")).toMatchObject({ before: { overbook: 1 }, after: { overbook: 3 } });
    // The refused value is kept as it was sent.
    const banner = rows.find((r) => r.after.refused.field === "banner");
    expect(banner.after.banner).toBe("x".repeat(501));
  });

  it("says why in the operator's language: French by default, English when asked", async () => {
    const id = uniqueEvent("ctlwhy");
    await createEvent(id, { quota: 10 });
    for (let i = 0; i < 2; i++) expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const why = async (patch: unknown, headers: Record<string, string> = {}, query = "") => {
      const res = await ops(`/guichet/ops/api/event?event=${id}${query}`, { method: "PUT", body: JSON.stringify(patch), headers });
      return ((await res.json()) as any).error.message as string;
    };
    expect(await why({ quota: 1 })).toBe("Le quota ne peut pas descendre sous les 2 demandes déjà acceptées.");
    expect(await why({ quota: 1 }, { "accept-language": "en-CA,en;q=0.9" })).toBe("The quota cannot go below the 2 submissions already accepted.");
    expect(await why({ quota: 1 }, {}, "&lang=en")).toBe("The quota cannot go below the 2 submissions already accepted.");
    expect(await why({ overbook: 3 })).toMatch(/^Trop grand/);
    expect(await why({ overbook: 3 }, { "accept-language": "en" })).toMatch(/^Too big/);
    expect(await why({ banner: "A\u202eB" })).toBe("Le message contient des caractères interdits : caractères de contrôle (NUL, …) ou de direction du texte.");
    expect(await why({ banner: "A\u202eB" }, { "accept-language": "en" })).toBe("The message holds forbidden characters: control characters (NUL, …) or text-direction overrides.");
  });

  it("refuses NUL, other control characters, bidirectional overrides and lone surrogates in the banner; keeps accents and line breaks", async () => {
    const id = uniqueEvent("ctlbannerchars");
    await createEvent(id);
    const refusedBanners = ["Avis\u0000", "Bell\u0007", "Tab\tHere", "CR\rHere", "DEL\u007f", "C1\u0085", "\u202eTXT", "\u202aLRE", "\u2066iso\u2069", "\u200fRLM", "\u061cALM", "lone \ud800 surrogate"];
    for (const banner of refusedBanners) {
      const res = await put(id, { banner });
      expect(res.status, banner).toBe(422);
      expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_body", field: "banner", reason: "forbidden_characters" });
    }
    expect((await settingsOf(id)).banner).toBeNull();
    const fine = "Forte affluence : « merci » — Québec, Montréal\nÀ bientôt 🍁";
    const res = await put(id, { banner: fine });
    expect(res.status).toBe(200);
    expect((await settingsOf(id)).banner).toBe(fine);
    // Every refusal is audited.
    expect((await auditOf(id, refusedBanners.length + 1)).filter((r) => r.action === "event.refused")).toHaveLength(refusedBanners.length);
  });

  it("422 for an opening time in the past before anyone holds a number", async () => {
    const id = uniqueEvent("ctlpast");
    await createEvent(id, { opensAt: new Date(Date.now() + 3600_000).toISOString() });
    const res = await put(id, { opensAt: new Date(Date.now() - 3600_000).toISOString() });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error).toMatchObject({ code: "invalid_change", field: "opensAt" });
    expect((await snapshotOf(id)).phase).toBe("before_open");
  });
});

describe("the submissions export", () => {
  it("lists accepted submissions in rank order, then the always-eligible ones, without identity data", async () => {
    const id = uniqueEvent("csv");
    await createEvent(id, { quota: 10 });
    const people = [
      applicant({ familyName: "Côté-Lévesque", passportNumber: "AA1111111", email: "cote@example.org" }),
      applicant({ familyName: "Nguyen, \"Tom\"", passportNumber: "BB2222222" }),
      applicant({ familyName: "Tremblay", passportNumber: "CC3333333", birthDate: "1979-12-31" }),
    ];
    const receipts: any[] = [];
    for (const [i, person] of people.entries()) {
      const body = submissionBody(await admissionToken(id, { num: 10 + i }), {
        applicant: person,
        ...(i === 1 ? { accountId: "=HYPERLINK(\"http://x\")", signedByRepresentative: true, representativeId: "CRIC;42" } : {}),
      });
      const r = await submit(id, body);
      expect(r.res.status).toBe(201);
      receipts.push(r.body.receipt);
    }
    const eligible = await submit(id, { ...submissionBody("unused"), admissionToken: undefined, eligibility: "temporary_resident" }, "/guichet/api/eligible-submissions");
    expect(eligible.res.status).toBe(201);
    await eventually(() => d1Submissions(id), (rows) => rows.length === 4);

    const res = await ops(`/guichet/ops/api/submissions.csv?event=${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${id}-submissions.csv"`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // The UTF-8 byte-order mark first, so that Excel reads UTF-8.
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    expect(text.startsWith("\uFEFFid,rank,kind,")).toBe(true);
    expect(text.endsWith("\r\n")).toBe(true);
    const [header, ...rows] = parseCsv(text, { bom: true, record_delimiter: "\r\n" }) as string[][];
    expect(header).toEqual([
      "id", "rank", "kind", "account_id", "application_id", "queue_number", "device_class", "representative",
      "representative_id", "eligibility", "status", "accepted_at", "payment_due_at", "paid_at", "payment_reference",
    ]);
    expect(rows.map((r) => r[1])).toEqual(["1", "2", "3", ""]);
    expect(rows.map((r) => r[0])).toEqual([...receipts.map((r) => r.id), eligible.body.receipt.id]);
    expect(rows.map((r) => r[2])).toEqual(["quota", "quota", "quota", "eligible"]);
    expect(rows[0]![5]).toBe("10");
    expect(rows[1]![3]).toBe("'=HYPERLINK(\"http://x\")");
    expect(rows[1]!.slice(7, 9)).toEqual(["true", "CRIC;42"]);
    // RFC 4180 quotes what holds a comma, a quote or a line break; a semicolon is plain text there.
    expect(text).toContain(",true,CRIC;42,");
    expect(rows[3]![9]).toBe("temporary_resident");
    expect(rows[0]![10]).toBe("accepted");
    expect(rows[0]![11]).toBe(new Date(receipts[0].acceptedAt).toISOString());
    expect(rows[0]![13]).toBe("");

    // ?format=excel: the same rows, separated by semicolons (a fr-CA Excel's list separator), with the BOM.
    const excel = await ops(`/guichet/ops/api/submissions.csv?event=${id}&format=excel`);
    expect(excel.status).toBe(200);
    const excelBytes = new Uint8Array(await excel.arrayBuffer());
    expect([...excelBytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const excelText = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(excelBytes);
    expect(excelText.split("\r\n")[0]).toBe(`\uFEFF${header!.join(";")}`);
    expect(excelText).not.toMatch(/^\uFEFFid,/);
    expect(parseCsv(excelText, { bom: true, delimiter: ";", record_delimiter: "\r\n" })).toEqual([header, ...rows]);
    // A field holding the separator is quoted there, and quotes are doubled as in RFC 4180.
    expect(excelText).toContain(';true;"CRIC;42";');
    expect(excelText).toContain(`"'=HYPERLINK(""http://x"")"`);
    // Anything else is refused, not guessed.
    const unknown = await ops(`/guichet/ops/api/submissions.csv?event=${id}&format=xlsx`);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error).toMatchObject({ code: "invalid_query", field: "format" });

    // No identity: names, passports, birth dates, e-mails, nor the HMAC key.
    const keys = (await d1Submissions(id)).map((r) => String(r.identity_key));
    for (const secret of ["Côté", "Nguyen", "Tremblay", "AA1111111", "BB2222222", "CC3333333", "1979-12-31", "1985-04-02", "example.org", ...keys]) {
      expect(text).not.toContain(secret);
      expect(excelText).not.toContain(secret);
    }
  });
});
