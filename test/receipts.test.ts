// Receipt tokens and secrets in URLs. A receipt token names its key (kid) and
// expires after the payment deadline; keys rotate through RECEIPT_HMAC_KEYS.
// No secret is read from a query string: `?receipt=` and its kin are refused.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RECEIPT_KEY_LABEL, receiptExpiry, receiptKeys, receiptToken } from "../src/auth/receipt";
import { hmac } from "../src/auth/ticket";
import worker from "../src/worker";
import { admissionToken, BASE, counter, createEvent, gateway, ORIGIN_AUTH, submissionBody, submit, uniqueEvent } from "./helpers";

const DAY_MS = 24 * 3600 * 1000;

/** The Worker's own fetch with some vars changed (another key ring): same objects, same D1. */
async function fetchWith(vars: Partial<Env>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`${BASE}${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const ring = (current: string, kids: string[]) => JSON.stringify({ current, keys: Object.fromEntries(kids.map((k) => [k, `secret-of-${k}-`.padEnd(48, k)])) });

async function submitWith(vars: Partial<Env>, eventId: string) {
  const res = await fetchWith(vars, `/guichet/api/submissions?event=${eventId}`, {
    method: "POST",
    headers: { ...ORIGIN_AUTH, "content-type": "application/json" },
    body: JSON.stringify(submissionBody(await admissionToken(eventId))),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const readWith = (vars: Partial<Env>, id: string, token: string) => fetchWith(vars, `/guichet/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } });
const read = (id: string, token: string) => gateway(`/guichet/api/submissions/${id}`, { headers: { authorization: `Bearer ${token}` } });

async function accepted(eventId: string) {
  const r = await submit(eventId, submissionBody(await admissionToken(eventId)));
  expect(r.res.status).toBe(201);
  return r.body.receipt as { id: string; receiptToken: string; acceptedAt: string; paymentDueAt: string };
}

