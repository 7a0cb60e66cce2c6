// Admission tokens: they verify against the JWKS with the contract's claims,
// and anything tampered, foreign or expired is refused.
import { env } from "cloudflare:workers";
import { SignJWT, base64url, createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from "jose";
import { describe, expect, it } from "vitest";
import { AdmissionError, KeyConfigError, signAdmission, verifyAdmission } from "../src/auth/admission";
import { BASE, claim, counter, createEvent, enter, gateway, submissionBody, submit, tick, uniqueEvent } from "./helpers";

async function admitted(eventId: string) {
  await createEvent(eventId);
  const a = await enter(eventId);
  await tick(eventId);
  const c = await claim(eventId, a.cookie!);
  expect(c.res.status).toBe(200);
  return { token: c.body.admission.token as string, number: a.body.number as number, expiresAt: c.body.admission.expiresAt as string };
}

describe("admission tokens", () => {
  it("verify against the published JWKS with the contract's claims, exp = iat + 600", async () => {
    const id = uniqueEvent("jwt");
    const { token, number, expiresAt } = await admitted(id);
    const jwks = (await (await gateway("/.well-known/jwks.json")).json()) as { keys: JWK[] };
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: BASE,
      audience: "mpq-origin",
      algorithms: ["ES256"],
    });
    expect(protectedHeader.alg).toBe("ES256");
    expect(protectedHeader.kid).toBe(JSON.parse(env.ADMISSION_SIGNING_JWK).kid);
    expect(payload).toMatchObject({ iss: BASE, aud: "mpq-origin", evt: id, num: number, dev: "desktop" });
    expect(typeof payload.sub).toBe("string");
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(payload.nbf).toBe(payload.iat);
    expect(new Date(payload.exp! * 1000).toISOString()).toBe(expiresAt);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(5);
  });

  it("are refused when tampered, re-signed, expired or meant for someone else", async () => {
    const id = uniqueEvent("jwtbad");
    const { token } = await admitted(id);
    await expect(verifyAdmission(env, token, BASE, "mpq-origin")).resolves.toMatchObject({ evt: id });

    const [h, p, s] = token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
    const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const edited = `${h}.${enc({ ...claims, num: claims.num + 1 })}.${s}`;
    const none = `${enc({ alg: "none", typ: "JWT" })}.${p}.`;
    const truncated = token.slice(0, -10);
    const stranger = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: JSON.parse(env.ADMISSION_SIGNING_JWK).kid })
      .sign(((await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign"])) as CryptoKeyPair).privateKey);
    for (const bad of [edited, none, truncated, stranger, "", "a.b.c"]) {
      await expect(verifyAdmission(env, bad, BASE, "mpq-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
    }
    await expect(verifyAdmission(env, token, BASE, "another-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
    await expect(verifyAdmission(env, token, "https://elsewhere.example", "mpq-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
    await expect(verifyAdmission(env, token, BASE, "mpq-origin", Date.now() + 700_000)).rejects.toEqual(new AdmissionError("admission_expired"));
  });

  it("still verify when signed by the previous key, and carry the new kid once rotated", async () => {
    const previous = JSON.parse(env.TEST_PREVIOUS_SIGNING_JWK) as JWK;
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: "s", jti: crypto.randomUUID(), iat: now, exp: now + 600, evt: "e", num: 1, dev: "desktop" as const };
    const old = await signAdmission({ ADMISSION_SIGNING_JWK: JSON.stringify(previous) }, claims, BASE, "mpq-origin");
    await expect(verifyAdmission(env, old, BASE, "mpq-origin")).resolves.toMatchObject({ num: 1 });
    // Once the previous key's expiresAt has passed, it leaves the JWKS and its tokens are refused.
    // (The test pool's own ADMISSION_PREVIOUS_JWKS also holds such a key: see "over HTTP" below.)
    const retired = { ...env, ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...previous, d: undefined, expiresAt: new Date(Date.now() - 1000).toISOString() }] }) };
    await expect(verifyAdmission(retired, old, BASE, "mpq-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
    // A previous key without expiresAt would be trusted forever: the key ring refuses to sign or verify with it.
    const forever = { ...env, ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...previous, d: undefined }] }) };
    await expect(verifyAdmission(forever, old, BASE, "mpq-origin")).rejects.toBeInstanceOf(KeyConfigError);
    await expect(signAdmission(forever, claims, BASE, "mpq-origin")).rejects.toThrow("ADMISSION_PREVIOUS_JWKS: keys[0].expiresAt");
    const fresh = await signAdmission(env, claims, BASE, "mpq-origin");
    const header = JSON.parse(atob(fresh.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(header.kid).toBe(JSON.parse(env.ADMISSION_SIGNING_JWK).kid);
    expect(await importJWK(previous, "ES256")).toBeTruthy();
  });
});

/** Valid admission claims for `eventId`, as a claim would give them. */
function claimsFor(eventId: string, overrides: Partial<JWTPayload> = {}): JWTPayload {
  const iat = Math.floor(Date.now() / 1000);
  return { iss: BASE, aud: "mpq-origin", sub: "ticket-1", jti: crypto.randomUUID(), iat, nbf: iat, exp: iat + 600, evt: eventId, num: 1, dev: "desktop", scope: "admission", ...overrides };
}

async function signWith(jwk: JWK, claims: JWTPayload, header: Record<string, unknown> = {}) {
  const key = await importJWK(jwk, (header.alg as string) ?? "ES256");
  return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: jwk.kid, ...header }).sign(key);
}

