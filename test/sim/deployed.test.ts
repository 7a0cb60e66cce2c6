// The built bundle as `wrangler deploy` would upload it, run by workerd
// without GUICHET_ENV: deployed, so strict. A deploy check that calls
// /guichet/healthz sees a wrong configuration (503 misconfigured) and a right
// one (200). Secrets come from scripts/secrets.mjs, as in production they
// come from `wrangler secret put`.
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { startGateway } from "../../bench/gateway.mjs";

async function healthOf(vars: Record<string, string>) {
  const g = await startGateway({ vars });
  try {
    const res = await fetch(`${g.url}/guichet/healthz`);
    return { status: res.status, body: (await res.json()) as any };
  } finally {
    await g.dispose();
  }
}

describe("the deployed bundle (no GUICHET_ENV)", () => {
  it("answers healthz 503 misconfigured with wrangler.toml's empty issuer and origin, naming both", async () => {
    const { status, body } = await healthOf({ GUICHET_ENV: "", GATEWAY_ISSUER: "" });
    expect(status).toBe(503);
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.settings).toEqual(["GATEWAY_ISSUER", "ORIGIN_URL"]);
  });

  it("answers healthz 200 once the issuer and the origin are https", async () => {
    const { status, body } = await healthOf({ GUICHET_ENV: "", GATEWAY_ISSUER: "https://guichet.example", ORIGIN_URL: "https://mpq.example" });
    expect([status, body]).toEqual([200, { ok: true }]);
  });
});