describe("receipt tokens", () => {
  it("name their key and expire 30 days after the payment deadline (acceptedAt + 60 days)", async () => {
    const id = uniqueEvent("rcpt");
    await createEvent(id, { quota: 10 });
    const r = await accepted(id);
    const [version, kid, event, subId, exp, mac] = r.receiptToken.split(".");
    expect({ version, kid, event, subId }).toEqual({ version: "r2", kid: "t0", event: id, subId: r.id });
    expect(Number(exp) * 1000).toBe(Math.floor(Date.parse(r.paymentDueAt) / 1000) * 1000 + 30 * DAY_MS);
    expect(Number(exp) * 1000 - Date.parse(r.acceptedAt)).toBeGreaterThan(60 * DAY_MS - 1000);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await read(r.id, r.receiptToken)).status).toBe(200);
  });

  it("refuses an expired receipt with 401, and takes one a minute from expiry", async () => {
    const id = uniqueEvent("rcptexp");
    await createEvent(id, { quota: 10 });
    const r = await accepted(id);
    const keys = receiptKeys(env);
    const nowS = Math.floor(Date.now() / 1000);
    expect((await read(r.id, receiptToken(keys, id, r.id, nowS + 60))).status).toBe(200);
    for (const exp of [nowS - 1, nowS - 86_400]) {
      const res = await read(r.id, receiptToken(keys, id, r.id, exp));
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe("unauthorized");
    }
  });

  it("refuses a receipt whose kid, exp, event, id or MAC was changed (401)", async () => {
    const id = uniqueEvent("rcpttamper");
    await createEvent(id, { quota: 10 });
    // kc shares ka's secret: only the kid inside the MAC tells them apart.
    const keys = JSON.parse(ring("ka", ["ka", "kb"]));
    const vars = { RECEIPT_HMAC_KEYS: JSON.stringify({ ...keys, keys: { ...keys.keys, kc: keys.keys.ka } }) };
    const mine = (await submitWith(vars, id)).body.receipt;
    const theirs = (await submitWith(vars, id)).body.receipt;
    const parts = mine.receiptToken.split(".") as string[];
    const swap = (i: number, value: string) => parts.map((p, j) => (j === i ? value : p)).join(".");
    expect((await readWith(vars, mine.id, mine.receiptToken)).status).toBe(200);
    const tampered = [
      swap(1, "kb"), // another key of the ring
      swap(1, "kc"), // another kid for the same secret
      swap(1, "kz"), // a key not in the ring
      swap(1, "t0"),
      swap(4, String(Number(parts[4]) + 86_400)), // a later expiry
      swap(4, String(Number(parts[4]) - 1)),
      swap(2, uniqueEvent("rcptother")),
      swap(5, parts[5]!.slice(0, -2) + (parts[5]!.endsWith("AA") ? "BB" : "AA")),
      mine.receiptToken + ".x",
    ];
    for (const token of tampered) expect((await readWith(vars, mine.id, token)).status).toBe(401);
    // Another submission's id with this token's MAC, at that submission's path.
    expect((await readWith(vars, theirs.id, swap(3, theirs.id))).status).toBe(401);
    // This token at another submission's path.
    expect((await readWith(vars, theirs.id, mine.receiptToken)).status).toBe(401);
  });

  it("rotates: tokens of an old kid verify while it stays in the ring, and are refused once it is removed", async () => {
    const id = uniqueEvent("rcptrot");
    await createEvent(id, { quota: 10 });
    const before = { RECEIPT_HMAC_KEYS: ring("k1", ["k1"]) };
    const during = { RECEIPT_HMAC_KEYS: ring("k2", ["k1", "k2"]) };
    const after = { RECEIPT_HMAC_KEYS: ring("k2", ["k2"]) };
    const old = (await submitWith(before, id)).body.receipt;
    expect(old.receiptToken).toMatch(/^r2\.k1\./);
    expect((await readWith(before, old.id, old.receiptToken)).status).toBe(200);

    // k2 becomes current, k1 stays: the old token still reads, and the origin gets a k2 token for the same receipt.
    expect((await readWith(during, old.id, old.receiptToken)).status).toBe(200);
    const reissued = await fetchWith(during, `/guichet/api/submissions/${old.id}?event=${id}`, { headers: ORIGIN_AUTH });
    const fresh = ((await reissued.json()) as any).submission.receiptToken as string;
    expect(fresh).toMatch(/^r2\.k2\./);
    expect(fresh.split(".")[4]).toBe(old.receiptToken.split(".")[4]);
    const made = (await submitWith(during, id)).body.receipt;
    expect(made.receiptToken).toMatch(/^r2\.k2\./);

    // k1 removed: its tokens are refused, k2's still read.
    expect((await readWith(after, old.id, old.receiptToken)).status).toBe(401);
    expect((await readWith(after, old.id, fresh)).status).toBe(200);
    expect((await readWith(after, made.id, made.receiptToken)).status).toBe(200);
    // Without RECEIPT_HMAC_KEYS the ring is t0 alone: k2's tokens are refused there too.
    expect((await read(made.id, made.receiptToken)).status).toBe(401);
  });

  it("derives t0 from TICKET_HMAC_KEY under its own label, never the ticket key itself", async () => {
    const keys = receiptKeys(env);
    expect(keys.current).toBe("t0");
    expect(keys.keys.get("t0")).toBe(hmac(env.TICKET_HMAC_KEY, RECEIPT_KEY_LABEL));
    expect(keys.keys.get("t0")).not.toBe(env.TICKET_HMAC_KEY);
    expect(receiptExpiry(Date.UTC(2016, 6, 13, 12, 30))).toBe(Date.UTC(2016, 7, 12, 12, 30) / 1000);
  });

  it("refuses the retired r1 tokens, which never expired", async () => {
    const id = uniqueEvent("rcptr1");
    await createEvent(id, { quota: 10 });
    const r = await accepted(id);
    const r1 = `r1.${id}.${r.id}.${hmac(env.TICKET_HMAC_KEY, `r1|${id}|${r.id}`)}`;
    const res = await read(r.id, r1);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.code).toBe("unauthorized");
  });

  it("refuses a submission, before the counter takes it, when RECEIPT_HMAC_KEYS is malformed (503 from the configuration check)", async () => {
    const id = uniqueEvent("rcptbad");
    await createEvent(id, { quota: 10 });
    for (const bad of ["{", JSON.stringify({ current: "k9", keys: { k1: "x".repeat(40) } }), JSON.stringify({ current: "k1", keys: { k1: "short" } }), JSON.stringify({ current: "a.b", keys: { "a.b": "x".repeat(40) } })]) {
      const r = await submitWith({ RECEIPT_HMAC_KEYS: bad }, id);
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({ code: "misconfigured", settings: ["RECEIPT_HMAC_KEYS"] });
    }
    // `none` and an empty value are the derived key t0 (wrangler.toml requires the secret so that wrangler dev loads it).
    for (const unset of ["none", "", " NONE "]) {
      const other = uniqueEvent("rcptnone");
      await createEvent(other, { quota: 10 });
      const r = await submitWith({ RECEIPT_HMAC_KEYS: unset }, other);
      expect(r.status).toBe(201);
      expect(r.body.receipt.receiptToken).toMatch(/^r2\.t0\./);
    }
    // The counter was never asked: it does not even hold the event.
    expect(await counter(id).stats()).toBeNull();
  });
});

