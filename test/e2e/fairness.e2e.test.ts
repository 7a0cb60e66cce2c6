/// <reference types="node" />
// The fair opening in a real browser: the page joins the pre-queue after
// solving the entry puzzle in a worker thread, waits for the draw, learns its
// number at the opening, and the fairness page checks the draw in the browser.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, localContext, screenshot, startWithBrowser } from "./browser";
import { startGateway, type Gateway, opsCall } from "./gateway";

let gw: Gateway;
let browser: Browser;
let page: Page;
let opensAt: number;

const ops = (method: string, path: string, body?: unknown) => opsCall(gw, method, path, body);

beforeAll(async () => {
  [gw, browser] = await startWithBrowser(
    startGateway({ vars: { EVENT_OPENS_AT: new Date(Date.now() + 3_600_000).toISOString(), EVENT_MAX_ACTIVE: 1, ENTER_LIMIT_PER_MINUTE: 0 } }),
  );
  // A pre-queue open now, the opening 15 s away; new arrivals solve a 12-bit puzzle.
  opensAt = Math.ceil((Date.now() + 15_000) / 1000) * 1000;
  await ops("PUT", "/event", {
    opensAt: new Date(opensAt).toISOString(),
    prequeueOpensAt: new Date(Date.now() + 1000).toISOString(),
    powDifficulty: 12,
    powAutoRaise: false,
  });
  page = await (await localContext(browser)).newPage();
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await gw?.stop();
}, 30_000);

describe("the fair opening in Chromium", () => {
  it("joins the pre-queue after solving the puzzle in a worker, and gets a number from the draw at the opening", async () => {
    await page.goto(`${gw.url}/guichet/`);
    await page.locator("#pq-open").waitFor({ state: "visible", timeout: 10_000 });
    const enter = page.locator("#enter");
    await eventually(async () => !(await enter.isDisabled()), "Se connecter enabled for the pre-queue");
    await screenshot(page, "fairness-prequeue-open");
    await enter.click();
    await page.locator("#pq-in").waitFor({ state: "visible", timeout: 20_000 });
    const publicId = (await page.locator("[data-f=publicId]").textContent())!.trim();
    expect(publicId).toMatch(/^[0-9a-f]{32}$/);
    await screenshot(page, "fairness-in-prequeue");

    // A script entering without solving the puzzle is refused.
    const bare = await fetch(`${gw.url}/guichet/api/enter`, { method: "POST" });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as any).error.code).toBe("pow_required");

    // At the opening the draw gives the number; the page shows it (calls are paused, so it stays in view).
    await ops("POST", "/event/pause");
    await page.locator("#s-waiting").waitFor({ state: "visible", timeout: Math.max(5_000, opensAt - Date.now() + 15_000) });
    expect((await page.locator("[data-f=number]").first().textContent())?.trim()).toBe("1");
    const published = (await (await fetch(`${gw.url}/guichet/api/fairness`)).json()) as any;
    const mine = published.tickets.find((t: any) => t.publicId === publicId);
    expect(mine.number).toBe(1);
    await screenshot(page, "fairness-drawn");
  }, 60_000);

  it("checks the draw on the fairness page, in the browser", async () => {
    await page.goto(`${gw.url}/guichet/fairness`);
    const publicId = (((await (await fetch(`${gw.url}/guichet/api/fairness`)).json()) as any).tickets[0].publicId) as string;
    await page.locator("#mine").fill(publicId);
    await page.locator("#check").click();
    await eventually(async () => ((await page.locator("#result").textContent()) ?? "").startsWith("Vérifié"), "the check's result", 15_000);
    expect(await page.locator("#result").textContent()).toContain("Votre numéro tiré : 1.");
    await screenshot(page, "fairness-checked");
  }, 30_000);
});
