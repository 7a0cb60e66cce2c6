/// <reference types="node" />
// The candidate's journey in a real browser against a real local gateway:
// the countdown, the opening, the line moving, a lost connection, the turn
// (sound, message, claim, redirect), the closed room; the English page and
// the phone warning. One gateway for the file; the steps run in order on one
// event, with time compressed (EVENT_MAX_ACTIVE=1, opening seconds away).
import { devices, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startWithBrowser, localContext, NodeCandidate, screenshot, unprefixed } from "./browser";
import { startGateway, type Gateway, opsCall } from "./gateway";

const OPENS_IN_MS = 10_000;
const ROOM = "/guichet/";
const montreal = (locale: string) =>
  new Intl.DateTimeFormat(locale, { timeZone: "America/Montreal", day: "numeric", month: "long", hour: "numeric", minute: "2-digit" });
const spaces = (text: string | null) => (text ?? "").replace(/[\u00a0\u202f]/g, " ").trim();

let gw: Gateway;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let opensAt: number;
const early = new Map<number, NodeCandidate>();

const ops = (method: string, path: string, body?: unknown) => opsCall(gw, method, path, body);

const text = (p: Page, selector: string) => p.locator(selector).first().textContent().then(spaces);

beforeAll(async () => {
  [gw, browser] = await startWithBrowser(
    startGateway({
      vars: {
        // Set precisely below once the gateway answers, whatever its start-up time.
        EVENT_OPENS_AT: new Date(Date.now() + 3_600_000).toISOString(),
        EVENT_MAX_ACTIVE: 1,
        EVENT_NO_SHOW_GRACE_SECONDS: 30,
        ENTER_LIMIT_PER_MINUTE: 0,
      },
    }),
  );
  opensAt = Math.ceil((Date.now() + OPENS_IN_MS) / 1000) * 1000;
  await ops("PUT", "/event", { opensAt: new Date(opensAt).toISOString() });
  desktop = await localContext(browser);
  page = await desktop.newPage();
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await gw?.stop();
}, 30_000);

