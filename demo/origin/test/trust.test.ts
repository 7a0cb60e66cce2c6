// The origin's side of trust (src/trust.ts): admission tokens verified with
// the gateway's JWKS, ES256 only, issuer, audience, times and claims; and the
// protected pages refuse whatever it refuses.
import { base64url, exportJWK, generateKeyPair, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { verifyAdmission, type TrustConfig } from "../src/trust";
import { admissionToken, claimsOf, demoEnv, GATEWAY, origin, pageText } from "./helpers";

const config = (over: Partial<TrustConfig> = {}): TrustConfig => ({
  gatewayUrl: GATEWAY,
  issuer: GATEWAY,
  audience: "mpq-origin",
  gateway: demoEnv.GATEWAY,
  ...over,
});

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

/** A key the gateway never published. */
async function strangerKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
}

describe("verifyAdmission", () => {
  it("accepts a token signed with a published key and gives the claims the origin relies on", async () => {
    const token = await admissionToken({ evt: "csq-2016-06", num: 42, dev: "desktop", sub: "ticket-1", jti: "jti-good" });
    const trust = await verifyAdmission(token, config());
    expect(trust).toEqual({
      ok: true,
      admission: { sub: "ticket-1", jti: "jti-good", exp: claimsOf(token).exp, evt: "csq-2016-06", num: 42, dev: "desktop", scope: "admission" },
    });
  });

  it("refuses no token", async () => {
    expect(await verifyAdmission(undefined, config())).toEqual({ ok: false, refusal: "missing" });
    expect(await verifyAdmission("", config())).toEqual({ ok: false, refusal: "missing" });
  });

  it("refuses a tampered token (claims changed after signing)", async () => {
    const [header, , signature] = (await admissionToken({ num: 5000 })).split(".");
    const forged = `${header}.${encode({ ...claimsOf(await admissionToken()), num: 1 })}.${signature}`;
    expect(await verifyAdmission(forged, config())).toEqual({ ok: false, refusal: "invalid" });
    const good = await admissionToken();
    expect(await verifyAdmission(`${good.slice(0, -6)}AAAAAA`, config())).toEqual({ ok: false, refusal: "invalid" });
    expect(await verifyAdmission("not.a.jwt", config())).toEqual({ ok: false, refusal: "invalid" });
  });

  it("refuses an expired token, and one not yet valid", async () => {
    const expired = await admissionToken({ iat: Math.floor(Date.now() / 1000) - 700, lifetime: 600 });
    expect(await verifyAdmission(expired, config())).toEqual({ ok: false, refusal: "expired" });
    const future = await admissionToken({ iat: Math.floor(Date.now() / 1000) + 120 });
    expect(await verifyAdmission(future, config())).toEqual({ ok: false, refusal: "invalid" });
  });

  it("refuses another issuer and another audience", async () => {
    expect(await verifyAdmission(await admissionToken({ iss: "https://evil.test" }), config())).toEqual({ ok: false, refusal: "invalid" });
    expect(await verifyAdmission(await admissionToken({ aud: "another-origin" }), config())).toEqual({ ok: false, refusal: "invalid" });
    // The same token is fine for the issuer and audience it names.
    const token = await admissionToken({ aud: "another-origin" });
    expect((await verifyAdmission(token, config({ audience: "another-origin" }))).ok).toBe(true);
  });

  it('refuses alg "none"', async () => {
    const claims = claimsOf(await admissionToken());
    const unsigned = `${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`;
    expect(await verifyAdmission(unsigned, config())).toEqual({ ok: false, refusal: "invalid" });
  });

  it("refuses HS256 signed with the gateway's public key as the secret", async () => {
    const published = JSON.parse(demoEnv.TEST_SIGNING_JWK) as JWK;
    const { d: _private, ...publicJwk } = published;
    const claims = claimsOf(await admissionToken());
    for (const secret of [JSON.stringify(publicJwk), JSON.stringify({ keys: [publicJwk] }), `${publicJwk.x}${publicJwk.y}`]) {
      const signingInput = `${encode({ alg: "HS256", typ: "JWT", kid: published.kid })}.${encode(claims)}`;
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(signingInput)));
      expect(await verifyAdmission(`${signingInput}.${base64url.encode(mac)}`, config())).toEqual({ ok: false, refusal: "invalid" });
    }
  });

  it("refuses an unknown kid, and a known kid signed by another key", async () => {
    const unknown = await admissionToken({ key: await strangerKey("k-unknown") });
    expect(await verifyAdmission(unknown, config())).toEqual({ ok: false, refusal: "invalid" });
    const impostor = await admissionToken({ key: await strangerKey(JSON.parse(demoEnv.TEST_SIGNING_JWK).kid) });
    expect(await verifyAdmission(impostor, config())).toEqual({ ok: false, refusal: "invalid" });
  });

  it("requires sub, jti, exp, evt, num, dev and scope, with their types", async () => {
    for (const claim of ["sub", "jti", "exp", "evt", "num", "dev", "scope"]) {
      const token = await admissionToken({ omit: [claim] });
      expect(await verifyAdmission(token, config()), claim).toEqual({ ok: false, refusal: "invalid" });
    }
    for (const extra of [{ num: "12" }, { num: 1.5 }, { dev: "phone" }, { evt: 7 }, { scope: "admin" }, { scope: ["admission"] }]) {
      const token = await admissionToken({ extra });
      expect(await verifyAdmission(token, config()), JSON.stringify(extra)).toEqual({ ok: false, refusal: "invalid" });
    }
  });

  it("says the keys are unavailable, not the token invalid, when the gateway is down", async () => {
    const token = await admissionToken();
    expect(await verifyAdmission(token, config({ gatewayUrl: "https://down.test" }))).toEqual({ ok: false, refusal: "keys_unavailable" });
  });
});

describe("protected pages check the admission themselves", () => {
  it("refuse a request without X-Guichet-Admission (401, back to the waiting room)", async () => {
    for (const path of ["/connexion", "/demande", "/documents"]) {
      const res = await origin(path);
      expect(res.status, path).toBe(401);
      const text = await pageText(res);
      expect(text).toContain("Admission requise");
      expect(text).toContain('href="/guichet/"');
    }
    const post = await origin("/soumission", { form: { signedByRepresentative: "1" } });
    expect(post.status).toBe(401);
  });

  it("refuse tampered, expired, foreign-audience and unsigned tokens", async () => {
    const good = await admissionToken();
    const cases = {
      tampered: `${good.slice(0, -6)}AAAAAA`,
      expired: await admissionToken({ iat: Math.floor(Date.now() / 1000) - 700 }),
      audience: await admissionToken({ aud: "another-origin" }),
      none: `${encode({ alg: "none" })}.${encode(claimsOf(good))}.`,
      unknownKid: await admissionToken({ key: await strangerKey("k-unknown") }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await origin("/connexion", { token });
      expect(res.status, name).toBe(401);
    }
    expect(await pageText(await origin("/connexion", { token: cases.expired }))).toContain("Admission expirée");
  });

  it("let a valid admission reach the login page", async () => {
    const res = await origin("/connexion", { token: await admissionToken({ num: 1234 }) });
    expect(res.status).toBe(200);
    const text = await pageText(res);
    expect(text).toContain("Connexion à votre compte");
    expect(text).toContain("numéro 1 234 dans la file");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});
