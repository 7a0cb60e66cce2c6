/// <reference types="node" />
// The turn for a candidate looking elsewhere, in Chromium against a real
// gateway: the page offers a notification after joining (one click, never a
// prompt on load); with the permission granted, a system notification comes
// at the turn in the page's language and its click focuses the tab; denied,
// or without the API, none comes and the turn goes as before. A tab in the
// background is flagged (title and icon) and waits to be seen before the
// redirect.
//
// What is observed: window.Notification is wrapped by an init script that
// records each construction and still creates the real notification;
// headless Chromium then fires the notification's `show` event, which the
// test reads. A click on it is dispatched by the test (no desktop to click
// on), and window.focus is counted. A tab in the background is played by
// overriding document.hidden and firing visibilitychange, as a browser does.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, localContext, startWithBrowser } from "./browser";
import { startGateway, type Gateway, opsCall } from "./gateway";
import { NO_NOTIFICATION_API, openEvent, RECORD_NOTIFICATIONS, setTabHidden, sleep, text } from "./candidate";

const ICON = "/guichet/assets/icon.svg";
const TURN_ICON = "/guichet/assets/icon-turn.svg";

let gw: Gateway;
let browser: Browser;

beforeAll(async () => {
  [gw, browser] = await startWithBrowser(startGateway({ vars: { ENTER_LIMIT_PER_MINUTE: 0 } }));
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await gw?.stop();
}, 30_000);

/** A context that records notifications; `grant` gives it the notifications permission for the gateway. */
async function recordingContext(options: { grant?: boolean; noApi?: boolean; locale?: string } = {}): Promise<BrowserContext> {
  const context = await localContext(browser, options.locale ? { locale: options.locale } : {});
  if (options.grant) await context.grantPermissions(["notifications"], { origin: gw.url });
  await context.addInitScript(options.noApi ? NO_NOTIFICATION_API : RECORD_NOTIFICATIONS);
  return context;
}

/** A page holding number 1 of a paused event of its own: it waits at the front until the test resumes calls. */
async function waitingPage(context: BrowserContext, event: string, lang: "fr" | "en" = "fr"): Promise<Page> {
  await openEvent(gw, event, { maxActive: 1 });
  await opsCall(gw, "POST", `/event/pause?event=${event}`);
  const page = await context.newPage();
  await page.goto(`${gw.url}/guichet/?event=${event}${lang === "en" ? "&lang=en" : ""}`);
  await page.locator("#enter:enabled").click();
  await page.locator("#s-waiting").waitFor({ state: "visible" });
  expect(await text(page, "[data-f=number]")).toBe("1");
  return page;
}

const notes = (page: Page) => page.evaluate("window.__notes") as Promise<{ title: string; body: string; lang: string; tag: string; shown: boolean; closed: boolean }[]>;
const iconOf = (page: Page) => page.locator("#icon").getAttribute("href");
const resume = (event: string) => opsCall(gw, "POST", `/event/resume?event=${event}`);

