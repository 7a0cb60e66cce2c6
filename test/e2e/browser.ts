/// <reference types="node" />
// Debian's Chromium driven by playwright-core (never a downloaded browser),
// headless, talking to 127.0.0.1 only; and candidates played from Node with
// fetch and a cookie jar of one ticket.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { ROOT } from "./gateway";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, "test-artifacts", "screenshots");

/** A fresh headless Chromium (playwright gives it a new temporary --user-data-dir). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--no-first-run"],
  });
}

/** A browser context that can reach 127.0.0.1 and nothing else. */
export async function localContext(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ locale: "fr-CA", timezoneId: "America/Montreal", viewport: { width: 1000, height: 900 }, ...options });
  context.setDefaultTimeout(15_000);
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    return url.hostname === "127.0.0.1" ? route.fallback() : route.abort("blockedbyclient");
  });
  return context;
}

/** Saves a full-page screenshot under test-artifacts/screenshots/ (git-ignored). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: "disabled" });
  return path;
}

/** A cookie's name without `__Host-` or `__Secure-`: clients match our cookies by the rest of the name. */
export function unprefixed(name: string): string {
  return name.replace(/^__(Host|Secure)-/, "");
}

/** A candidate played from Node: one ticket cookie, carried by hand; on `event` when given, else the default event. */
export class NodeCandidate {
  cookie: string | null = null;
  number: number | null = null;

  constructor(
    private readonly base: string,
    private readonly event?: string,
  ) {}

  private async call(method: string, route: string): Promise<{ status: number; body: any }> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.cookie) headers.cookie = this.cookie;
    const query = this.event === undefined ? "" : `?event=${this.event}`;
    const res = await fetch(`${this.base}/guichet/api/${route}${query}`, { method, headers, signal: AbortSignal.timeout(10_000) });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(";")[0]!;
      const eq = pair.indexOf("=");
      if (unprefixed(pair.slice(0, eq)) === "guichet_ticket") this.cookie = pair.length > eq + 1 ? pair : null;
    }
    return { status: res.status, body: await res.json().catch(() => null) };
  }

  async enter() {
    const r = await this.call("POST", "enter");
    if (r.status === 200 || r.status === 201) this.number = r.body.number;
    return r;
  }

  status() {
    return this.call("GET", "status");
  }

  claim() {
    return this.call("POST", "claim");
  }

  leave() {
    return this.call("POST", "leave");
  }

  /** The ticket cookie as a browser context takes it. */
  browserCookie(url: string) {
    const eq = this.cookie!.indexOf("=");
    return { name: this.cookie!.slice(0, eq), value: this.cookie!.slice(eq + 1), url };
  }
}

/** Waits until `check` returns a truthy value (bounded), polling every `everyMs`. */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Starts a gateway (or gateway and origin) and a browser together; if either fails, stops the other and throws. */
export async function startWithBrowser<G extends { stop(): Promise<void> }>(gateway: Promise<G>): Promise<[G, Browser]> {
  const [g, b] = await Promise.allSettled([gateway, launchBrowser()]);
  if (g.status === "fulfilled" && b.status === "fulfilled") return [g.value, b.value];
  if (b.status === "fulfilled") await b.value.close().catch(() => {});
  if (g.status === "fulfilled") await g.value.stop();
  throw g.status === "rejected" ? g.reason : (b as PromiseRejectedResult).reason;
}
