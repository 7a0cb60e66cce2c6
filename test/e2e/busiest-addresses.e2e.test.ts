/// <reference types="node" />
// The dashboard's busiest addresses in Chromium against a real local gateway
// (wrangler.toml's per-address counting): two addresses shared by many
// candidates enter from Node, the busier one past the free allowance pays
// 8-bit puzzles, and the panel lists both as shortened HMAC tags with the
// numbers each took paying more than the event's puzzle and the bits asked,
// never the address itself. Then a person's room page behind the busy address
// is asked a puzzle, solves it in its worker and gets its number, unrefused.
import { createHash } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { eventually, localContext, startWithBrowser } from "./browser";
import { opsCall, startGateway, type Gateway } from "./gateway";

let gw: Gateway;
let browser: Browser;
let page: Page;
const spaces = (text: string | null) => (text ?? "").replace(/[\u00a0\u202f]/g, " ").trim();

/** A nonce whose SHA-256 with the challenge starts with `difficulty` zero bits (as src/auth/pow.ts checks it). */
function solve(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const digest = createHash("sha256").update(`${challenge}:${n}`).digest();
    let bits = 0;
    for (const b of digest) {
      bits += Math.clz32(b) - 24;
      if (b !== 0) break;
    }
    if (bits >= difficulty) return String(n);
  }
}

/** One candidate behind `ip`, as the room page enters: on 403 with a challenge, solve it and enter again. Returns the status and the bits asked. */
async function candidate(ip: string): Promise<{ status: number; bits: number }> {
  const enter = (body?: unknown) =>
    fetch(`${gw.url}/guichet/api/enter`, {
      method: "POST",
      headers: { "cf-connecting-ip": ip, accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  const first = await enter();
  if (first.status !== 403) return { status: first.status, bits: 0 };
  const c = ((await first.json()) as any).error.challenge;
  const again = await enter({ pow: { challenge: c.challenge, nonce: solve(c.challenge, c.difficulty) } });
  return { status: again.status, bits: c.difficulty };
}

beforeAll(async () => {
  [gw, browser] = await startWithBrowser(startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() + 3_600_000).toISOString() } }));
  await opsCall(gw, "PUT", "/event", { opensAt: new Date(Date.now() + 1_000).toISOString() });
  await new Promise((r) => setTimeout(r, 1_200));
  page = await (await localContext(browser, { viewport: { width: 1440, height: 900 }, locale: "fr-CA" })).newPage();
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await gw?.stop();
}, 30_000);

it("shows the busiest addresses as shortened HMAC tags with their numbers and the bits asked, never the address", async () => {
  // 40 candidates behind one address, 35 behind another, one after the other (each address's count in order).
  const office = [];
  for (let i = 0; i < 40; i++) office.push(await candidate("203.0.113.77"));
  const cafe = [];
  for (let i = 0; i < 35; i++) cafe.push(await candidate("198.51.100.66"));
  expect(office.map((c) => c.status)).toEqual(Array(40).fill(201));
  expect(office.map((c) => c.bits)).toEqual([...Array(32).fill(0), ...Array(8).fill(8)]);
  expect(cafe.map((c) => c.bits)).toEqual([...Array(32).fill(0), ...Array(3).fill(8)]);

  await page.goto(`${gw.url}/guichet/ops/`);
  await page.fill("#login input[name=token]", gw.opsToken);
  await page.press("#login input[name=token]", "Enter");
  await page.locator("#conn.conn-live").waitFor();
  await eventually(async () => (await page.locator("#busiest-addresses tr").count()) === 2, "two busy addresses", 20_000, 250);
  const rows = await page.locator("#busiest-addresses tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
  expect(rows.map(([tag]) => /^[0-9a-f]{8}…$/.test(tag ?? ""))).toEqual([true, true]);
  expect(rows.map(([, numbers, bits]) => [numbers, bits])).toEqual([
    ["8", "8"],
    ["3", "8"],
  ]);
  expect(rows[0]![0]).not.toBe(rows[1]![0]);
  expect(spaces(await page.locator("#h-busiestAddresses").textContent())).toBe("Adresses les plus chargées");
  const html = await page.content();
  for (const part of ["203.0.113", "198.51.100"]) expect(html).not.toContain(part);
}, 90_000);

it("a person's room page behind the busy address is asked a puzzle, solves it and gets the next number", async () => {
  // Calls paused, so the number stays in view.
  await opsCall(gw, "POST", "/event/pause");
  const context = await localContext(browser, { locale: "fr-CA", extraHTTPHeaders: { "cf-connecting-ip": "203.0.113.77" } });
  const person = await context.newPage();
  const enters: { status: number; difficulty?: number }[] = [];
  person.on("response", async (r) => {
    if (!r.url().includes("/guichet/api/enter")) return;
    const body = (await r.json().catch(() => null)) as any;
    enters.push({ status: r.status(), difficulty: body?.error?.challenge?.difficulty });
  });
  await person.goto(`${gw.url}/guichet/`);
  const enter = person.locator("#enter");
  await eventually(async () => !(await enter.isDisabled()), "the enter button");
  await enter.click();
  await person.locator("#s-waiting").waitFor({ state: "visible", timeout: 20_000 });
  expect(enters).toEqual([{ status: 403, difficulty: 8 }, { status: 201 }]);
  expect((await person.locator("[data-f=number]").first().textContent())?.trim()).toBe("76");
  await context.close();
}, 60_000);
