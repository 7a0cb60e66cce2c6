// Attacks on the gateway's trust: forged and replayed admission tokens at
// every door that takes one (the proxy and the submissions API), forged and
// replayed tickets, cross-site requests, and the security headers of pages.
import { env } from "cloudflare:workers";
import { CompactEncrypt, SignJWT, importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { sameSecret } from "../src/auth/bearer";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { BASE, admissionToken, counter, createEvent, enter, gateway, ourCookie, room, submissionBody, submit, uniqueEvent } from "./helpers";

const DEFAULT_EVENT = "csq-2016-06";
const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Every forged or unusable token we know of, for the event `eventId`. */
async function forgeries(eventId: string): Promise<[string, string][]> {
  const good = await admissionToken(eventId);
  const [h, p, s] = good.split(".") as [string, string, string];
  const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
  const header = JSON.parse(atob(h.replace(/-/g, "+").replace(/_/g, "/")));
  const jwk = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const now = Math.floor(Date.now() / 1000);
  const signWith = (key: CryptoKey | Uint8Array, hdr: Record<string, unknown>, body: Record<string, unknown> = claims) =>
    new SignJWT(body).setProtectedHeader(hdr as { alg: string }).sign(key);
  const own = (await importJWK(jwk, "ES256")) as CryptoKey;
  const stranger = ((await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair).privateKey;
  return [
    ["alg none", `${b64({ alg: "none", typ: "JWT" })}.${p}.`],
    ["HS256 keyed with the public key", await signWith(new TextEncoder().encode(JSON.stringify(publicJwk)), { alg: "HS256", kid: header.kid })],
    ["unknown kid", await signWith(stranger, { alg: "ES256", kid: "k-unknown" })],
    ["no kid, stranger's key", await signWith(stranger, { alg: "ES256" })],
    ["expired", await admissionToken(eventId, { iat: now - 700 })],
    ["nbf in the future", await signWith(own, { alg: "ES256", kid: header.kid }, { ...claims, nbf: now + 3600 })],
    ["wrong iss", await signWith(own, { alg: "ES256", kid: header.kid }, { ...claims, iss: "https://evil.example" })],
    ["wrong aud", await signWith(own, { alg: "ES256", kid: header.kid }, { ...claims, aud: "another-app" })],
    ["missing evt", await signWith(own, { alg: "ES256", kid: header.kid }, { ...claims, evt: undefined })],
    ["edited payload", `${h}.${b64({ ...claims, num: claims.num + 1 })}.${s}`],
    ["truncated", good.slice(0, good.length - 20)],
    ["signature of another token", `${h}.${p}.${(await admissionToken(eventId)).split(".")[2]}`],
    ["JWE", await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).encrypt(crypto.getRandomValues(new Uint8Array(32)))],
    ["another event's token", await admissionToken(`${eventId}-other`)],
    ["garbage", "not.a.token"],
  ];
}

describe("forged admission tokens", () => {
  it("are refused by the submissions API (and take no place)", async () => {
    const id = uniqueEvent("forge");
    await createEvent(id, { quota: 10 });
    for (const [name, token] of await forgeries(id)) {
      const r = await submit(id, submissionBody(token));
      expect([401, 410], name).toContain(r.res.status);
      expect(["admission_invalid", "admission_expired"], name).toContain(r.body.error.code);
    }
    // None reached the counter: it was never even initialised.
    expect((await counter(id).stats())?.accepted ?? 0).toBe(0);
  });

  describe("at the proxy", () => {
    beforeAll(async () => {
      await room(DEFAULT_EVENT).configure({ opensAt: new Date(Date.now() - 1000).toISOString() }, { source: "test" });
      forgetSnapshot(DEFAULT_EVENT);
    });

    it("are refused on protected paths, as cookie and as bearer", async () => {
      for (const [name, token] of await forgeries(DEFAULT_EVENT)) {
        const asBearer = await gateway("/api/dossier", { headers: { authorization: `Bearer ${token}`, accept: "application/json" } });
        expect(asBearer.status, name).toBe(401);
        const asCookie = await gateway("/demande", { headers: { accept: "text/html" }, cookie: ourCookie("guichet_admission", token) });
        expect(asCookie.status, name).toBe(303);
      }
      const good = await gateway("/demande", { headers: { accept: "text/html" }, cookie: ourCookie("guichet_admission", await admissionToken(DEFAULT_EVENT)) });
      expect(good.status).toBe(200);
    });
  });
});

describe("tickets", () => {
  it("refuses a ticket replayed from another event, and a forged number", async () => {
    const a = uniqueEvent("ta");
    const b = uniqueEvent("tb");
    await createEvent(a);
    await createEvent(b);
    await enter(a);
    const mine = await enter(a);
    const other = await gateway(`/guichet/api/claim?event=${b}`, { method: "POST", cookie: mine.cookie! });
    expect(other.status).toBe(401);
    const [name, value] = mine.cookie!.split("=") as [string, string];
    const [ev, id, , mac] = value.split(".");
    const forged = await gateway(`/guichet/api/status?event=${a}`, { cookie: `${name}=${ev}.${id}.1.${mac}` });
    expect(forged.status).toBe(401);
  });
});

describe("cross-site requests", () => {
  it("refuses candidate requests from another site (Origin, Sec-Fetch-Site) and changes nothing", async () => {
    const id = uniqueEvent("csrf");
    await createEvent(id);
    const t = await enter(id);
    for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }, { "sec-fetch-site": "cross-site" }] as Record<string, string>[]) {
      for (const path of ["enter", "claim", "leave"]) {
        const res = await gateway(`/guichet/api/${path}?event=${id}`, { method: "POST", headers, cookie: t.cookie! });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
      }
    }
    const same = await gateway(`/guichet/api/enter?event=${id}`, { method: "POST", headers: { origin: BASE, "sec-fetch-site": "same-origin" }, cookie: t.cookie! });
    expect(same.status).toBe(200);
    const s = await room(id).snapshot();
    expect(s.exists && s.nextNumber).toBe(2);
  });
});

describe("operators", () => {
  it("compares secrets in constant time, whatever their lengths", async () => {
    expect(await sameSecret("abc", "abc")).toBe(true);
    expect(await sameSecret("abd", "abc")).toBe(false);
    expect(await sameSecret("ab", "abc")).toBe(false);
    expect(await sameSecret("", "")).toBe(false);
    expect(await sameSecret(env.OPS_TOKEN + "x", env.OPS_TOKEN)).toBe(false);
  });
});

describe("security headers", () => {
  it("are on every gateway answer, and pages carry a strict CSP", async () => {
    const id = uniqueEvent("hdr");
    await createEvent(id);
    for (const path of [`/guichet/?event=${id}`, `/guichet/api/status?event=${id}`, "/guichet/healthz", "/.well-known/jwks.json", "/guichet/nothing"]) {
      const res = await gateway(path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("strict-transport-security"), path).toMatch(/max-age=\d+/);
      expect(res.headers.get("referrer-policy"), path).toBeTruthy();
      expect(res.headers.get("content-security-policy"), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get("cache-control"), path).toBeTruthy();
    }
    const page = await gateway(`/guichet/?event=${id}`);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    const html = await page.text();
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) {
      if (!/type="application\/json"/.test(tag)) expect(tag).toContain(`nonce="${nonce}"`);
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i); // no inline event handlers
  });
});