describe("the turn for a candidate looking elsewhere", () => {
  it("granted: offered after joining, a notification at the turn whose click focuses the tab; the hidden tab is flagged and waits to be seen", async () => {
    const context = await recordingContext({ grant: true });
    try {
      const page = await waitingPage(context, "notify-granted");
      // Offered, not asked: the permission was never requested by the page on its own.
      const offer = page.locator("#notify");
      expect(await offer.isVisible()).toBe(true);
      expect(await text(page, "#notify")).toBe("Me prévenir par une notification à mon tour");
      expect(await page.locator("#notify-on").isHidden()).toBe(true);
      await offer.click();
      await page.locator("#notify-on").waitFor({ state: "visible" });
      expect(await text(page, "#notify-on")).toBe("Une notification vous préviendra à votre tour, même si cette page est en arrière-plan.");
      expect(await offer.isHidden()).toBe(true);
      expect(await page.evaluate("document.activeElement.id")).toBe("notify-on");
      expect(await iconOf(page)).toBe(ICON);

      // The candidate goes to another tab; the turn comes.
      await setTabHidden(page, true);
      await resume("notify-granted");
      await eventually(async () => (await page.title()) === "\u{1F514} C'est votre tour ! — Salle d'attente", "the flagged title", 15_000);
      expect(await iconOf(page)).toBe(TURN_ICON);
      const [note] = await eventually(async () => {
        const list = await notes(page);
        return list.length > 0 && list[0]!.shown ? list : null;
      }, "the notification shown", 10_000);
      expect(note).toEqual({
        title: "C'est votre tour ! — Mon projet Québec",
        body: "Revenez à la salle d'attente : vous allez être dirigé vers la page de connexion.",
        lang: "fr",
        tag: "guichet-turn",
        shown: true,
        closed: false,
      });
      // Claimed, but a hidden tab is not taken away: the flag stays until the tab is seen.
      await page.locator("#go").waitFor({ state: "attached" });
      await eventually(async () => !(await page.locator("#go-p").isHidden()), "the claim done", 10_000);
      await sleep(4_000);
      expect(new URL(page.url()).pathname).toBe("/guichet/");
      expect(await page.title()).toBe("\u{1F514} C'est votre tour ! — Salle d'attente");

      // A click on the notification focuses the tab and closes the notification.
      await page.evaluate(`window.__notifications[0].dispatchEvent(new Event("click"))`);
      expect(await page.evaluate("window.__focusCalls")).toBe(1);
      expect((await notes(page))[0]!.closed).toBe(true);
      expect(await notes(page)).toHaveLength(1);

      // Seen: the flag goes, then the redirect.
      await setTabHidden(page, false);
      expect(await page.title()).toBe("C'est votre tour ! — Salle d'attente");
      expect(await iconOf(page)).toBe(ICON);
      await page.waitForURL(`${gw.url}/connexion`, { timeout: 10_000 });
    } finally {
      await context.close();
    }
  });

  it("granted, English, tab in view: the notification in English, no flag, the redirect as before", async () => {
    const context = await recordingContext({ grant: true, locale: "en-CA" });
    try {
      const page = await waitingPage(context, "notify-english", "en");
      expect(await text(page, "#notify")).toBe("Notify me when it is my turn");
      await page.locator("#notify").click();
      await page.locator("#notify-on").waitFor({ state: "visible" });
      await resume("notify-english");
      await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 15_000 });
      const [note] = await eventually(async () => {
        const list = await notes(page);
        return list.length > 0 && list[0]!.shown ? list : null;
      }, "the notification shown", 10_000);
      expect(note!.title).toBe("It's your turn! — Mon projet Québec");
      expect(note!.body).toBe("Come back to the waiting room: you are being taken to the sign-in page.");
      expect(note!.lang).toBe("en");
      expect(await page.title()).toBe("It's your turn! — Waiting room");
      expect(await iconOf(page)).toBe(ICON);
      await page.waitForURL(`${gw.url}/connexion`, { timeout: 10_000 });
    } finally {
      await context.close();
    }
  });

  it("denied: the offer goes away, no notification at the turn, everything else as before", async () => {
    const context = await recordingContext();
    try {
      const page = await waitingPage(context, "notify-denied");
      expect(await page.evaluate("Notification.permission")).toBe("default");
      // The candidate accepts the offer, the browser refuses (headless Chromium denies what was not granted).
      await page.locator("#notify").click();
      await page.locator("#notify-p").waitFor({ state: "hidden" });
      expect(await page.evaluate("Notification.permission")).toBe("denied");
      expect(await page.locator("#notify-on").isHidden()).toBe(true);
      // Once denied, a reload offers nothing.
      await page.reload();
      await page.locator("#s-waiting").waitFor({ state: "visible" });
      expect(await page.locator("#notify-p").isHidden()).toBe(true);

      // In another tab when the turn comes: flagged, claimed, and no notification.
      await setTabHidden(page, true);
      await resume("notify-denied");
      await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 15_000 });
      await eventually(async () => (await page.title()) === "\u{1F514} C'est votre tour ! — Salle d'attente", "the flagged title", 5_000);
      await page.locator("html[data-sound=played]").waitFor({ state: "attached", timeout: 5_000 });
      await eventually(async () => (await text(page, "#alert")).includes("C'est votre tour !"), "the turn announced");
      await eventually(async () => !(await page.locator("#go-p").isHidden()), "the claim done", 10_000);
      expect(await notes(page)).toEqual([]);
      await setTabHidden(page, false);
      await page.waitForURL(`${gw.url}/connexion`, { timeout: 10_000 });
    } finally {
      await context.close();
    }
  });

  it("without the Notification API: no offer; the turn is flagged in a hidden tab and redirects once seen", async () => {
    const context = await recordingContext({ noApi: true });
    try {
      const page = await waitingPage(context, "notify-none");
      expect(await page.evaluate("typeof window.Notification")).toBe("undefined");
      expect(await page.locator("#notify-p").isHidden()).toBe(true);
      expect(await page.locator("#notify-on").isHidden()).toBe(true);
      await setTabHidden(page, true);
      await resume("notify-none");
      await eventually(async () => (await page.title()) === "\u{1F514} C'est votre tour ! — Salle d'attente", "the flagged title", 15_000);
      expect(await iconOf(page)).toBe(TURN_ICON);
      await eventually(async () => !(await page.locator("#go-p").isHidden()), "the claim done", 10_000);
      await sleep(3_500);
      expect(new URL(page.url()).pathname).toBe("/guichet/");
      await setTabHidden(page, false);
      expect(await iconOf(page)).toBe(ICON);
      await page.waitForURL(`${gw.url}/connexion`, { timeout: 10_000 });
    } finally {
      await context.close();
    }
  });
});
