// Our cookies' names and the helpers that read and write them (src/http/context.ts):
// `__Host-` names on HTTPS (and on any plain-HTTP host but this machine), the
// bare names only on plain HTTP to localhost, 127.0.0.1 or [::1] (wrangler
// dev); the direct scan that replaced hono's getCookie finds exactly what
// getCookie finds; and the proxy's Cookie header for the origin
// (originCookieHeader) keeps only the origin's own pairs, byte for byte.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { describe, expect, it } from "vitest";
import { cookieHeader, cookieName, cookieValue, isCookieNamed } from "../src/http/cookies";
import { originCookieHeader } from "../src/routes/proxy";

const app = new Hono();
app.get("/", (c) => c.json({ name: cookieName(c, "guichet_ticket"), mine: cookieValue(c, "guichet_ticket") ?? null, hono: getCookie(c, cookieName(c, "guichet_ticket")) ?? null }));
app.get("/set", (c) => c.text(cookieHeader(c, "guichet_ticket", "v.1", 5)));

async function read(cookie: string | null, base = "http://localhost") {
  const res = await app.request(`${base}/`, cookie === null ? {} : { headers: { cookie } });
  return (await res.json()) as { name: string; mine: string | null; hono: string | null };
}

describe("cookieValue on plain HTTP to localhost (wrangler dev): the bare name", () => {
  const cases: [string | null, string | null][] = [
    [null, null],
    ["", null],
    ["other=1", null],
    ["guichet_ticket=abc", "abc"],
    ["a=1; guichet_ticket=abc.def-_.1.XYZ; b=2", "abc.def-_.1.XYZ"],
    ["a=1;guichet_ticket=abc", "abc"],
    ["a=1;\tguichet_ticket=abc ", "abc"],
    // Another cookie whose name ends with ours, or whose value holds it.
    ["xguichet_ticket=evil", null],
    ["xguichet_ticket=evil; guichet_ticket=good", "good"],
    ["a=guichet_ticket=evil", null],
    ["a=guichet_ticket=evil; guichet_ticket=good", "good"],
    // The prefixed name is not read here (nor is the bare one on HTTPS).
    ["__Host-guichet_ticket=other", null],
    ["__Host-guichet_ticket=other; guichet_ticket=good", "good"],
    // Twice: the first, as hono keeps it.
    ["guichet_ticket=first; guichet_ticket=second", "first"],
    ['guichet_ticket="quoted"', "quoted"],
    ["guichet_ticket=", ""],
  ];
  for (const [header, expected] of cases) {
    it(`reads ${JSON.stringify(header)} as ${JSON.stringify(expected)}, as getCookie does`, async () => {
      const { name, mine, hono } = await read(header);
      expect(name).toBe("guichet_ticket");
      expect(mine).toBe(expected);
      expect(mine).toBe(hono);
    });
  }
});

describe("cookieValue on HTTPS: only the __Host- name", () => {
  const cases: [string | null, string | null][] = [
    ["__Host-guichet_ticket=abc", "abc"],
    ["a=1; __Host-guichet_ticket=abc; b=2", "abc"],
    // A bare or __Secure- cookie can be planted by a sibling subdomain or over HTTP: never read.
    ["guichet_ticket=planted", null],
    ["__Secure-guichet_ticket=planted", null],
    ["__host-guichet_ticket=planted", null],
    ["guichet_ticket=planted; __Host-guichet_ticket=good", "good"],
    ["x__Host-guichet_ticket=evil; __Host-guichet_ticket=good", "good"],
    ["a=__Host-guichet_ticket=evil", null],
    ['__Host-guichet_ticket="quoted"', "quoted"],
  ];
  for (const [header, expected] of cases) {
    it(`reads ${JSON.stringify(header)} as ${JSON.stringify(expected)}, as getCookie does`, async () => {
      const { name, mine, hono } = await read(header, "https://guichet.test");
      expect(name).toBe("__Host-guichet_ticket");
      expect(mine).toBe(expected);
      expect(mine).toBe(hono);
    });
  }
});

