/// <reference types="node" />
// Accessibility audited in Chromium, against the real gateway in front of the
// real demo origin (two `wrangler dev`):
// - axe-core (every rule it has) on the room page in each state, French and
//   English: before opening, pre-queue (open, then joined), open, waiting,
//   turn, lost turn (expired), closed, and the phone warning; on the fairness
//   page, the operators' dashboard (login, then live) and the demo origin's
//   pages. Zero serious or critical violations; each is named on failure.
// - A keyboard-only journey (Tab, Enter, Space; no mouse) from the room to the
//   receipt, auditing each origin page on the way.
// - The live regions: the number when given, the position every so often,
//   every change near the front, and the turn, read as announced.
// Each room state is photographed on the way; `npm run screenshots`
// (UPDATE_SCREENSHOTS=1) copies those pictures to docs/screenshots/.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { devices, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, localContext, screenshot, startWithBrowser } from "./browser";
import { ROOT, startGatewayWithDemo, type Gateway, type GatewayWithDemo, opsCall } from "./gateway";
import {
  axeSerious,
  oneAdmissionAtATime,
  candidatesAhead,
  EventCandidate,
  expectAccessible,
  openEvent,
  recordAnnouncements,
  setEvent,
  setTabHidden,
  sleep,
  tabTo,
  text,
  USERS,
} from "./candidate";

const QUOTA = 100;
const LANGS = ["fr", "en"] as const;
type Lang = (typeof LANGS)[number];

let stack: GatewayWithDemo;
let gw: Gateway;
let browser: Browser;
const contexts: BrowserContext[] = [];
let expiring: Promise<EventCandidate>;

/** A context for auditing: axe arrives as an inline script, so the page's CSP is bypassed there (and only there). */
async function auditContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await localContext(browser, { bypassCSP: true, ...options });
  contexts.push(context);
  return context;
}

const roomUrl = (event: string, lang: Lang) => `${gw.url}/guichet/?event=${event}${lang === "en" ? "&lang=en" : ""}`;

/** Photographs a room state; with UPDATE_SCREENSHOTS=1 the picture also goes to docs/screenshots/. */
async function shot(page: Page, name: string): Promise<void> {
  const path = await screenshot(page, name);
  if (process.env.UPDATE_SCREENSHOTS === "1") {
    const docs = join(ROOT, "docs", "screenshots");
    mkdirSync(docs, { recursive: true });
    copyFileSync(path, join(docs, `${name}.png`));
  }
}

/** Audits the page in the state whose panel (or element) is `visible`, then photographs it as `room-<name>-<lang>`. */
async function auditState(page: Page, name: string, lang: Lang, visible: string): Promise<void> {
  await page.locator(visible).waitFor({ state: "visible" });
  expect(await page.locator("html").getAttribute("lang")).toBe(lang);
  await expectAccessible(page, `the room, ${name}, ${lang}`);
  await shot(page, `room-${name}-${lang}`);
}

beforeAll(async () => {
  [stack, browser] = await startWithBrowser(
    startGatewayWithDemo({
      vars: oneAdmissionAtATime(QUOTA),
    }),
  );
  gw = stack.gateway;
  // An admission that will run out: 10 s, then the room's 30 s margin. Started
  // now so that the wait overlaps the other states' tests.
  expiring = (async () => {
    await openEvent(gw, "a11y-expired", { maxActive: 1, admissionSeconds: 10 });
    const [late] = await candidatesAhead(gw, "a11y-expired", 1);
    await eventually(async () => (await late!.status()).body.state === "your_turn", "called");
    if ((await late!.claim()).status !== 200) throw new Error("the claim failed");
    return late!;
  })();
  expiring.catch(() => {});
}, 150_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await stack?.stop();
}, 30_000);

