/// <reference types="node" />
// What the candidate-side browser tests share: an event of their own per
// scenario, candidates played from Node on that event, what the page
// announces (its live regions) and notifies, a tab put in the background,
// axe-core's audit, and the demo origin's pages driven to the receipt with
// the mouse or with the keyboard alone.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { NodeCandidate } from "./browser";
import { opsCall, type Gateway } from "./gateway";

export const spaces = (text: string | null) => (text ?? "").replace(/[\u00a0\u202f]/g, " ").replace(/\s+/g, " ").trim();
export const text = (p: Page, selector: string) => p.locator(selector).first().textContent().then(spaces);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates (or changes) event `id` through the ops API, as an operator would. */
export function setEvent(gw: Gateway, id: string, settings: Record<string, unknown>): Promise<any> {
  return opsCall(gw, "PUT", `/event?event=${id}`, settings);
}

/** An event open since a minute ago; more settings on top. */
export function openEvent(gw: Gateway, id: string, settings: Record<string, unknown> = {}): Promise<any> {
  return setEvent(gw, id, { opensAt: new Date(Date.now() - 60_000).toISOString(), noShowGraceSeconds: 600, ...settings });
}

/** The default event (the one the demo origin's pages belong to) open since a minute, one admission in flight at a time, nothing counted per address. */
export function oneAdmissionAtATime(quota: number) {
  return {
    EVENT_OPENS_AT: new Date(Date.now() - 60_000).toISOString(),
    EVENT_MAX_ACTIVE: 1,
    EVENT_QUOTA: quota,
    EVENT_NO_SHOW_GRACE_SECONDS: 600,
    ENTER_LIMIT_PER_MINUTE: 0,
  };
}

/** A candidate played from Node on one event of its own (browser.ts's NodeCandidate, the event required). */
export class EventCandidate extends NodeCandidate {
  constructor(base: string, event: string) {
    super(base, event);
  }
}

/** Enters `n` Node candidates on `event`, in order; all must get a number. */
export async function candidatesAhead(gw: Gateway, event: string, n: number): Promise<EventCandidate[]> {
  const list: EventCandidate[] = [];
  for (let i = 0; i < n; i++) {
    const c = new EventCandidate(gw.url, event);
    const r = await c.enter();
    if (r.status !== 201) throw new Error(`a Node candidate got ${r.status} ${JSON.stringify(r.body)}`);
    list.push(c);
  }
  return list;
}

export interface Announcement {
  region: "live" | "alert";
  text: string;
  at: number;
}

/**
 * Records every text the page writes into its live regions (#live polite,
 * #alert assertive), as a screen reader would be handed it, on the Node
 * side so that a redirect loses nothing.
 */
export async function recordAnnouncements(page: Page): Promise<Announcement[]> {
  const heard: Announcement[] = [];
  await page.exposeFunction("__guichetAnnounced", (region: "live" | "alert", said: string) => {
    heard.push({ region, text: spaces(said), at: Date.now() });
  });
  await page.addInitScript(`document.addEventListener("DOMContentLoaded", () => {
    for (const id of ["live", "alert"]) {
      const el = document.getElementById(id);
      if (!el) continue;
      new MutationObserver(() => {
        if (el.textContent) window.__guichetAnnounced(id, el.textContent);
      }).observe(el, { childList: true, characterData: true, subtree: true });
    }
  });`);
  return heard;
}

/**
 * Wraps window.Notification so that each notification the page creates is
 * recorded (title, options, whether the browser showed it, whether it was
 * closed), while still creating the real one; window.focus calls are counted.
 */
export const RECORD_NOTIFICATIONS = `(() => {
  window.__notes = [];
  window.__notifications = [];
  window.__focusCalls = 0;
  const focus = window.focus.bind(window);
  window.focus = () => {
    window.__focusCalls += 1;
    focus();
  };
  const Real = window.Notification;
  if (typeof Real !== "function") return;
  class Recorded extends Real {
    constructor(title, options = {}) {
      super(title, options);
      const note = { title, body: options.body, lang: options.lang, tag: options.tag, shown: false, closed: false };
      window.__notes.push(note);
      window.__notifications.push(this);
      this.__note = note;
      this.addEventListener("show", () => (note.shown = true));
    }
    close() {
      this.__note.closed = true;
      super.close();
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (callback) => Real.requestPermission(callback);
  window.Notification = Recorded;
})();`;

/** Removes the Notification API, as in a browser without it. */
export const NO_NOTIFICATION_API = `delete window.Notification;`;

/** Puts the tab in the background (document.hidden) or back in view, with the event a browser fires. */
export async function setTabHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate(
    hidden
      ? `(() => {
          Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
          Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
          document.dispatchEvent(new Event("visibilitychange"));
        })()`
      : `(() => {
          delete document.hidden;
          delete document.visibilityState;
          document.dispatchEvent(new Event("visibilitychange"));
        })()`,
  );
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core (every rule it has: WCAG 2.x A and AA, best practices) on the
 * page as it is now and returns the serious and critical violations. The
 * page's context must bypass CSP (`bypassCSP: true`): axe arrives as an
 * inline script without the page's nonce.
 */
export async function axeSerious(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate("typeof window.axe === 'object'"))) await page.addScriptTag({ content: AXE_SOURCE });
  const findings = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((r) =>
    r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) })))`)) as AxeFinding[];
  return findings.filter((f) => f.impact === "serious" || f.impact === "critical");
}

/** Asserts zero serious or critical violations, naming each one (rule, targets) when there are. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const found = await axeSerious(page);
  const report = found.map((f) => `${f.impact} ${f.id} (${f.help}): ${f.targets.join(", ")}`).join("\n  ");
  expect(found, `axe on ${what} (${page.url()}):\n  ${report}`).toEqual([]);
}

// ---- the demo origin, after the turn ----

export interface DemoUser {
  name: string;
  password: string;
  answers: [string, string];
}

export const USERS = {
  jf: { name: "jf.cote", password: "Erable-2016", answers: ["Saint-Exupéry", "Gérard"] },
  marie: { name: "marie.tremblay", password: "Montreal-2016", answers: ["Minou", "Lyon"] },
} satisfies Record<string, DemoUser>;

/** Presses Tab until the focused element matches `selector` (at most `max` presses): how a keyboard user gets there. */
export async function tabTo(page: Page, selector: string, max = 30): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`${selector} was not reached with ${max} presses of Tab on ${page.url()}`);
}

/** The demo origin's sign-in, questions, application and submission, with the mouse; ends on the receipt. */
export async function submitWithMouse(page: Page, base: string, user: DemoUser, timeout = 15_000): Promise<void> {
  await page.locator("#userName").fill(user.name, { timeout });
  await page.locator("#password").fill(user.password, { timeout });
  await Promise.all([page.waitForURL(`${base}/connexion/questions`, { timeout }), page.getByRole("button", { name: "Se connecter" }).click({ timeout })]);
  await page.locator("#answer1").fill(user.answers[0], { timeout });
  await page.locator("#answer2").fill(user.answers[1], { timeout });
  await Promise.all([page.waitForURL(`${base}/demande`, { timeout }), page.getByRole("button", { name: "Valider" }).click({ timeout })]);
  await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/soumission` && r.request().method() === "POST", { timeout }),
    page.getByRole("button", { name: "Soumettre la demande" }).click({ timeout }),
  ]);
  await page.locator(".rank").waitFor({ timeout });
}