describe("no secret in a URL", () => {
  const lines: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    lines.length = 0;
  });

  it("answers 400 secret_in_url to ?receipt= (the origin's key or a receipt token), even beside a valid header, and logs nothing of it", async () => {
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
    const id = uniqueEvent("url");
    await createEvent(id, { quota: 10 });
    const r = await accepted(id);
    const attempts: [string, RequestInit][] = [
      [`/guichet/api/submissions/${r.id}?event=${id}&receipt=${encodeURIComponent(env.ORIGIN_API_KEY)}`, {}],
      [`/guichet/api/submissions/${r.id}?receipt=${r.receiptToken}`, {}],
      [`/guichet/api/submissions/${r.id}?receipt=${r.receiptToken}`, { headers: { authorization: `Bearer ${r.receiptToken}` } }],
      [`/guichet/api/submissions/${r.id}?event=${id}&Receipt=${encodeURIComponent(env.ORIGIN_API_KEY)}`, { headers: ORIGIN_AUTH }],
      [`/guichet/api/submissions/${r.id}?access_token=${r.receiptToken}`, {}],
      [`/guichet/api/submissions/${r.id}?token=${r.receiptToken}`, {}],
      [`/guichet/api/submissions/${r.id}/payment?event=${id}&api_key=${encodeURIComponent(env.ORIGIN_API_KEY)}`, { method: "POST" }],
      [`/guichet/api/submissions?event=${id}&key=${encodeURIComponent(env.ORIGIN_API_KEY)}`, { method: "POST" }],
      [`/guichet/api/eligible-submissions?event=${id}&authorization=${encodeURIComponent(`Bearer ${env.ORIGIN_API_KEY}`)}`, { method: "POST" }],
      [`/guichet/api/admissions/release?event=${id}&receipt_token=${r.receiptToken}`, { method: "POST", headers: ORIGIN_AUTH }],
    ];
    for (const [path, init] of attempts) {
      const res = await gateway(path, init);
      const text = await res.text();
      expect(res.status, path).toBe(400);
      expect(JSON.parse(text).error.code).toBe("secret_in_url");
      expect(text).not.toContain(env.ORIGIN_API_KEY);
      expect(text).not.toContain(r.receiptToken);
    }
    const en = await gateway(`/guichet/api/submissions/${r.id}?lang=en&receipt=${r.receiptToken}`);
    expect(((await en.json()) as any).error.message).toMatch(/Authorization header/);
    const fr = await gateway(`/guichet/api/submissions/${r.id}?receipt=${r.receiptToken}`);
    expect(((await fr.json()) as any).error.message).toMatch(/en-tête Authorization/);

    // The header alone still reads it; nothing of the secrets reached a log.
    expect((await read(r.id, r.receiptToken)).status).toBe(200);
    const all = lines.join("\n");
    expect(all).not.toContain(env.ORIGIN_API_KEY);
    expect(all).not.toContain(r.receiptToken.split(".")[5]);
  });
});