describe("cookieName and cookieHeader", () => {
  const local = ["http://localhost", "http://localhost:8787", "http://127.0.0.1:8787", "http://127.0.0.1", "http://[::1]:8787", "http://LOCALHOST:8787"];
  const elsewhere = [
    "https://guichet.test",
    "https://localhost:8787",
    "https://127.0.0.1:8787",
    "http://guichet.example",
    "http://localhost.evil.example",
    "http://127.0.0.1.nip.io",
    "http://localhost.:8787",
    "http://[::2]:8787",
    "http://0.0.0.0:8787",
    "http://127.0.0.2:8787",
  ];

  it("sets the bare name without Secure on plain HTTP to this machine", async () => {
    for (const base of local) {
      expect((await read(null, base)).name, base).toBe("guichet_ticket");
      expect(await (await app.request(`${base}/set`)).text(), base).toBe("guichet_ticket=v.1; Max-Age=5; Path=/; HttpOnly; SameSite=Lax");
    }
  });

  it("sets __Host- with Secure, Path=/ and no Domain everywhere else, HTTPS or not", async () => {
    for (const base of elsewhere) {
      expect((await read(null, base)).name, base).toBe("__Host-guichet_ticket");
      expect(await (await app.request(`${base}/set`)).text(), base).toBe("__Host-guichet_ticket=v.1; Max-Age=5; Path=/; HttpOnly; Secure; SameSite=Lax");
    }
  });
});

describe("isCookieNamed: our names under the spellings an origin's framework folds onto them", () => {
  const ours = new Set(["guichet_ticket", "cf_authorization"]);
  const yes = ["guichet_ticket", "__Host-guichet_ticket", "__Secure-guichet_ticket", "__host-GUICHET_TICKET", "__SECURE-__HOST-guichet_ticket", " guichet_ticket ", "Guichet_Ticket", "guichet.ticket", "guichet ticket", "guichet[ticket", "guichet-ticket", "guichet%5Fticket", "__Host-guichet%5fticket", "CF_Authorization", "cf_authorization", "CF_AUTHORIZATION", "cf-authorization"];
  const no = ["", "guichet_tickets", "xguichet_ticket", "guichet_ticket2", "__Host-", "_guichet_ticket", "guichet__ticket", "mpq_session", "cf_authorizations", "guichet%zz_ticket"];
  for (const name of yes) it(`${JSON.stringify(name)} is ours`, () => expect(isCookieNamed(name, ours)).toBe(true));
  for (const name of no) it(`${JSON.stringify(name)} is not`, () => expect(isCookieNamed(name, ours)).toBe(false));
});

describe("originCookieHeader: the Cookie header the origin gets", () => {
  const cases: [string, string | null][] = [
    ["a=1", "a=1"],
    ["a=1; b=2", "a=1; b=2"],
    // The origin's pairs byte for byte, in order (only the separators are rewritten as "; ").
    ['a=1;b="x y"; c=%7B%22k%22%3A1%7D;  d=', 'a=1; b="x y"; c=%7B%22k%22%3A1%7D; d='],
    ["__Host-guichet_ticket=t; a=1; guichet_admission=x; b=2; __Secure-guichet_session=s", "a=1; b=2"],
    ["CF_Authorization=op; a=1; cf_authorization=op2", "a=1"],
    ["=guichet_ticket=nameless; a=1", "a=1"],
    ["a=1, guichet_ticket=t; b=2", "b=2"],
    ["a=1, b=2", "a=1, b=2"],
    ["guichet_ticket=t", null],
    ["; ;", null],
    ["flag; guichet_ticket", "flag"],
    ["a=guichet_ticket=x", "a=guichet_ticket=x"],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => expect(originCookieHeader(header)).toBe(expected));
  }
});
