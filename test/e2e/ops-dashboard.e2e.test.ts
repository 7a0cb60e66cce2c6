/// <reference types="node" />
// The operators' dashboard in Chromium against a real local gateway while a
// scripted line runs from Node (arrivals, claims, submissions paced like
// people filling a form, some no-shows): the token asked once, the live
// numbers and charts moving, the stream lost and found again, the controls
// (banner, a refused change, pause and resume, closing behind a typed
// confirmation) and their audit rows, the English page. On a second event,
// from a browser set to English and Paris: Montreal time with its zone, the
// charts' numbers in the page's language, the warning above maxActive, a
// quota change that would close the intake confirmed only by typing the
// event's id, and the Excel export. The screenshot for the README is taken on
// the way (UPDATE_SCREENSHOTS=1 copies it to docs/).
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startWithBrowser, localContext, NodeCandidate, screenshot } from "./browser";
import { ROOT, startGateway, type Gateway, opsCall } from "./gateway";

const EVENT = "csq-2016-06";
const DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
const spaces = (text: string | null) => (text ?? "").replace(/[\u00a0\u202f]/g, " ").trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let gw: Gateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const ops = (method: string, path: string, body?: unknown) => opsCall(gw, method, path, body);

/** A candidate who claims the turn and submits a few seconds later, or never comes (a no-show). */
class Candidate extends NodeCandidate {
  done = false;
  claimedAt = 0;
  token: string | null = null;
  constructor(
    base: string,
    readonly serial: number,
    readonly noShow: boolean,
  ) {
    super(base);
  }
}

/** The scripted line: arrivals in waves, claims as turns come, submissions after `formMs`. */
class Line {
  readonly candidates: Candidate[] = [];
  private running = true;
  private loop: Promise<void> | null = null;
  submitted = 0;

  constructor(
    private readonly base: string,
    private readonly formMs: number,
  ) {}

  async arrive(n: number): Promise<void> {
    await Promise.all(
      Array.from({ length: n }, async () => {
        const c = new Candidate(this.base, this.candidates.length + 1, this.candidates.length % 7 === 3);
        this.candidates.push(c);
        await c.enter();
      }),
    );
  }

