/// <reference types="node" />
// Slow and flaky networks, in Chromium under its own network emulation (a
// CDP session: Network.emulateNetworkConditions), against the real gateway in
// front of the real demo origin:
// - the weight: the room page and everything it loads from the gateway, as
//   served, gzip-compressed here (node:zlib), at most 15 KB;
// - slow 3G (DevTools' preset: 2 s latency, 50 KB/s each way): the journey
//   from the room to the receipt;
// - a connection that drops for 30 seconds while the candidate waits: the
//   number stays, polling backs off and says it is reconnecting, comes back
//   when the network does, the turn (given during the outage) still arrives,
//   and the journey reaches the receipt.
import { gzipSync } from "node:zlib";
import type { Browser, BrowserContext, CDPSession, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventually, localContext, startWithBrowser } from "./browser";
import { printStackOnFailure, startGatewayWithDemo, type Gateway, type GatewayWithDemo } from "./gateway";
import { candidatesAhead, type EventCandidate, oneAdmissionAtATime, recordAnnouncements, sleep, submitWithMouse, text, USERS } from "./candidate";

const EVENT = "csq-2016-06";
const QUOTA = 100;
const BUDGET_GZIP_BYTES = 15_000;
const SLOW_3G = { offline: false, latency: 2_000, downloadThroughput: 50_000, uploadThroughput: 50_000 };
const OUTAGE_MS = 30_000;

let stack: GatewayWithDemo;
let gw: Gateway;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Number 1 of the default event: called at once, it holds the one place until a test lets it go. */
let holder: EventCandidate;

beforeAll(async () => {
  [stack, browser] = await startWithBrowser(
    startGatewayWithDemo({
      vars: oneAdmissionAtATime(QUOTA),
    }),
  );
  gw = stack.gateway;
}, 150_000);

afterEach((context) => printStackOnFailure(context, stack));

afterAll(async () => {
  await browser?.close().catch(() => {});
  await stack?.stop();
}, 30_000);

async function newPage(): Promise<Page> {
  const context = await localContext(browser);
  context.setDefaultTimeout(60_000);
  contexts.push(context);
  return context.newPage();
}

async function emulate(page: Page, conditions: typeof SLOW_3G): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", conditions);
  return cdp;
}

