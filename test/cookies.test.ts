// cookieValue (src/http.ts): the direct scan that replaced hono's getCookie on
// the hot routes must find exactly what getCookie finds for our cookies.
import { Hono } from "hono";
import { getCookie } from "hono/cookie";
import { describe, expect, it } from "vitest";
import { cookieValue } from "../src/http";

const app = new Hono();
app.get("/", (c) => c.json({ mine: cookieValue(c, "guichet_ticket") ?? null, hono: getCookie(c, "guichet_ticket") ?? null }));

async function read(cookie: string | null) {
  const res = await app.request("/", cookie === null ? {} : { headers: { cookie } });
  return (await res.json()) as { mine: string | null; hono: string | null };
}

describe("cookieValue", () => {
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
    // Twice: the first, as hono keeps it.
    ["guichet_ticket=first; guichet_ticket=second", "first"],
    ['guichet_ticket="quoted"', "quoted"],
    ["guichet_ticket=", ""],
  ];
  for (const [header, expected] of cases) {
    it(`reads ${JSON.stringify(header)} as ${JSON.stringify(expected)}, as getCookie does`, async () => {
      const { mine, hono } = await read(header);
      expect(mine).toBe(expected);
      expect(mine).toBe(hono);
    });
  }
});