describe("axe-core on the room page, every state, French and English", () => {
  it("before the opening, and on a phone", async () => {
    await setEvent(gw, "a11y-before", { opensAt: new Date(Date.now() + 90 * 60_000).toISOString() });
    const desktop = await auditContext();
    const phone = await auditContext({ ...devices["iPhone 13"], deviceScaleFactor: 1 });
    for (const lang of LANGS) {
      const page = await desktop.newPage();
      await page.goto(roomUrl("a11y-before", lang));
      await auditState(page, "before-open", lang, "#s-before_open");
      expect(await page.locator("#enter").isDisabled()).toBe(true);
      const p = await phone.newPage();
      await p.goto(roomUrl("a11y-before", lang));
      await auditState(p, "phone", lang, "#device");
    }
  });

  it("the pre-queue: open to join, then joined", async () => {
    await setEvent(gw, "a11y-prequeue", {
      opensAt: new Date(Date.now() + 60 * 60_000).toISOString(),
      prequeueOpensAt: new Date(Date.now() - 60_000).toISOString(),
    });
    for (const lang of LANGS) {
      const page = await (await auditContext()).newPage();
      await page.goto(roomUrl("a11y-prequeue", lang));
      await auditState(page, "prequeue", lang, "#pq-open");
      await page.locator("#enter:enabled").click();
      await auditState(page, "prequeue-joined", lang, "#pq-in");
    }
  });

  it("open, then waiting with a number", async () => {
    await openEvent(gw, "a11y-wait", { maxActive: 1 });
    // Three ahead: number 1 is called and holds the one place, 2 and 3 wait.
    const ahead = await candidatesAhead(gw, "a11y-wait", 3);
    await eventually(async () => (await ahead[0]!.status()).body.state === "your_turn", "number 1 called");
    const context = await auditContext();
    for (const lang of LANGS) {
      const page = await context.newPage();
      await page.goto(roomUrl("a11y-wait", lang));
      if (lang === "fr") {
        await auditState(page, "open", lang, "#s-not_entered");
        await page.locator("#enter:enabled").click();
      }
      // The same ticket in English: the same number.
      await auditState(page, "waiting", lang, "#s-waiting");
      expect(await text(page, "[data-f=number]")).toBe("4");
      await eventually(async () => (await text(page, "[data-f=position]")) === "3", "position 3");
      // The offer of a notification is part of the waiting state.
      expect(await page.locator("#notify").isVisible()).toBe(true);
    }
    const en = await (await auditContext({ locale: "en-CA" })).newPage();
    await en.goto(roomUrl("a11y-wait", "en"));
    await auditState(en, "open", "en", "#s-not_entered");
  });

  it("the turn (the tab in the background keeps it on screen: the redirect waits to be seen)", async () => {
    for (const lang of LANGS) {
      const event = `a11y-turn-${lang}`;
      await openEvent(gw, event, { maxActive: 1 });
      await opsCall(gw, "POST", `/event/pause?event=${event}`);
      const page = await (await auditContext()).newPage();
      await page.goto(roomUrl(event, lang));
      await page.locator("#enter:enabled").click();
      await page.locator("#s-waiting").waitFor({ state: "visible" });
      await setTabHidden(page, true);
      await opsCall(gw, "POST", `/event/resume?event=${event}`);
      await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 15_000 });
      await page.locator("#go-p").waitFor({ state: "visible", timeout: 10_000 });
      // Flagged in the background, and still here past the redirect's 2.5 s: the audit sees the claimed turn.
      expect(await page.title()).toMatch(/^\u{1F514} /u);
      await sleep(3_000);
      expect(new URL(page.url()).pathname).toBe("/guichet/");
      await auditState(page, "turn", lang, "#s-your_turn");
    }
  });

  it("closed by the Ministry, with the operators' banner", async () => {
    await openEvent(gw, "a11y-closed", { banner: "La réception des demandes est terminée pour cette période. / The intake is over for this period." });
    await opsCall(gw, "POST", "/event/close?event=a11y-closed");
    const context = await auditContext();
    for (const lang of LANGS) {
      const page = await context.newPage();
      await page.goto(roomUrl("a11y-closed", lang));
      await auditState(page, "closed", lang, "#s-closed");
      expect(await page.locator("#banner").isVisible()).toBe(true);
    }
  });

  it("the turn lost: the 10 minutes (here 10 seconds) passed without a submission", async () => {
    const late = await expiring;
    await eventually(async () => (await late.status()).body.state === "expired", "the admission expired", 60_000, 500);
    const context = await auditContext();
    await context.addCookies([late.browserCookie(gw.url)]);
    for (const lang of LANGS) {
      const page = await context.newPage();
      await page.goto(roomUrl("a11y-expired", lang));
      await auditState(page, "expired", lang, "#s-expired");
    }
  }, 90_000);
});