describe("slow and flaky networks", () => {
  it("weighs at most 15 KB gzip: the page in its heaviest state and everything it loads from the gateway, as served", async () => {
    [holder] = (await candidatesAhead(gw, EVENT, 1)) as [EventCandidate];
    await eventually(async () => (await holder.status()).body.state === "your_turn", "number 1 called");
    const page = await newPage();
    const loaded = new Set<string>();
    page.on("request", (r) => {
      if (r.resourceType() !== "fetch" && r.resourceType() !== "xhr") loaded.add(r.url());
    });
    await page.goto(`${gw.url}/guichet/`);
    await page.locator("#enter:enabled").click();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    // The waiting page (number, position, progress: the state shown longest), loaded as a browser loads it.
    await page.reload();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    // The tab's icons (the browser fetches them outside the page's requests): the usual one and the turn's.
    const icons = (await page.evaluate(`JSON.parse(document.getElementById("room-data").textContent).icons`)) as { idle: string; turn: string };
    for (const path of [icons.idle, icons.turn]) loaded.add(`${gw.url}${path}`);
    expect([...loaded].every((url) => url.startsWith(`${gw.url}/`))).toBe(true);

    const cookie = (await page.context().cookies(gw.url)).map((c) => `${c.name}=${c.value}`).join("; ");
    const sizes: Record<string, { raw: number; gzip: number }> = {};
    for (const url of loaded) {
      const res = await fetch(url, { headers: { cookie, "user-agent": await page.evaluate("navigator.userAgent") as string } });
      expect(res.status, url).toBe(200);
      const body = Buffer.from(await res.arrayBuffer());
      sizes[new URL(url).pathname] = { raw: body.byteLength, gzip: gzipSync(body).byteLength };
    }
    const total = Object.values(sizes).reduce((sum, s) => sum + s.gzip, 0);
    console.log(`room page as loaded: ${JSON.stringify(sizes)}, ${total} bytes gzip in all`);
    // The page, its script and the two icons; nothing else.
    expect(Object.keys(sizes).sort()).toEqual(["/guichet/", "/guichet/assets/icon-turn.svg", "/guichet/assets/icon.svg", "/guichet/assets/room.js"]);
    expect(total).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    // This page gives its number up, so that the next test's candidate is next.
    expect((await fetch(`${gw.url}/guichet/api/leave`, { method: "POST", headers: { cookie } })).status).toBe(200);
    await page.context().close();
  });

  it("slow 3G: from the room to the receipt", async () => {
    // Number 1 still holds the place: this candidate is next, called when it leaves.
    const page = await newPage();
    await emulate(page, SLOW_3G);
    const started = Date.now();
    await page.goto(`${gw.url}/guichet/`);
    // The emulation is in force: the page alone takes at least one round trip of 2 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(await text(page, "#reminder")).toContain("Une connexion Internet rapide n'est pas nécessaire");
    await page.locator("#enter:enabled").click();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    const number = await text(page, "[data-f=number]");
    await eventually(async () => (await text(page, "[data-f=position]")) === "1", "position 1", 30_000, 250);
    expect((await holder.leave()).status).toBe(200);
    await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 60_000 });
    await page.waitForURL(`${gw.url}/connexion`, { timeout: 60_000 });
    await submitWithMouse(page, gw.url, USERS.jf, 60_000);
    expect(await text(page, ".rank")).toBe(`Votre rang : 1 sur ${QUOTA}`);
    expect(Number(number)).toBeGreaterThan(0);
  }, 240_000);

  it("a 30-second outage while waiting: the number stays, polls back off and say so, come back with the network; the turn arrives and the journey ends on the receipt", async () => {
    const [first] = await candidatesAhead(gw, EVENT, 1);
    await eventually(async () => (await first!.status()).body.state === "your_turn", "the Node candidate called");
    const page = await newPage();
    const heard = await recordAnnouncements(page);
    const polls: { at: number; failed: boolean }[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/guichet/api/status")) polls.push({ at: Date.now(), failed: false });
    });
    page.on("requestfailed", (r) => {
      if (!r.url().includes("/guichet/api/status")) return;
      const poll = [...polls].reverse().find((p) => !p.failed);
      if (poll) poll.failed = true;
    });
    const answered: number[] = [];
    page.on("response", (r) => {
      if (r.url().includes("/guichet/api/status") && r.ok()) answered.push(Date.now());
    });
    await page.goto(`${gw.url}/guichet/`);
    await page.locator("#enter:enabled").click();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    const number = await text(page, "[data-f=number]");
    await eventually(async () => (await text(page, "[data-f=position]")) === "1", "position 1");

    // The connection drops.
    const cdp = await emulate(page, { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const downAt = Date.now();
    await page.locator("#net").waitFor({ state: "visible", timeout: 10_000 });
    expect(await text(page, "#net")).toBe("Connexion interrompue : reconnexion en cours… Votre numéro est conservé.");
    expect(await text(page, "[data-f=number]")).toBe(number);
    // The turn is given while this browser cannot hear it (the call holds 10 minutes here).
    await sleep(OUTAGE_MS - 10_000 - (Date.now() - downAt));
    expect((await first!.leave()).status).toBe(200);
    await sleep(downAt + OUTAGE_MS - Date.now());
    const failed = polls.filter((p) => p.at >= downAt && p.failed).map((p) => p.at);
    expect(await text(page, "[data-f=number]")).toBe(number);
    expect(await page.locator("#net").isVisible()).toBe(true);

    // Back online.
    await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    const upAt = Date.now();
    await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 40_000 });
    const recovered = answered.find((t) => t >= upAt)!;
    await page.waitForURL(`${gw.url}/connexion`, { timeout: 20_000 });
    console.log(
      `outage: failed polls at +${failed.map((t) => t - downAt).join(", +")} ms; first answer ${recovered - upAt} ms after the network came back`,
    );
    // Backed off: a few tries in 30 s (a steady 2 s poll would have made 15), each wait at least as long as the one before.
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.length).toBeLessThanOrEqual(8);
    const gaps = failed.slice(1).map((t, i) => t - failed[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]! + 50).toBeGreaterThanOrEqual(gaps[i - 1]!);
    // Recovered when the network did (the browser's `online` event), not at the end of a 30 s backoff.
    expect(recovered - upAt).toBeLessThan(5_000);
    expect(heard.map((a) => a.text)).toContain("Connexion interrompue : reconnexion en cours… Votre numéro est conservé.");
    expect(heard.map((a) => a.text)).toContain("Connexion rétablie.");

    await submitWithMouse(page, gw.url, USERS.marie);
    expect(await text(page, ".rank")).toBe(`Votre rang : 2 sur ${QUOTA}`);
  }, 150_000);
});
