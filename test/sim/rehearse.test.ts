// The rehearsal tool (scripts/rehearse.mjs) against a gateway started as
// `npm run dev` starts it (wrangler dev with the demo origin behind it, on
// 127.0.0.1): a few dozen synthetic candidates go through, and every check of
// its report holds. Then, told to treat the same gateway as remote, it
// refuses the event (open, with people in it) before entering anyone.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { chartHtml, isLocal, isPublic, rehearse } from "../../scripts/rehearse.mjs";
import { opsCall, startGatewayWithDemo, type GatewayWithDemo } from "../e2e/gateway";

describe("which gateways the rehearsal refuses", () => {
  const status = (state: string, opensAt: string | null) => ({ state, opensAt });
  const metrics = (entered: number, accepted = 0) => ({ line: { entered }, submissions: { accepted } });
  const now = Date.parse("2026-06-13T12:30:00Z");
  it("never refuses this machine", () => {
    for (const url of ["http://localhost:8787", "http://127.0.0.1:9000", "http://[::1]:8787", "http://guichet.localhost"]) expect(isLocal(url)).toBe(true);
    expect(isLocal("https://staging.example.org")).toBe(false);
  });
  it("calls an event public when it takes arrivals within the rehearsal and may hold others", () => {
    expect(isPublic({ status: status("waiting", "2026-06-13T12:29:00Z"), fairness: null, metrics: null }, now, 60_000).public).toBe(true);
    expect(isPublic({ status: status("waiting", "2026-06-13T12:29:00Z"), fairness: null, metrics: metrics(3) }, now, 60_000).public).toBe(true);
    expect(isPublic({ status: status("waiting", "2026-06-13T12:29:00Z"), fairness: null, metrics: metrics(0) }, now, 60_000).public).toBe(false);
    // Opens during the rehearsal: the same rule.
    expect(isPublic({ status: status("before_open", "2026-06-13T12:30:30Z"), fairness: null, metrics: null }, now, 60_000).public).toBe(true);
    // A pre-queue open with people in it, before the opening.
    expect(isPublic({ status: status("before_open", "2026-06-13T14:00:00Z"), fairness: { prequeueOpensAt: "2026-06-13T12:00:00Z", count: 4, seed: null }, metrics: metrics(0) }, now, 60_000).public).toBe(true);
    // Opens after the rehearsal ends, or closed: nothing public can happen.
    expect(isPublic({ status: status("before_open", "2026-06-14T12:30:00Z"), fairness: null, metrics: null }, now, 60_000).public).toBe(false);
    expect(isPublic({ status: status("closed", "2026-06-13T12:00:00Z"), fairness: null, metrics: metrics(9) }, now, 60_000).public).toBe(false);
  });
});

describe("a small rehearsal against a local gateway", () => {
  let stack: GatewayWithDemo;
  const dir = mkdtempSync(join(tmpdir(), "guichet-rehearse-"));
  beforeAll(async () => {
    // The default event opens a few seconds after the gateway answers, as `npm run dev` opens it a minute after.
    stack = await startGatewayWithDemo({ vars: { EVENT_OPENS_AT: new Date(Date.now() + 40_000).toISOString() } });
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes 30 candidates through enter, poll, claim, the redirect and the origin's submission; every check holds", async () => {
    const gw = stack.gateway;
    const report = await rehearse({ url: gw.url, arrivals: 30, durationSeconds: 55, originKey: gw.originApiKey, opsToken: gw.opsToken });
    for (const i of report.invariants) expect({ name: i.name, ok: i.ok, detail: i.detail }).toMatchObject({ name: i.name, ok: true });
    expect(report.invariants.length).toBeGreaterThanOrEqual(9);
    expect(report.candidates).toMatchObject({ arrivals: 30, numbered: 30, claimed: 30, submitted: 30 });
    // 30 candidates, one person with two accounts: 29 accepted.
    expect(report.candidates.accepted).toBe(29);
    expect(report.after.entered).toBe(30);
    expect(report.timeline.length).toBeGreaterThan(0);
    const html = join(dir, "rehearsal.html");
    writeFileSync(html, chartHtml(report));
    const page = readFileSync(html, "utf8");
    expect(page).toContain("uPlot");
    expect(page).not.toMatch(/<script[^>]+src=/);
  }, 120_000);

  it("refuses the same gateway, treated as remote, now that its event is open with people in it; nothing is entered", async () => {
    const gw = stack.gateway;
    const before = await opsCall(gw, "GET", "/metrics");
    const report = await rehearse({ url: gw.url, arrivals: 5, durationSeconds: 30, opsToken: gw.opsToken, localHosts: new Set() });
    expect(report.refused).toBe(true);
    expect(report.target.why).toMatch(/already holds others: 30 numbered/);
    expect((await opsCall(gw, "GET", "/metrics")).line.entered).toBe(before.line.entered);
    expect(existsSync(join(dir, "none"))).toBe(false);
  }, 60_000);
});