  start(): void {
    this.loop = (async () => {
      while (this.running) {
        await Promise.all(this.candidates.filter((c) => !c.done && c.cookie).map((c) => this.step(c)));
        await sleep(500);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async step(c: Candidate): Promise<void> {
    if (c.token) {
      if (Date.now() - c.claimedAt < this.formMs) return;
      const res = await fetch(`${this.base}/guichet/api/submissions`, {
        method: "POST",
        headers: { authorization: `Bearer ${gw.originApiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          admissionToken: c.token,
          accountId: `mpq-e2e-${c.serial}`,
          applicationId: `app-e2e-${c.serial}`,
          applicant: { familyName: `Candidat${c.serial}`, givenNames: "Test", birthDate: "1990-01-01", countryOfBirth: "FR", passportNumber: `E2E${String(c.serial).padStart(6, "0")}` },
          signedByRepresentative: false,
          representativeId: null,
          device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 201) this.submitted += 1;
      c.done = true;
      return;
    }
    const s = await c.status();
    if (s.body?.state !== "your_turn") {
      if (s.body?.state === "closed" || s.status === 410) c.done = true;
      return;
    }
    if (c.noShow) return;
    const res = await fetch(`${this.base}/guichet/api/claim`, {
      method: "POST",
      headers: { cookie: c.cookie!, "user-agent": DESKTOP_UA, accept: "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status === 200) {
      c.token = ((await res.json()) as any).admission.token;
      c.claimedAt = Date.now();
    }
  }
}

/**
 * A TCP relay on 127.0.0.1 between the browser and the gateway, that the test
 * can cut (every connection dropped, new ones refused) and restore: a real
 * network loss, which an emulated "offline" does not do to a running stream.
 */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private down = false;
  port = 0;

  async start(targetPort: number): Promise<void> {
    this.server = createServer((client) => {
      if (this.down) return client.destroy();
      const upstream = connect(targetPort, "127.0.0.1");
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let line: Line;
const relay = new Relay();
let dashboardUrl: string;
const card = (id: string) => page.locator(`[data-metric="${id}"]`).textContent().then(spaces);
const cardNumber = async (id: string) => Number((await card(id)).split("/")[0]!.replace(/\D/g, "") || "NaN");

beforeAll(async () => {
  [gw, browser] = await startWithBrowser(
    startGateway({
      vars: {
        EVENT_OPENS_AT: new Date(Date.now() + 3_600_000).toISOString(),
        EVENT_QUOTA: 100,
        EVENT_MAX_ACTIVE: 4,
        EVENT_ADMIT_PER_MINUTE: 600,
        EVENT_NO_SHOW_GRACE_SECONDS: 15,
        ENTER_LIMIT_PER_MINUTE: 0,
      },
    }),
  );
  // Open now (the vars scheduled it an hour away so that nothing starts before the test is ready).
  await ops("PUT", "/event", { opensAt: new Date(Date.now() + 1_000).toISOString() });
  await sleep(1_200);
  line = new Line(gw.url, 3_000);
  await relay.start(gw.port);
  dashboardUrl = `http://127.0.0.1:${relay.port}/guichet/ops/`;
  // A laptop screen.
  context = await localContext(browser, { viewport: { width: 1440, height: 900 }, locale: "fr-CA" });
  page = await context.newPage();
}, 150_000);

afterAll(async () => {
  await line?.stop();
  await relay.stop();
  await browser?.close().catch(() => {});
  await gw?.stop();
}, 30_000);

describe("the operators' dashboard in Chromium", () => {
  it("asks for the token once, then shows the event live", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    const scripts = new Map<string, number>();
    page.on("response", (r) => {
      if (r.request().resourceType() === "script") scripts.set(new URL(r.url()).pathname, r.status());
    });
    const res = await page.goto(dashboardUrl);
    const csp = res!.headers()["content-security-policy"]!;
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain("unsafe-inline");
    await page.locator("#login").waitFor({ state: "visible" });
    await page.fill("#login input[name=token]", "not-the-token");
    await page.press("#login input[name=token]", "Enter");
    await page.locator("#login-error").waitFor({ state: "visible" });
    await page.fill("#login input[name=token]", gw.opsToken);
    await page.press("#login input[name=token]", "Enter");
    await page.locator("#conn.conn-live").waitFor();
    expect(await page.locator("#login").isVisible()).toBe(false);
    expect(spaces(await page.locator("#conn").textContent())).toBe("En direct");
    expect(spaces(await page.locator("#phase").textContent())).toBe("Ouvert");
    expect(await page.inputValue("input[name=quota]")).toBe("100");
    expect(await page.locator(".uplot canvas").count()).toBe(5);
    // The token is in this tab's sessionStorage, never in a URL.
    expect(await page.evaluate(`sessionStorage.getItem("guichet.ops.token")`)).toBe(gw.opsToken);
    expect(page.url()).not.toContain(gw.opsToken);
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    // The modules came in under the page's nonce alone (a refused one would be a CSP error above), the
    // stream parser among them: the vendored eventsource-parser, not a parser of the dashboard's own.
    const assets = "/guichet/ops/assets";
    const modules = ["main", "addresses", "api", "audit", "charts", "controls", "headline", "login", "page", "settings", "stream", "strings"];
    const expected = [
      `${assets}/vendor/uPlot.iife.min.js`,
      ...modules.map((m) => `${assets}/dashboard/${m}.js`),
      ...["index", "parse", "errors"].map((m) => `${assets}/vendor/eventsource-parser/${m}.js`),
    ];
    expect([...scripts.entries()].sort()).toEqual(expected.map((path) => [path, 200]).sort());
  });

  it("shows the numbers moving while the line runs", async () => {
    await line.arrive(40);
    line.start();
    await eventually(async () => (await cardNumber("entered")) === 40, "40 numbers on the dashboard");
    const calledBefore = await cardNumber("callsPerMinute");
    for (let wave = 0; wave < 4; wave++) {
      await sleep(2_500);
      await line.arrive(15);
    }
    await eventually(async () => (await cardNumber("entered")) === 100, "100 numbers on the dashboard");
    await eventually(async () => (await cardNumber("accepted")) >= 8, "submissions accepted", 30_000, 250);
    expect(await cardNumber("callsPerMinute")).toBeGreaterThan(calledBefore);
    expect(await cardNumber("waiting")).toBeGreaterThan(0);
    expect(await card("accepted")).toMatch(/\/ 100$/);
    // What the page shows is what the API says (within a second or two of motion).
    const m = await ops("GET", "/metrics");
    expect(Math.abs((await cardNumber("accepted")) - m.submissions.accepted)).toBeLessThanOrEqual(3);
    expect(await cardNumber("entered")).toBe(m.line.entered);
    // The charts drew the line from the stream: the "waiting" series' blue (#095797) is on its canvas.
    const seriesPixels = await page.evaluate(`(() => {
      const canvas = document.querySelector("#chart-waiting canvas");
      const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 40 && d[i + 1] > 60 && d[i + 1] < 110 && d[i + 2] > 120 && d[i + 3] > 200) n++;
      return n;
    })()`);
    expect(seriesPixels).toBeGreaterThan(100);
    // Times say their zone (HNE in winter, HAE in summer).
    expect(spaces(await page.locator("#updated").textContent())).toMatch(/^Mis à jour à .+ (HNE|HAE)$/);
    await sleep(8_000);
    const shot = await screenshot(page, "ops-dashboard");
    if (process.env.UPDATE_SCREENSHOTS === "1") {
      mkdirSync(join(ROOT, "docs", "screenshots"), { recursive: true });
      copyFileSync(shot, join(ROOT, "docs", "screenshots", "ops-dashboard.png"));
    }
  }, 90_000);

  it("draws the history as steps: a minute's count holds until the next, a burst is a jump and not a ramp", async () => {
    const probe = `(async () => {
      const u = document.getElementById("chart-rates").uplot;
      const t0 = Math.floor(Date.now() / 1000) - 3600;
      u.setData([[t0, t0 + 60, t0 + 120], [0, 100, 100], [null, null, null], [null, null, null]]);
      await new Promise((r) => setTimeout(r, 0));
      const x = Math.round(u.valToPos(t0 + 30, "x", true));
      const column = u.ctx.getImageData(x, 0, 1, u.ctx.canvas.height).data;
      const blueNear = (y) => {
        for (let d = -3; d <= 3; d++) {
          const i = (Math.round(y) + d) * 4;
          if (column[i] < 40 && column[i + 1] > 60 && column[i + 1] < 110 && column[i + 2] > 120 && column[i + 3] > 200) return true;
        }
        return false;
      };
      return { atZero: blueNear(u.valToPos(0, "y", true)), halfway: blueNear(u.valToPos(50, "y", true)) };
    })()`;
    // Halfway through the first minute the line is still at that minute's value (0), not halfway to the next (50).
    await eventually(async () => {
      const r = (await page.evaluate(probe)) as { atZero: boolean; halfway: boolean };
      return r.atZero && !r.halfway;
    }, "a stepped line");
  });

  it("says clearly when the stream is lost, and comes back by itself", async () => {
    relay.cut();
    try {
      await page.locator("#conn.conn-down").waitFor({ timeout: 10_000 });
      expect(spaces(await page.locator("#conn").textContent())).toMatch(/^Déconnecté — /);
      // Still red while the network is down: it keeps retrying, and keeps saying so.
      for (let i = 0; i < 6; i++) {
        await sleep(500);
        expect(await page.evaluate("document.body.dataset.stream")).toBe("down");
        expect(spaces(await page.locator("#conn").textContent())).toMatch(/^Déconnecté — (nouvelle tentative dans \d+ s|reconnexion…)$/);
      }
    } finally {
      relay.restore();
    }
    await page.locator("#conn.conn-live").waitFor({ timeout: 20_000 });
    const before = await cardNumber("accepted");
    await eventually(async () => (await cardNumber("accepted")) > before, "numbers moving again", 20_000, 250);
  }, 60_000);

  it("changes the banner, shows a refused change on its field, and audits what it did", async () => {
    await page.fill("textarea[name=banner]", "Forte affluence : merci de votre patience.");
    await page.click("#settings button[type=submit]");
    await page.locator("#settings-result.ok").waitFor();
    const waiting = line.candidates.find((c) => !c.done)!;
    expect((await waiting.status()).body.banner).toBe("Forte affluence : merci de votre patience.");
    expect(spaces(await page.locator("#banner-preview").textContent())).toBe("Forte affluence : merci de votre patience.");

    await page.fill("input[name=quota]", "1");
    await page.click("#settings button[type=submit]");
    await page.locator("#settings-result.error").waitFor();
    expect(spaces(await page.locator("#settings-result").textContent())).toContain("quota");
    expect(await page.getAttribute("input[name=quota]", "aria-invalid")).toBe("true");
    expect((await ops("GET", "/event")).settings.quota).toBe(100);
    await page.fill("input[name=quota]", "100");

    await eventually(async () => (await page.locator("#audit tr").count()) >= 2, "audit rows", 15_000, 250);
    const audit = spaces(await page.locator("#audit").textContent());
    expect(audit).toContain("ops-token");
    expect(audit).toContain("banner: null → \"Forte affluence : merci de votre patience.\"");
  }, 60_000);

  it("pauses and resumes calling", async () => {
    await page.click("#pause");
    await page.locator("#paused").waitFor({ state: "visible" });
    const serving = (await ops("GET", "/metrics")).line.servingNumber;
    await sleep(3_000);
    expect((await ops("GET", "/metrics")).line.servingNumber).toBe(serving);
    await page.click("#resume");
    await page.locator("#paused").waitFor({ state: "hidden" });
    await eventually(async () => (await ops("GET", "/metrics")).line.servingNumber > serving, "calls again", 20_000, 250);
  }, 60_000);

  it("closes the intake only after the event id is typed", async () => {
    await page.click("#close");
    await page.locator("#confirm-close").waitFor({ state: "visible" });
    expect(await page.isDisabled("#close-confirm")).toBe(true);
    await page.fill("#confirm-close input[name=confirm]", "csq-2016");
    expect(await page.isDisabled("#close-confirm")).toBe(true);
    await page.fill("#confirm-close input[name=confirm]", EVENT);
    await page.click("#close-confirm");
    await page.locator("#phase.badge-closed").waitFor({ timeout: 10_000 });
    expect(spaces(await page.locator("#phase").textContent())).toBe("Fermé");
    expect((await new NodeCandidate(gw.url).enter()).status).toBe(410);
    await eventually(async () => spaces(await page.locator("#audit").textContent()).includes("fermeture"), "the close in the audit log", 15_000, 250);
  }, 60_000);

  it("on another event, from a browser in English and in Paris: Montreal time with its zone, French numbers, the warning above maxActive, a closing quota confirmed by the event's id, and the Excel export", async () => {
    const SECOND = "e2e-second";
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${gw.url}${path}${path.includes("?") ? "&" : "?"}event=${SECOND}`, {
        method,
        headers: { authorization: `Bearer ${gw.opsToken}`, "content-type": "application/json", "user-agent": DESKTOP_UA, accept: "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await api("PUT", "/guichet/ops/api/event", { opensAt: new Date(Date.now() - 1000).toISOString(), quota: 50, maxActive: 3, noShowGraceSeconds: 900 })).status).toBe(201);
    // Three candidates are called and hold their places; one claims and the origin submits for them.
    const tickets: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${gw.url}/guichet/api/enter?event=${SECOND}`, { method: "POST", headers: { accept: "application/json" } });
      expect(res.status).toBe(201);
      tickets.push(res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; "));
    }
    const statusOf = async (cookie: string) => ((await (await fetch(`${gw.url}/guichet/api/status?event=${SECOND}`, { headers: { cookie } })).json()) as any).state;
    await eventually(async () => (await statusOf(tickets[0]!)) === "your_turn", "the first one called", 20_000, 250);
    const claim = await fetch(`${gw.url}/guichet/api/claim?event=${SECOND}`, { method: "POST", headers: { cookie: tickets[0]!, "user-agent": DESKTOP_UA, accept: "application/json" } });
    const token = ((await claim.json()) as any).admission.token;
    const submitted = await fetch(`${gw.url}/guichet/api/submissions?event=${SECOND}`, {
      method: "POST",
      headers: { authorization: `Bearer ${gw.originApiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        admissionToken: token,
        accountId: "mpq-e2e-second",
        applicationId: "app-e2e-second",
        applicant: { familyName: "Deuxième", givenNames: "Test", birthDate: "1990-01-01", countryOfBirth: "FR", passportNumber: "E2E2000001" },
        signedByRepresentative: false,
        representativeId: null,
        device: { userAgent: DESKTOP_UA, mobileHint: "?0" },
      }),
    });
    expect(submitted.status).toBe(201);
    await eventually(async () => ((await (await api("GET", "/guichet/ops/api/metrics")).json()) as any).line.active === 2, "two called, holding their places", 20_000, 250);

    const abroad = await localContext(browser, { locale: "en-US", timezoneId: "Europe/Paris", viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    try {
      const second = await abroad.newPage();
      await second.goto(`${dashboardUrl}?event=${SECOND}&lang=fr`);
      await second.locator("#login").waitFor({ state: "visible" });
      await second.fill("#login input[name=token]", gw.opsToken);
      await second.press("#login input[name=token]", "Enter");
      await second.locator("#conn.conn-live").waitFor();

      // Montreal time, labelled with Montreal's zone in the page's language, whatever the browser's zone.
      const zoneNow = new Intl.DateTimeFormat("fr-CA", { timeZone: "America/Montreal", timeZoneName: "short" }).formatToParts(new Date()).find((p) => p.type === "timeZoneName")!.value;
      expect(zoneNow).toMatch(/^(HNE|HAE)$/);
      await eventually(async () => spaces(await second.locator("#updated").textContent()).endsWith(zoneNow), "the update time with its zone");
      const montrealHour = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Montreal", hour: "2-digit", hourCycle: "h23" }).format(new Date());
      expect(spaces(await second.locator("#updated").textContent())).toMatch(new RegExp(`^Mis à jour à ${montrealHour}\\b`));
      expect(spaces(await second.locator("#chart-rates .u-series .u-label").first().textContent())).toBe(`Heure (${zoneNow})`);
      // The charts' numbers in French (a decimal comma), although the browser is set to English.
      const ticks = (await second.evaluate(`document.getElementById("chart-wait").uplot.axes[1]._values`)) as string[];
      expect(ticks.some((t) => /^\d+,\d+$/.test(t)), ticks.join(" | ")).toBe(true);
      expect(ticks.some((t) => t.includes(".")), ticks.join(" | ")).toBe(false);

      // maxActive lowered below the admissions in flight: the dashboard says so.
      expect(await second.isVisible("#active-warning")).toBe(false);
      expect((await api("PUT", "/guichet/ops/api/event", { maxActive: 1 })).status).toBe(200);
      await second.locator("#active-warning").waitFor({ state: "visible" });
      expect(spaces(await second.locator("#active-warning").textContent())).toBe(
        "Admissions actives au-dessus du maximum : 2 / 1. Personne n'est appelé tant qu'elles ne redescendent pas sous le maximum.",
      );
      expect(await second.getAttribute("#card-active", "class")).toContain("card-warn");
      await eventually(async () => (await second.inputValue("input[name=maxActive]")) === "1", "the form following the change");

      // A quota at the accepted count: the server asks for the confirmation, and the form offers it.
      await second.fill("input[name=quota]", "1");
      await second.click("#settings button[type=submit]");
      await second.locator("#confirm-change").waitFor({ state: "visible" });
      expect(spaces(await second.locator("#confirm-change-reason").textContent())).toMatch(/^Un quota de 1 égale les 1 demandes déjà acceptées : la réception des demandes fermerait aussitôt/);
      await second.click("#change-cancel");
      await second.locator("#settings-result.error").waitFor();
      expect(((await (await api("GET", "/guichet/ops/api/event")).json()) as any).settings.quota).toBe(50);
      expect(((await (await api("GET", "/guichet/ops/api/metrics")).json()) as any).phase).toBe("open");

      await second.click("#settings button[type=submit]");
      await second.locator("#confirm-change").waitFor({ state: "visible" });
      await second.fill("#confirm-change input[name=confirm]", "e2e");
      expect(await second.isDisabled("#change-confirm")).toBe(true);
      await second.fill("#confirm-change input[name=confirm]", SECOND);
      await second.click("#change-confirm");
      await second.locator("#settings-result.ok").waitFor();
      expect(spaces(await second.locator("#settings-result").textContent())).toBe("Changements appliqués : la réception est fermée.");
      await second.locator("#phase.badge-closed").waitFor({ timeout: 10_000 });
      let audit = "";
      await eventually(async () => {
        audit = spaces(await second.locator("#audit").textContent());
        return audit.includes("fermeture") && audit.includes("refusé : would_close") && audit.includes("via: — → \"event.update\"");
      }, "the refusal, the change and the close in the audit", 15_000, 250).catch((e) => {
        throw new Error(`${e.message}: ${audit}`);
      });
      // Each row's time says its zone.
      for (const when of await second.locator("#audit tr td:first-child").allTextContents()) expect(spaces(when)).toMatch(new RegExp(`^\\d{4}-\\d{2}-\\d{2} .+ ${zoneNow}$`));
      // Nobody waits any more once closed.
      expect(await second.locator('[data-metric="waiting"]').textContent()).toBe("0");

      // The Excel export: the BOM, then semicolons.
      const [download] = await Promise.all([second.waitForEvent("download"), second.click("#csv")]);
      const bytes = readFileSync((await download.path())!);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = bytes.subarray(3).toString("utf8").split("\r\n");
      expect(lines[0]).toMatch(/^id;rank;kind;account_id;/);
      expect(lines[1]).toMatch(/;1;quota;mpq-e2e-second;app-e2e-second;/);
    } finally {
      await abroad.close();
    }
  }, 120_000);

  it("speaks English with ?lang=en", async () => {
    const en = await context.newPage();
    await en.goto(`${dashboardUrl}?lang=en`);
    // Another tab: sessionStorage is per tab, so the token is asked again.
    await en.locator("#login").waitFor({ state: "visible" });
    expect(spaces(await en.locator("#login h2").textContent())).toBe("Operators' access");
    await en.fill("#login input[name=token]", gw.opsToken);
    await en.press("#login input[name=token]", "Enter");
    await en.locator("#conn.conn-live").waitFor();
    expect(await en.locator("html").getAttribute("lang")).toBe("en");
    expect(spaces(await en.locator("#h-headline").textContent())).toBe("Right now");
    expect(spaces(await en.locator("#phase").textContent())).toBe("Closed");
    expect(spaces(await en.locator("#conn").textContent())).toBe("Live");
    // Times in Montreal with the zone as English writes it; the charts' numbers in English (a decimal point), in a French browser.
    const zoneEn = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Montreal", timeZoneName: "short" }).formatToParts(new Date()).find((p) => p.type === "timeZoneName")!.value;
    expect(zoneEn).toMatch(/^(EST|EDT)$/);
    await eventually(async () => spaces(await en.locator("#updated").textContent()).endsWith(zoneEn), "the English zone");
    expect(spaces(await en.locator("#chart-rates .u-series .u-label").first().textContent())).toBe(`Time (${zoneEn})`);
    const ticks = (await en.evaluate(`document.getElementById("chart-wait").uplot.axes[1]._values`)) as string[];
    expect(ticks.some((t) => /^\d+\.\d+$/.test(t)), ticks.join(" | ")).toBe(true);
    expect(ticks.some((t) => t.includes(",")), ticks.join(" | ")).toBe(false);
    await en.close();
  });
});