describe("the waiting room in Chromium", () => {
  it("counts down to the opening, in Montreal time, with « Se connecter » disabled", async () => {
    await page.goto(`${gw.url}${ROOM}`);
    await page.locator("#s-before_open").waitFor({ state: "visible" });
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    expect(await text(page, "[data-f=opensAt]")).toBe(spaces(montreal("fr-CA").format(opensAt)));
    expect(await text(page, "#when")).toContain("(heure de Montréal)");
    const enter = page.locator("#enter");
    expect(await enter.textContent()).toBe("Se connecter");
    expect(await enter.isDisabled()).toBe(true);
    expect(await text(page, "#reminder")).toContain("ordinateur personnel");
    const first = await text(page, "[data-f=countdown]");
    expect(first).toMatch(/^00:00:\d\d$/);
    await page.waitForTimeout(1_500);
    const second = await text(page, "[data-f=countdown]");
    const seconds = (hms: string) => hms.split(":").reduce((total, part) => total * 60 + Number(part), 0);
    expect(seconds(second)).toBeLessThan(seconds(first));
    expect(seconds(second)).toBeLessThanOrEqual(Math.ceil((opensAt - Date.now()) / 1000) + 1);
    await screenshot(page, "01-before-open");
  });

  it("is in English for an English browser or with ?lang=en", async () => {
    const english = await localContext(browser, { locale: "en-CA" });
    try {
      const p = await english.newPage();
      await p.goto(`${gw.url}${ROOM}`);
      expect(await p.locator("html").getAttribute("lang")).toBe("en");
      expect(await text(p, "h1")).toBe("Virtual waiting room");
      expect(await text(p, "#enter")).toBe("Join the line");
      expect(await text(p, "[data-f=opensAt]")).toBe(spaces(montreal("en-CA").format(opensAt)));
      expect(await text(p, "#when")).toContain("(Montreal time)");
      await screenshot(p, "02-english");
      // The language link switches to French and back.
      await p.locator("nav a[hreflang=fr]").click();
      await p.waitForURL(/lang=fr/);
      expect(await p.locator("html").getAttribute("lang")).toBe("fr");
      const q = await english.newPage();
      await q.goto(`${gw.url}${ROOM}?lang=en`);
      expect(await text(q, "#h-before_open")).toBe("The waiting room is not open yet");
    } finally {
      await english.close();
    }
  });

  it("warns a phone at the entrance that phones and tablets are refused", async () => {
    const phone = await localContext(browser, { ...devices["iPhone 13"], deviceScaleFactor: 1, locale: "fr-CA" });
    try {
      const p = await phone.newPage();
      await p.goto(`${gw.url}${ROOM}`);
      const warning = p.locator("#device");
      await warning.waitFor({ state: "visible" });
      expect(await text(p, "#device h2")).toBe("Attention : téléphone ou tablette");
      expect(await text(p, "#device")).toContain("téléphone seront refusées");
      await screenshot(p, "03-phone-warning");
    } finally {
      await phone.close();
    }
    // A desktop browser sees no warning.
    expect(await page.locator("#device").isHidden()).toBe(true);
  });

  it("activates « Se connecter » at the opening and gives a number in arrival order", async () => {
    const enter = page.locator("#enter");
    await enter.waitFor({ state: "visible" });
    await page.locator("#enter:enabled").waitFor({ timeout: opensAt - Date.now() + 10_000 });
    // Not before the minute (one second of slack for the two clocks).
    expect(Date.now()).toBeGreaterThanOrEqual(opensAt - 1_000);
    expect(await text(page, "#h-not_entered")).toBe("La salle d'attente est ouverte");
    await screenshot(page, "04-open");
    // Four candidates were quicker than this browser.
    for (let i = 0; i < 4; i++) {
      const candidate = new NodeCandidate(gw.url);
      const r = await eventually(async () => {
        const res = await candidate.enter();
        return res.status === 201 ? res : null;
      }, "a number for a Node candidate", 5_000, 200);
      expect(r.body.number).toBe(i + 1);
      early.set(r.body.number, candidate);
    }
    const entering = page.waitForRequest((r) => r.url().includes("/guichet/api/enter"));
    await enter.click();
    // No entry puzzle here: the page sends no body, its touch points in a header (the gateway's cheap path).
    const sent = await entering;
    expect(sent.postData()).toBeNull();
    expect(sent.headers()["x-guichet-touch-points"]).toBe("0");
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    expect(await text(page, "[data-f=number]")).toBe("5");
    expect(await page.locator("#entry").isHidden()).toBe(true);
    // Number 1 is called at the next tick (one place in flight): four ahead of us, three waiting.
    await eventually(async () => (await text(page, "[data-f=position]")) === "4", "position 4");
    expect(await text(page, "[data-f=ahead]")).toBe("3");
    expect(await text(page, "[data-f=updated]")).toMatch(/^\d+ h \d\d min \d\d s$/);
    expect(Number(await page.locator("#bar").getAttribute("value"))).toBeGreaterThanOrEqual(0);
    await screenshot(page, "05-waiting");
  });

  it("keeps the place through a lost connection (backoff, message) and a reload", async () => {
    const attempts: number[] = [];
    const failing = "**/guichet/api/status*";
    await page.route(failing, (route) => {
      attempts.push(Date.now());
      return route.abort("connectionfailed");
    });
    const net = page.locator("#net");
    await net.waitFor({ state: "visible", timeout: 10_000 });
    expect(await text(page, "#net")).toBe("Connexion interrompue : reconnexion en cours… Votre numéro est conservé.");
    expect(await text(page, "[data-f=number]")).toBe("5");
    await screenshot(page, "06-connection-lost");
    await eventually(async () => attempts.length >= 3, "three failed polls", 10_000);
    await page.unroute(failing);
    // Retries spread out: each wait at least as long as the one before (exponential, jittered).
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]! + 50).toBeGreaterThanOrEqual(gaps[i - 1]!);
    await net.waitFor({ state: "hidden", timeout: 20_000 });
    expect(await text(page, "[data-f=number]")).toBe("5");
    // A reload keeps the number: the ticket cookie.
    await page.reload();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    expect(await text(page, "[data-f=number]")).toBe("5");
  });

  it("shows the position going down as those ahead leave or are served", async () => {
    const seen: string[] = [];
    let sampling = true;
    const sample = async () => {
      const p = await text(page, "[data-f=position]").catch(() => "");
      if (p && p !== seen.at(-1)) seen.push(p);
    };
    const sampler = (async () => {
      while (sampling) {
        await sample();
        await new Promise((r) => setTimeout(r, 100));
      }
      await sample();
    })();
    try {
      expect(await text(page, "[data-f=position]")).toBe("4");
      // Numbers 2 and 3 give up: two fewer ahead.
      for (const n of [2, 3]) expect((await early.get(n)!.leave()).status).toBe(200);
      await eventually(async () => (await text(page, "[data-f=position]")) === "2", "position 2");
      // Number 1 leaves its called place: number 4 is called, we are next.
      expect((await early.get(1)!.leave()).status).toBe(200);
      await eventually(async () => (await text(page, "[data-f=position]")) === "1", "position 1");
      expect(await text(page, "[data-f=ahead]")).toBe("0");
      await eventually(async () => (await text(page, "#live")).includes("Votre position : 1."), "position 1 announced", 2_000);
    } finally {
      sampling = false;
      await sampler;
    }
    // Down only (a poll may land between the two leaves and show 3 on the way).
    const positions = seen.map(Number);
    expect(positions[0]).toBe(4);
    expect(positions.at(-1)).toBe(1);
    expect(positions).toContain(2);
    for (let i = 1; i < positions.length; i++) expect(positions[i]!).toBeLessThan(positions[i - 1]!);
  });

  it("at the turn: a sound, a message, the title, the claim, then the redirect to /connexion", async () => {
    const claiming = page.waitForRequest((r) => r.url().includes("/guichet/api/claim"), { timeout: 15_000 });
    // Number 4 leaves its called place: our turn.
    expect((await early.get(4)!.leave()).status).toBe(200);
    await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 10_000 });
    await page.locator("html[data-sound=played]").waitFor({ state: "attached", timeout: 5_000 });
    expect(await text(page, "#h-your_turn")).toBe("C'est votre tour !");
    expect(await page.title()).toBe("C'est votre tour ! — Salle d'attente");
    await eventually(async () => (await text(page, "#alert")).includes("C'est votre tour !"), "the turn announced");
    // Claimed: the deadline (10 minutes, Montreal time) and a link in case the redirect is blocked.
    await page.locator("#go").waitFor({ state: "visible", timeout: 5_000 });
    expect(await text(page, "#deadline")).toMatch(/^Vous avez jusqu'à \d+ h \d\d \(heure de Montréal\) pour vous connecter et soumettre votre demande\.$/);
    expect(await page.locator("#go").getAttribute("href")).toBe("/connexion");
    await screenshot(page, "07-your-turn");
    await page.waitForURL(`${gw.url}/connexion`, { timeout: 10_000 });
    const cookies = await desktop.cookies(gw.url);
    // Matched by the rest of the name: `__Host-guichet_admission` on HTTPS, the bare name on http://127.0.0.1.
    expect(cookies.map((c) => unprefixed(c.name))).toContain("guichet_admission");
    // The claim went without a body, its touch points in a header; the token says desktop.
    const sent = await claiming;
    expect(sent.postData()).toBeNull();
    expect(sent.headers()["x-guichet-touch-points"]).toBe("0");
    const token = cookies.find((c) => unprefixed(c.name) === "guichet_admission")!.value;
    expect(JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).dev).toBe("desktop");
  });

  it("keeps the number it was just given when a poll sent before the click is answered after it", async () => {
    const other = await localContext(browser);
    try {
      // Two ahead, so that this page waits (one place in flight) rather than being called.
      for (let i = 0; i < 2; i++) expect((await new NodeCandidate(gw.url).enter()).status).toBe(201);
      const p = await other.newPage();
      // The room's JSON polls are fetched at once (no ticket yet) but answered only when the test says.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let held = 0;
      let answered = 0;
      await p.route(
        (url) => url.pathname === ROOM,
        async (route) => {
          const request = route.request();
          if (request.method() !== "GET" || !(request.headers()["accept"] ?? "").includes("application/json")) return route.continue();
          const response = await route.fetch();
          held += 1;
          await released;
          await route.fulfill({ response });
          answered += 1;
        },
      );
      await p.goto(`${gw.url}${ROOM}`);
      await p.locator("#enter:enabled").waitFor();
      // Back in view, the page polls at once (at the opening it polls within three seconds).
      await p.evaluate(`document.dispatchEvent(new Event("visibilitychange"))`);
      await eventually(async () => held > 0, "a poll of the room on its way", 5_000);
      await p.locator("#enter").click();
      await p.locator("#s-waiting").waitFor({ state: "visible" });
      const number = await text(p, "[data-f=number]");
      expect(Number(number)).toBeGreaterThan(2);
      // The old answer (no number) arrives now: the page keeps what the enter gave it.
      release();
      await eventually(async () => answered > 0, "the held poll answered");
      await p.waitForTimeout(500);
      expect(await p.locator("#s-waiting").isVisible()).toBe(true);
      expect(await p.locator("#entry").isHidden()).toBe(true);
      expect(await text(p, "[data-f=number]")).toBe(number);
    } finally {
      await other.close();
    }
  });

  it("says plainly when the intake is closed, shows the banner on every state, and stops polling", async () => {
    const late = await localContext(browser);
    try {
      // 60 candidates ahead: far enough back that a hidden tab stops polling.
      const ahead = await Promise.all(Array.from({ length: 60 }, () => new NodeCandidate(gw.url).enter()));
      expect(ahead.every((r) => r.status === 201)).toBe(true);
      const p = await late.newPage();
      const statusPolls: number[] = [];
      p.on("request", (r) => {
        if (r.url().includes("/guichet/api/status")) statusPolls.push(Date.now());
      });
      await p.goto(`${gw.url}${ROOM}`);
      // By keyboard: the language link, then « Se connecter ».
      await p.keyboard.press("Tab");
      await p.keyboard.press("Tab");
      expect(await p.evaluate("document.activeElement.id")).toBe("enter");
      await p.keyboard.press("Enter");
      await p.locator("#s-waiting").waitFor({ state: "visible" });
      // Focus follows to the new panel's heading.
      expect(await p.evaluate("document.activeElement.id")).toBe("h-waiting");
      expect(Number(await text(p, "[data-f=position]"))).toBeGreaterThan(50);

      // A hidden tab far back does not poll; back in view it asks at once.
      await p.evaluate(`(() => {
        Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
        Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
        document.dispatchEvent(new Event("visibilitychange"));
      })()`);
      const hiddenAt = Date.now();
      await p.waitForTimeout(4_000);
      const whileHidden = statusPolls.filter((t) => t > hiddenAt + 100).length;
      expect(whileHidden).toBe(0);
      const shownAt = Date.now();
      await p.evaluate(`(() => {
        delete document.hidden;
        delete document.visibilityState;
        document.dispatchEvent(new Event("visibilitychange"));
      })()`);
      await eventually(async () => statusPolls.some((t) => t >= shownAt), "a poll when visible again", 1_000, 50);

      // The operators' message, then the kill switch.
      const banner = "Message du Ministère : la réception des demandes sera fermée sous peu.";
      await ops("PUT", "/event", { banner });
      await eventually(async () => (await text(p, "#banner-text")) === banner, "the banner while waiting");
      await ops("POST", "/event/close");
      await p.locator("#s-closed").waitFor({ state: "visible", timeout: 10_000 });
      expect(await text(p, "#h-closed")).toBe("La période de réception des demandes est terminée");
      expect(await p.locator("#c-operator").isVisible()).toBe(true);
      expect(await text(p, "#banner-text")).toBe(banner);
      await eventually(async () => (await text(p, "#live")).includes("terminée"), "the closing announced");
      await screenshot(p, "08-closed");
      // pollAfterMs is null once closed: no more polls.
      const closedAt = Date.now();
      await p.waitForTimeout(4_000);
      expect(statusPolls.filter((t) => t > closedAt).length).toBe(0);

      // Someone arriving now sees the closed room, not a button.
      const q = await late.newPage();
      await late.clearCookies();
      await q.goto(`${gw.url}${ROOM}`);
      expect(await q.locator("#s-closed").isVisible()).toBe(true);
      expect(await q.locator("#enter").isVisible()).toBe(false);
    } finally {
      await late.close();
    }
  });
});
