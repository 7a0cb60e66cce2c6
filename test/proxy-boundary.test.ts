// The proxy as a trust boundary, attacked over HTTP (the Worker's own fetch,
// the echo origin bound as ORIGIN, and a second origin, https://evil.example,
// that must never receive anything): paths that name another host or that an
// origin reads differently are refused before anything is sent; the
// gateway's credentials and look-alikes of its headers never cross; the
// origin cannot set the gateway's cookies.
import { beforeAll, describe, expect, it } from "vitest";
import { pathAmbiguity } from "../src/domain/paths";
import { forgetSnapshot } from "../src/line/snapshot-cache";
import { admissionToken, DESKTOP_UA, gateway, ourCookie, room } from "./helpers";
import { echoReceived, evilReceived, newProbe } from "./origins";
import { AMBIGUOUS } from "./path-cases";

const EVENT = "csq-2016-06"; // the proxy fronts the default event
const page = { accept: "text/html,application/xhtml+xml" };
const json = { accept: "application/json" };

async function configureDefault(settings: Parameters<ReturnType<typeof room>["configure"]>[0]) {
  const r = await room(EVENT).configure(settings, { source: "test" });
  if (!r.ok) throw new Error(JSON.stringify(r));
  forgetSnapshot(EVENT);
}

/** The hrefs of a page's links. */
async function links(res: Response): Promise<string[]> {
  return [...(await res.text()).matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
}

/** Sends `path?probe` as a page and as an API call; both must be 400 ambiguous_path, and neither origin saw anything. */
async function expectRefused(path: string, init: { cookie?: string; headers?: Record<string, string> } = {}) {
  const probe = newProbe();
  const evilBefore = (await evilReceived()).length;
  const asPage = await gateway(`${path}?${probe}`, { cookie: init.cookie, headers: { ...page, ...init.headers } });
  expect(asPage.status, path).toBe(400);
  expect(asPage.headers.get("content-type"), path).toMatch(/^text\/html/);
  const html = await asPage.clone().text();
  expect(html, path).toContain("ambiguë");
  expect(await links(asPage), path).toEqual(["/"]);
  const asApi = await gateway(`${path}?${probe}`, { cookie: init.cookie, headers: { ...json, "accept-language": "en", ...init.headers } });
  expect(asApi.status, path).toBe(400);
  const body = (await asApi.json()) as any;
  expect(body.error.code, path).toBe("ambiguous_path");
  expect(body.error.message, path).toMatch(/ambiguous/);
  expect(await echoReceived(probe), path).toEqual([]);
  expect((await evilReceived()).length, path).toBe(evilBefore);
}

describe("paths that name another host", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() }));

  it("are refused for an admitted candidate, and nothing reaches the origin nor evil.example", async () => {
    const admitted = ourCookie("guichet_admission", await admissionToken(EVENT));
    const forms = ["//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example", "/%5Cevil.example", "//evil.example", "/%2f%2fevil.example/x", "/%5C%5Cevil.example", "//evil.example:443/connexion", "//evil.example@origin.test/x"];
    for (const path of forms) await expectRefused(path, { cookie: admitted });
    // The candidate's own paths still pass.
    const probe = newProbe();
    expect((await gateway(`/connexion?${probe}`, { headers: page, cookie: admitted })).status).toBe(200);
    expect((await echoReceived(probe)).map((r) => r.path)).toEqual(["/connexion"]);
    expect(await evilReceived()).toEqual([]);
  });
});

