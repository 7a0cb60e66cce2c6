// The proxy with its origin as ORIGIN_URL (https://origin.test, the echo
// fixture) rather than a service binding: here the target URL is what decides
// the host a request goes to. A path that names another host must never make
// the Worker fetch it: https://evil.example (a second fixture that records
// every request) must receive nothing, whatever the candidate holds.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { forgetSnapshot } from "../../src/line/snapshot-cache";
import { admissionToken, gateway, ourCookie, room } from "../helpers";
import { echoReceived, evilReceived, newProbe } from "../origins";

const EVENT = "csq-2016-06";
const page = { accept: "text/html,application/xhtml+xml" };

beforeAll(async () => {
  const r = await room(EVENT).configure({ opensAt: new Date(Date.now() - 1000).toISOString() }, { source: "test" });
  if (!r.ok) throw new Error(JSON.stringify(r));
  forgetSnapshot(EVENT);
});

describe("ORIGIN_URL", () => {
  it("is how this project reaches the origin (no service binding)", () => {
    expect(env.ORIGIN).toBeUndefined();
    expect(env.ORIGIN_URL).toBe("https://origin.test");
  });

  it("takes an admitted candidate's paths to the origin, path and query set on its URL", async () => {
    const admitted = ourCookie("guichet_admission", await admissionToken(EVENT));
    const probe = newProbe();
    const res = await gateway(`/connexion/%C3%A9tape?${probe}&x=a%2Fb`, { headers: page, cookie: admitted });
    expect(res.status).toBe(200);
    const [seen, ...more] = await echoReceived(probe);
    expect(more).toEqual([]);
    expect(seen).toMatchObject({ path: "/connexion/%C3%A9tape", search: `?${probe}&x=a%2Fb` });
  });

  it("never fetches another host for a path that names one, with the candidate's cookies and admission", async () => {
    const token = await admissionToken(EVENT);
    const cookie = `${ourCookie("guichet_admission", token)}; ${ourCookie("guichet_ticket", "t")}; mpq_session=abc`;
    const forms = [
      "//evil.example/x",
      "//evil.example",
      "//evil.example/connexion",
      "//evil.example:443/x",
      "//user@evil.example/x",
      "/\\evil.example",
      "/\\evil.example/x",
      "/%2F%2Fevil.example",
      "/%2f%2fevil.example/x",
      "/%5Cevil.example",
      "/%5c%5cevil.example/x",
    ];
    for (const form of forms) {
      for (const headers of [page, { accept: "application/json" }, { authorization: `Bearer ${token}` }]) {
        const probe = newProbe();
        const res = await gateway(`${form}?${probe}`, { headers, cookie });
        expect(res.status, form).toBe(400);
        expect(await echoReceived(probe), form).toEqual([]);
      }
    }
    // 11 spellings × 3 ways of holding the admission: evil.example received exactly nothing.
    expect(await evilReceived()).toEqual([]);
  });
});
