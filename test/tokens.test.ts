// Admission tokens: they verify against the JWKS with the contract's claims,
// and anything tampered, foreign or expired is refused.
import { env } from "cloudflare:workers";
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { AdmissionError, signAdmission, verifyAdmission } from "../src/auth/admission";
import { BASE, claim, createEvent, enter, gateway, tick, uniqueEvent } from "./helpers";

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
    const retired = { ...env, ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...previous, d: undefined, expiresAt: new Date(Date.now() - 1000).toISOString() }] }) };
    await expect(verifyAdmission(retired, old, BASE, "mpq-origin")).rejects.toEqual(new AdmissionError("admission_invalid"));
    const fresh = await signAdmission(env, claims, BASE, "mpq-origin");
    const header = JSON.parse(atob(fresh.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(header.kid).toBe(JSON.parse(env.ADMISSION_SIGNING_JWK).kid);
    expect(await importJWK(previous, "ES256")).toBeTruthy();
  });
});