describe("ambiguous paths", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() }));

  // Closed (/creer-compte, /inscription) and protected (/connexion, /demande) pages behind an open prefix.
  const attacks = [
    "/static/..;/connexion",
    "/static/..%3B/connexion",
    "/static/..%3b/connexion",
    "/static/..;jsessionid=x/connexion",
    "/aide/..;/creer-compte",
    "/aide/..;/inscription",
    "/static/%2e%2e;/demande",
    "/static/.;/connexion",
    "/static;/connexion",
    "/aide/..%2Fconnexion",
    "/aide%2F..%2Fcreer-compte",
    "/aide/..%5Cconnexion",
    "/aide/%252e%252e/connexion",
    "/aide/%252e%252e%252fcreer-compte",
    "/aide//connexion",
    "/static/%C0%AE%C0%AE/connexion",
    "/aide%EF%BC%8F..%EF%BC%8Fcreer-compte",
    "/connexion%00.css",
    "/creer-compte%00.js",
    "/connexion;.css",
    "/aide/%2E%2E%2Fconnexion",
  ];

  it(`answers 400 to each of ${attacks.length} spellings of closed and protected pages, without an admission, and sends nothing`, async () => {
    for (const path of attacks) await expectRefused(path);
  });

  it("refuses every row of the table that survives the URL parser; the rest are judged as the parser resolved them", async () => {
    let refused = 0;
    let resolved = 0;
    for (const [form] of AMBIGUOUS) {
      if (!form.startsWith("/")) continue;
      // What workerd hands the Worker: the parser resolves dot segments and backslashes, and encodes raw bytes.
      const parsed = new URL(`https://guichet.test${form}`).pathname;
      const probe = newProbe();
      const res = await gateway(`${form}?${probe}`, { headers: json });
      const reached = await echoReceived(probe);
      if (pathAmbiguity(parsed) === null) {
        expect(res.status, `${form} → ${parsed}`).not.toBe(400);
        expect(reached.every((r) => r.path === parsed), form).toBe(true);
        resolved += 1;
        continue;
      }
      expect(res.status, form).toBe(400);
      expect(reached, form).toEqual([]);
      refused += 1;
    }
    // Of the table's 50 rows that start with "/": 11 are resolved by the parser (raw dot segments, `%2e`, backslashes, tab, space, é).
    expect([refused, resolved]).toEqual([39, 11]);
    expect(await evilReceived()).toEqual([]);
  });
});