const json64 = (o: unknown) => base64url.encode(JSON.stringify(o));

describe("admission tokens over HTTP (POST /guichet/api/submissions)", () => {
  it("lists the current and the previous key in the JWKS, not the retired one", async () => {
    const jwks = (await (await gateway("/.well-known/jwks.json")).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([JSON.parse(env.ADMISSION_SIGNING_JWK).kid, "k-previous"]);
    expect(jwks.keys.every((k) => k.d === undefined && !("expiresAt" in k))).toBe(true);
  });

  it("refuses 15 forged, unsigned, confused, wrong-kid and retired-key tokens (401) and counts none; accepts the current and previous keys'", async () => {
    const id = uniqueEvent("jwtattack");
    await createEvent(id, { quota: 100 });
    const current = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
    const previous = JSON.parse(env.TEST_PREVIOUS_SIGNING_JWK) as JWK;
    const retired = JSON.parse(env.TEST_RETIRED_SIGNING_JWK) as JWK;
    const stranger = { ...(await exportJWK((await generateKeyPair("ES256", { extractable: true })).privateKey)) };
    const stranger384 = await exportJWK((await generateKeyPair("ES384", { extractable: true })).privateKey);
    const genuine = await signWith(current, claimsFor(id));
    const [h, p] = genuine.split(".") as [string, string, string];
    const attacks: [string, string][] = [
      ["a stranger's key under the current kid", await signWith({ ...stranger, kid: current.kid }, claimsFor(id))],
      ["a stranger's key under an unknown kid", await signWith({ ...stranger, kid: "k-unknown" }, claimsFor(id))],
      ["a stranger's key without kid", await signWith(stranger, claimsFor(id), { kid: undefined })],
      ["a stranger's key embedded in the header", await signWith(stranger, claimsFor(id), { kid: undefined, jwk: { kty: "EC", crv: "P-256", x: stranger.x, y: stranger.y } })],
      ["alg none, current kid", `${json64({ alg: "none", typ: "JWT", kid: current.kid })}.${json64(claimsFor(id))}.`],
      ["alg none, no kid", `${json64({ alg: "none" })}.${json64(claimsFor(id))}.`],
      [
        "HS256 keyed with the current public key",
        await new SignJWT(claimsFor(id)).setProtectedHeader({ alg: "HS256", kid: current.kid }).sign(new TextEncoder().encode(JSON.stringify({ kty: "EC", crv: "P-256", x: current.x, y: current.y }))),
      ],
      ["HS256 keyed with the x coordinate", await new SignJWT(claimsFor(id)).setProtectedHeader({ alg: "HS256", kid: current.kid }).sign(base64url.decode(current.x!))],
      ["ES384 from a P-384 key under the current kid", await signWith({ ...stranger384, kid: current.kid }, claimsFor(id), { alg: "ES384" })],
      ["the retired key, its own kid", await signWith(retired, claimsFor(id))],
      ["the retired key under the current kid", await signWith({ ...retired, kid: current.kid }, claimsFor(id))],
      ["the current key under the retired kid", await signWith({ ...current, kid: "k-retired" }, claimsFor(id))],
      ["the current key's signature over edited claims", `${h}.${json64(claimsFor(id, { num: 2 }))}.${genuine.split(".")[2]}`],
      ["the current key's header and claims without signature", `${h}.${p}.`],
      ["the current key's signature cut short", genuine.slice(0, -8)],
    ];
    expect(attacks.length).toBe(15);
    for (const [what, token] of attacks) {
      const r = await submit(id, submissionBody(token));
      expect([what, r.res.status, r.body.error?.code]).toEqual([what, 401, "admission_invalid"]);
    }
    expect((await counter(id).stats())?.accepted ?? 0).toBe(0);
    // The keys in force: the current one, and the previous one until its expiresAt.
    for (const jwk of [current, previous]) expect((await submit(id, submissionBody(await signWith(jwk, claimsFor(id))))).res.status).toBe(201);
    // Expired tokens from a trusted key are told apart.
    const stale = await signWith(current, claimsFor(id, { iat: 1, nbf: 1, exp: Math.floor(Date.now() / 1000) - 60 }));
    expect((await submit(id, submissionBody(stale))).res.status).toBe(410);
    expect((await counter(id).stats())!.accepted).toBe(2);
  });
});

describe("the scope claim and the reasons of admission_invalid (issue 34, item 5 and 7)", () => {
  it("gives admissions scope admission, and refuses a token without a scope, or with another, at the submissions API and the proxy", async () => {
    const id = uniqueEvent("scope");
    const { token } = await admitted(id);
    const claims = decodeJwt(token);
    expect(claims.scope).toBe("admission");
    const current = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
    const { scope: _, ...unscoped } = claims;
    const variants: [string, JWTPayload][] = [
      ["no scope (an admission from before this version)", { ...unscoped, jti: crypto.randomUUID() }],
      ["scope admin", { ...unscoped, jti: crypto.randomUUID(), scope: "admin" }],
      ["scope as a list", { ...unscoped, jti: crypto.randomUUID(), scope: ["admission"] }],
    ];
    for (const [what, payload] of variants) {
      const forged = await signWith(current, payload);
      const r = await submit(id, submissionBody(forged));
      expect([what, r.res.status, r.body.error.code]).toEqual([what, 401, "admission_invalid"]);
      // The proxy's check is the same verifier's: neither an admission nor a session.
      await expect(verifyAdmission(env, forged, BASE, "mpq-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
      await expect(verifyAdmission(env, forged, BASE, "mpq-origin", Date.now(), { session: true })).rejects.toEqual(new AdmissionError("admission_invalid"));
    }
    // The genuine one passes.
    expect((await submit(id, submissionBody(token))).res.status).toBe(201);
    expect((await counter(id).stats())!.accepted).toBe(1);
  });

  it("tells the origin why an admission is refused where that helps it fix its call", async () => {
    const id = uniqueEvent("reasons");
    await createEvent(id, { quota: 10 });
    const current = JSON.parse(env.ADMISSION_SIGNING_JWK) as JWK;
    const now = Math.floor(Date.now() / 1000);
    const session = await signAdmission(env, { sub: "s", jti: crypto.randomUUID(), iat: now, exp: now + 3600, evt: id, num: 0, dev: "desktop", scope: "session" }, BASE, "mpq-origin");
    const early = await signWith(current, claimsFor(id, { iat: now + 300, nbf: now + 300, exp: now + 900 }));
    const other = uniqueEvent("reasons-other");
    const cases: [string, string, Record<string, unknown>][] = [
      ["a session token", session, { reason: "session_token" }],
      ["a token not valid before five minutes from now", early, { reason: "not_yet_valid" }],
      ["another event's admission", await signWith(current, claimsFor(other)), { reason: "event_mismatch", tokenEvent: other }],
      ["a forged signature", `${session.slice(0, session.lastIndexOf(".") + 1)}${"A".repeat(86)}`, { reason: "invalid" }],
    ];
    for (const [what, token, details] of cases) {
      const r = await submit(id, submissionBody(token));
      expect([what, r.res.status, r.body.error]).toEqual([what, 401, { code: "admission_invalid", message: "L'admission n'est pas valide.", ...details }]);
    }
    expect((await counter(id).stats())?.accepted ?? 0).toBe(0);
  });
});