describe("axe-core on the other pages", () => {
  it("the audit itself: it finds a violation when there is one (a nameless button, grey on white)", async () => {
    const page = await (await auditContext()).newPage();
    await page.goto(roomUrl("a11y-before", "fr"));
    await page.locator("#s-before_open").waitFor({ state: "visible" });
    await page.evaluate(`(() => {
      document.querySelector("main").insertAdjacentHTML("beforeend", '<button id="nameless"></button><p id="faint" style="color:#c8c8c8;background:#fff">Texte pâle</p>');
    })()`);
    const found = await axeSerious(page);
    expect(found.map((f) => [f.id, f.targets]).sort()).toEqual([
      ["button-name", ["#nameless"]],
      ["color-contrast", ["#faint"]],
    ]);
  });

  it("the fairness page, French and English (read only)", async () => {
    const context = await auditContext();
    for (const lang of LANGS) {
      const page = await context.newPage();
      await page.goto(`${gw.url}/guichet/fairness${lang === "en" ? "?lang=en" : ""}`);
      await page.locator("h1").waitFor();
      expect(await page.locator("html").getAttribute("lang")).toBe(lang);
      await expectAccessible(page, `the fairness page, ${lang}`);
    }
  });

  it("the operators' dashboard, its token form then the live view, French and English (read only)", async () => {
    for (const lang of LANGS) {
      // sessionStorage is per tab: each language asks for the token once.
      const page = await (await auditContext()).newPage();
      await page.goto(`${gw.url}/guichet/ops/${lang === "en" ? "?lang=en" : ""}`);
      await page.locator("#login input[name=token]").waitFor({ state: "visible" });
      await expectAccessible(page, `the dashboard's token form, ${lang}`);
      await page.fill("#login input[name=token]", gw.opsToken);
      await page.press("#login input[name=token]", "Enter");
      await page.locator("#conn.conn-live").waitFor({ timeout: 15_000 });
      // Let the first figures and charts arrive before auditing.
      await sleep(2_000);
      await expectAccessible(page, `the dashboard, ${lang}`);
    }
  });

  it("the demo origin's home page (French only, as the portal)", async () => {
    const page = await (await auditContext()).newPage();
    await page.goto(`${gw.url}/`);
    await page.locator("h1").waitFor();
    await expectAccessible(page, "the demo origin's home page");
  });
});

describe("the keyboard alone, from the room to the receipt", () => {
  it("Tab, Space and Enter: a number, the turn, the sign-in, the questions, the application, the receipt; each origin page audited", async () => {
    // Number 1 holds the default event's one place until the test lets it go.
    const [first] = await candidatesAhead(gw, "csq-2016-06", 1);
    await eventually(async () => (await first!.status()).body.state === "your_turn", "number 1 called");
    const page = await (await auditContext()).newPage();
    // No mouse: every action below is a key press.
    await page.goto(`${gw.url}/guichet/`);
    await tabTo(page, "#enter");
    await page.keyboard.press("Space");
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    expect(await page.evaluate("document.activeElement.id")).toBe("h-waiting");
    expect(await text(page, "[data-f=number]")).toBe("2");

    expect((await first!.leave()).status).toBe(200);
    await page.locator("#s-your_turn").waitFor({ state: "visible", timeout: 20_000 });
    await page.waitForURL(`${gw.url}/connexion`, { timeout: 20_000 });

    const user = USERS.jf;
    await page.locator("#userName").waitFor();
    await expectAccessible(page, "the origin's sign-in");
    await tabTo(page, "#userName");
    await page.keyboard.type(user.name);
    await tabTo(page, "#password");
    await page.keyboard.type(user.password);
    await tabTo(page, "form[action='/connexion'] button[type=submit]");
    await Promise.all([page.waitForURL(`${gw.url}/connexion/questions`), page.keyboard.press("Enter")]);

    await expectAccessible(page, "the origin's security questions");
    await tabTo(page, "#answer1");
    await page.keyboard.type(user.answers[0]);
    await tabTo(page, "#answer2");
    await page.keyboard.type(user.answers[1]);
    await tabTo(page, "form[action='/connexion/questions'] button[type=submit]");
    await Promise.all([page.waitForURL(`${gw.url}/demande`), page.keyboard.press("Enter")]);

    await expectAccessible(page, "the origin's application page");
    await tabTo(page, "#signedByRepresentative");
    await page.keyboard.press("Space");
    expect(await page.locator("#signedByRepresentative").isChecked()).toBe(true);
    // Sent without the representative's number: the origin's error, audited too.
    await tabTo(page, "form[action='/soumission'] button[type=submit]");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);
    expect(await text(page, "[role=alert]")).toContain("Indiquez le numéro du représentant");
    await expectAccessible(page, "the origin's application page with an error");
    await tabTo(page, "#representativeId");
    await page.keyboard.type("BQ-123456");
    await tabTo(page, "form[action='/soumission'] button[type=submit]");
    await Promise.all([page.waitForEvent("load"), page.keyboard.press("Enter")]);

    expect(await text(page, "h1")).toBe("Votre demande a été soumise");
    expect(await text(page, ".rank")).toBe(`Votre rang : 1 sur ${QUOTA}`);
    await expectAccessible(page, "the origin's receipt");
    await tabTo(page, "main a[href='/documents']");
    await Promise.all([page.waitForURL(`${gw.url}/documents`), page.keyboard.press("Enter")]);
    expect(await text(page, "#confirmation")).toBe("Confirmation de réception de la demande");
    await expectAccessible(page, "the origin's documents");
  }, 120_000);
});