describe("what crosses toward the origin", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() }));

  // The gateway's cookies in every prefix and case, Access's, and two of the origin's own (which pass, in order).
  const cookieJar = [
    "a=1",
    "__Host-guichet_ticket=t1",
    "guichet_ticket=t2",
    "__Secure-guichet_ticket=t3",
    "__host-GUICHET_TICKET=t4",
    "Guichet_Ticket=t5",
    "guichet.ticket=t6",
    "guichet%5Fticket=t7",
    "=guichet_ticket=t8",
    "GUICHET_SESSION=s1",
    "__Secure-__Host-guichet_session=s2",
    "guichet_admission=forged",
    "CF_Authorization=op1",
    "cf_authorization=op2",
    "CF_AUTHORIZATION=op3",
    'b="two words"',
    "c=3, guichet_ticket=t9",
    "mpq_session=abc.def",
  ];
  const spoofed = {
    "Cf-Access-Jwt-Assertion": "operator-assertion",
    "Cf-Access-Client-Id": "client-id",
    "Cf-Access-Client-Secret": "client-secret",
    Cf_Access_Jwt_Assertion: "operator-assertion-2",
    X_Guichet_Device: "desktop",
    "x-GUICHET-admission": "forged",
    "X-Guichet-Session-Expires": "2099-01-01T00:00:00Z",
    X_GUICHET_WHATEVER: "1",
    Connection: "X-Secret, keep-alive",
    "X-Secret": "1",
    "Keep-Alive": "timeout=5",
    TE: "trailers",
    Upgrade: "h2c",
    "Proxy-Authorization": "Basic eDp5",
    Forwarded: "for=192.0.2.1;host=evil.example;proto=http",
    "X-Forwarded-Host": "evil.example",
    "X-Forwarded-For": "192.0.2.1",
    X_Forwarded_Proto: "http",
    "X-Forwarded-Prefix": "/evil",
    "X-Original-URL": "/creer-compte",
    "X-Rewrite-URL": "/creer-compte",
    "X-Custom": "kept",
    "User-Agent": DESKTOP_UA,
  };

  it("an admitted request carries the origin's own cookies and headers, and exactly what the gateway adds", async () => {
    const token = await admissionToken(EVENT, { num: 7 });
    const probe = newProbe();
    const res = await gateway(`/demande?${probe}`, { headers: { ...page, ...spoofed, "cf-connecting-ip": "198.51.100.23" }, cookie: [...cookieJar, ourCookie("guichet_admission", token)].join("; ") });
    expect(res.status).toBe(200);
    const [seen, ...more] = await echoReceived(probe);
    expect(more).toEqual([]);
    expect(seen!.headers).toEqual({
      accept: page.accept,
      "cf-connecting-ip": "198.51.100.23",
      cookie: 'a=1; b="two words"; mpq_session=abc.def',
      "user-agent": DESKTOP_UA,
      "x-custom": "kept",
      "x-forwarded-for": "198.51.100.23",
      "x-forwarded-host": "guichet.test",
      "x-forwarded-proto": "https",
      "x-guichet-admission": token,
      "x-guichet-device": "desktop",
    });
  });

  it("a bearer admission leaves with Authorization removed; an open path gets none of the gateway's headers", async () => {
    const token = await admissionToken(EVENT);
    const probe = newProbe();
    await gateway(`/api/dossier?${probe}`, { headers: { ...json, ...spoofed, authorization: `Bearer ${token}` }, cookie: cookieJar.join("; ") });
    const open = await gateway(`/aide?${probe}`, { headers: { ...page, ...spoofed }, cookie: cookieJar.join("; ") });
    expect(open.status).toBe(200);
    const [api, help] = await echoReceived(probe);
    const common = { "user-agent": DESKTOP_UA, "x-custom": "kept", "x-forwarded-host": "guichet.test", "x-forwarded-proto": "https", cookie: 'a=1; b="two words"; mpq_session=abc.def' };
    expect(api!.headers).toEqual({ ...common, accept: json.accept, "x-guichet-admission": token, "x-guichet-device": "desktop" });
    expect(help!.headers).toEqual({ ...common, accept: page.accept });
  });

  it("our admission as a bearer token never reaches the origin on an open path; the origin's own bearer tokens do", async () => {
    const ours = await admissionToken(EVENT);
    // Signed by someone else but shaped like ours (an event claim): still ours to keep.
    const lookalike = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ iss: "https://elsewhere.example", evt: EVENT })).replace(/=+$/, "")}.`;
    const theirs = "eyJvcmlnaW4iOiJ0b2tlbiJ9.eyJpc3MiOiJtcHEifQ.c2ln";
    const sent = [`Bearer ${ours}`, `bearer  ${ours}`, `Bearer ${lookalike}`, `Bearer ${theirs}`, "Basic dXNlcjpwYXNz"];
    const probes = sent.map(() => newProbe());
    for (const [i, authorization] of sent.entries()) {
      const res = await gateway(`/aide?${probes[i]}`, { headers: { ...page, authorization } });
      expect(res.status).toBe(200);
    }
    const seen = await Promise.all(probes.map(async (p) => (await echoReceived(p))[0]!.headers.authorization ?? null));
    expect(seen).toEqual([null, null, null, `Bearer ${theirs}`, "Basic dXNlcjpwYXNz"]);
  });

  it("a Cookie header of only the gateway's cookies does not reach the origin at all", async () => {
    const probe = newProbe();
    await gateway(`/aide?${probe}`, { headers: page, cookie: "__Host-guichet_ticket=t; CF_Authorization=op; guichet_session=s" });
    const [seen] = await echoReceived(probe);
    expect(Object.keys(seen!.headers).sort()).toEqual(["accept", "x-forwarded-host", "x-forwarded-proto"]);
  });
});

describe("what crosses toward the client", () => {
  const planted = async (res: Response) => res.headers.getSetCookie();

  it("no Set-Cookie of the origin's sets one of the gateway's cookies (or Access's); the origin's own pass in order", async () => {
    await configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() });
    const open = await gateway("/aide/plant", { headers: page });
    expect(await planted(open)).toEqual(["origin_pref=1; Path=/", "mpq_session=abc; Path=/; HttpOnly"]);
    const admitted = await gateway("/connexion/plant", { headers: page, cookie: ourCookie("guichet_admission", await admissionToken(EVENT)) });
    expect(await planted(admitted)).toEqual(["origin_pref=1; Path=/", "mpq_session=abc; Path=/; HttpOnly"]);
  });

  it("before opening day, the gateway's session cookie is the only one of ours in the answer", async () => {
    await configureDefault({ opensAt: new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString() });
    const res = await gateway("/connexion/plant", { headers: page });
    const lines = await planted(res);
    expect(lines.slice(0, 2)).toEqual(["origin_pref=1; Path=/", "mpq_session=abc; Path=/; HttpOnly"]);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^__Host-guichet_session=ey[^;]+; Max-Age=3600; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });
});

describe("the error page's link", () => {
  beforeAll(() => configureDefault({ opensAt: new Date(Date.now() - 1000).toISOString() }));

  it("is the request's own path when the origin fails, and / for a path that names another host", async () => {
    const down = await gateway("/aide/down", { headers: page });
    expect(down.status).toBe(502);
    expect(await links(down)).toEqual(["/aide/down"]);
    for (const path of ["//evil.example/down", "/\\evil.example/down", "/%2F%2Fevil.example/down", "/%5Cevil.example/down"]) {
      const res = await gateway(path, { headers: page });
      expect(res.status, path).toBe(400);
      expect(await links(res), path).toEqual(["/"]);
    }
    expect(await evilReceived()).toEqual([]);
  });
});
