// Under `wrangler dev`, as `npm run dev` runs the gateway (issue 34, item 6):
// every rotation secret is loaded from the secrets file (wrangler binds only
// the names wrangler.toml's [secrets] requires), the values `npm run dev`
// writes into a new .dev.vars give a working gateway with two published keys
// and the conformance kit, and the OpenAPI document is served as a static
// asset, the committed file as it is.
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ES modules without types
import { newSigningJwk, publicJwk } from "../../scripts/secrets.mjs";
// @ts-expect-error: plain ES modules without types
import { writeDevVarsIfMissing } from "../../scripts/dev-vars.mjs";
import { ROOT, startGateway, type Gateway } from "./gateway";

/** NAME='value' lines of a dotenv file as npm run dev writes it. */
function readDotenv(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z_]+)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

describe("wrangler dev with the rotation secrets of a rotation under way", () => {
  let gw: Gateway;
  const next = { ...newSigningJwk("k-e2e-next"), signFrom: new Date(Date.now() + 3_600_000).toISOString() };
  const previous = newSigningJwk("k-e2e-previous");
  const receiptRing = { current: "r-e2e", keys: { "r-e2e": "e2e-receipt-key-".padEnd(48, "x") } };

  beforeAll(async () => {
    gw = await startGateway({
      vars: { ENABLE_TEST_SEAMS: "true", EVENT_OPENS_AT: new Date(Date.now() - 60_000).toISOString() },
      secrets: {
        ADMISSION_NEXT_JWK: JSON.stringify(next),
        ADMISSION_PREVIOUS_JWKS: JSON.stringify({ keys: [{ ...publicJwk(previous), expiresAt: new Date(Date.now() + 86_400_000).toISOString() }] }),
        RECEIPT_HMAC_KEYS: JSON.stringify(receiptRing),
      },
    });
  }, 150_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it("publishes the signing, next and previous keys, and signs receipts with RECEIPT_HMAC_KEYS", async () => {
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([JSON.parse(gw.secrets.ADMISSION_SIGNING_JWK!).kid, "k-e2e-next", "k-e2e-previous"]);
    const res = await fetch(`${gw.url}/guichet/api/eligible-submissions`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.originApiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        accountId: "mpq-e2e-1",
        applicationId: "app-e2e-1",
        applicant: { familyName: "Roy", givenNames: "Léa", birthDate: "1990-01-02", countryOfBirth: "CA", passportNumber: "E2E12345" },
        eligibility: "temporary_resident",
      }),
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as any).receipt.receiptToken).toMatch(/^r2\.r-e2e\./);
  });

  it("serves the OpenAPI document as committed, with its headers", async () => {
    const res = await fetch(`${gw.url}/guichet/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await res.text()).toBe(readFileSync(join(ROOT, "docs/openapi.json"), "utf8"));
  });
});

describe("wrangler dev with the .dev.vars npm run dev writes", () => {
  let gw: Gateway;
  const dir = mkdtempSync(join(tmpdir(), "guichet-devvars-"));
  let written: Record<string, string>;

  beforeAll(async () => {
    expect(writeDevVarsIfMissing(join(dir, ".dev.vars"))).toBe("written");
    written = readDotenv(join(dir, ".dev.vars"));
    gw = await startGateway({ vars: { ENABLE_TEST_SEAMS: "true" }, secrets: written });
  }, 150_000);
  afterAll(async () => {
    await gw?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves, lists the generated previous key, and the kit signs with it", async () => {
    expect(Object.keys(written).sort()).toEqual(
      ["ADMISSION_NEXT_JWK", "ADMISSION_PREVIOUS_JWKS", "ADMISSION_SIGNING_JWK", "IDENTITY_PEPPER", "METRICS_TOKEN", "OPS_TOKEN", "ORIGIN_API_KEY", "RECEIPT_HMAC_KEYS", "TICKET_HMAC_KEY"].sort(),
    );
    const previousKid = JSON.parse(written.ADMISSION_PREVIOUS_JWKS!).keys[0].kid;
    const jwks = (await (await fetch(`${gw.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([JSON.parse(written.ADMISSION_SIGNING_JWK!).kid, previousKid]);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
    const kit = (await (await fetch(`${gw.url}/guichet/dev/tokens`)).json()) as any;
    expect(kit.tokens.previous_key.kid).toBe(previousKid);
    expect(kit.tokens.valid.kid).toBe(JSON.parse(written.ADMISSION_SIGNING_JWK!).kid);
  });
});