describe("the live regions", () => {
  it("announce the number when given, the position at most every 20 s far back and at each change near the front, then the turn", async () => {
    await openEvent(gw, "a11y-live", { maxActive: 1 });
    // Number 1 is called and holds the one place; 2 to 8 wait ahead of the browser.
    const ahead = await candidatesAhead(gw, "a11y-live", 8);
    await eventually(async () => (await ahead[0]!.status()).body.state === "your_turn", "number 1 called");
    const context = await localContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    const heard = await recordAnnouncements(page);
    await page.goto(roomUrl("a11y-live", "fr"));
    await page.locator("#enter:enabled").click();
    await page.locator("#s-waiting").waitFor({ state: "visible" });
    const given = await eventually(async () => heard.find((a) => a.text.startsWith("Votre numéro")), "the number announced", 5_000);
    expect(given).toMatchObject({ region: "live", text: "Votre numéro : 9. Votre position : 8. Personnes devant vous : 7." });

    // On a failure, what was heard and when (ms after the number).
    const heardSoFar = () => heard.map((a) => `+${a.at - heard[0]!.at} ${a.region} ${a.text}`).join("\n  ");
    const shown = async (position: number) => eventually(async () => (await text(page, "[data-f=position]")) === String(position), `position ${position} shown`, 15_000);
    const said = (position: number) => heard.filter((a) => a.region === "live" && a.text.startsWith(`Votre position : ${position}.`));

    const failing = (e: Error) => {
      throw new Error(`${e.message}; heard:\n  ${heardSoFar()}`);
    };
    // Far back, a change within 20 s of the last announcement is shown but not announced...
    expect((await ahead[1]!.leave()).status).toBe(200);
    await shown(7);
    expect(Date.now() - given.at).toBeLessThan(18_000);
    await sleep(1_000);
    expect(said(7)).toEqual([]);
    // ...until 20 s have passed: then the next poll announces where the candidate now is.
    const seven = await eventually(async () => said(7)[0], "position 7 announced 20 s after the number", 30_000).catch(failing);
    expect(seven.text).toBe("Votre position : 7. Personnes devant vous : 6.");
    expect(seven.at - given.at).toBeGreaterThanOrEqual(19_000);
    // Again within 20 s of that: shown, not announced.
    expect((await ahead[2]!.leave()).status).toBe(200);
    await shown(6);
    expect(Date.now() - seven.at).toBeLessThan(18_000);
    await sleep(1_000);
    expect(said(6)).toEqual([]);
    // Near the front (5 or less), every change is announced.
    for (const [i, position] of [[3, 5], [4, 4], [5, 3], [6, 2], [7, 1]] as const) {
      expect((await ahead[i]!.leave()).status).toBe(200);
      await shown(position);
      await eventually(async () => said(position).length === 1, `position ${position} announced`, 5_000).catch(failing);
    }
    // The turn, in the assertive region.
    expect((await ahead[0]!.leave()).status).toBe(200);
    await eventually(async () => heard.some((a) => a.region === "alert"), "the turn announced", 15_000);
    const turn = heard.filter((a) => a.region === "alert");
    expect(turn.map((a) => a.text)).toEqual(["C'est votre tour ! Vous allez être dirigé vers la page de connexion."]);
    // Nothing else was said: the number, 7 (20 s on), 5, 4, 3, 2, 1, the turn.
    expect(heard.map((a) => a.text.split(".")[0])).toEqual([
      "Votre numéro : 9",
      "Votre position : 7",
      "Votre position : 5",
      "Votre position : 4",
      "Votre position : 3",
      "Votre position : 2",
      "Votre position : 1",
      "C'est votre tour ! Vous allez être dirigé vers la page de connexion",
    ]);
  }, 120_000);
});
