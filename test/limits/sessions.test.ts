// Sessions before opening day cost an ES256 signature each: a client that
// keeps no cookie gets at most ENTER_LIMIT_PER_MINUTE of them a minute from
// one address (120 here, wrangler.toml's default), then 429 with Retry-After
// and nothing signed nor sent to the origin.
import { beforeAll, describe, expect, it } from "vitest";
import { forgetSnapshot } from "../../src/line/snapshot-cache";
import { gateway, room, setCookieLine } from "../helpers";
import { echoReceived, newProbe } from "../origins";

const EVENT = "csq-2016-06";
const page = { accept: "text/html,application/xhtml+xml" };

function visit(ip: string, probe: string, headers: Record<string, string> = page, cookie?: string) {
  return gateway(`/connexion?${probe}`, { headers: { ...headers, "cf-connecting-ip": ip }, cookie });
}

describe("sessions before opening day", () => {
  beforeAll(async () => {
    const r = await room(EVENT).configure({ opensAt: new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString() }, { source: "test" });
    if (!r.ok) throw new Error(JSON.stringify(r));
    forgetSnapshot(EVENT);
  });

  it("are issued at most 120 a minute to one address that keeps no cookie, one per request, then 429", async () => {
    const ip = "203.0.113.77";
    const probe = newProbe();
    const first = await Promise.all(Array.from({ length: 120 }, () => visit(ip, probe)));
    expect(first.map((r) => r.status)).toEqual(Array(120).fill(200));
    // One session per request: exactly one Set-Cookie of ours in each answer.
    for (const res of first) expect(res.headers.getSetCookie().filter((l) => l.includes("guichet_session=")).length).toBe(1);
    expect(await echoReceived(probe)).toHaveLength(120);

    const over = newProbe();
    const asPage = await visit(ip, over);
    expect(asPage.status).toBe(429);
    const wait = Number(asPage.headers.get("retry-after"));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(setCookieLine(asPage, "guichet_session")).toBeNull();
    expect(asPage.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await asPage.text()).toContain("Trop de demandes");
    const asApi = await visit(ip, over, { accept: "application/json", "accept-language": "en" });
    expect(asApi.status).toBe(429);
    expect(asApi.headers.get("retry-after")).toBeTruthy();
    expect(((await asApi.json()) as any).error).toMatchObject({ code: "rate_limited", message: expect.stringMatching(/Too many/) });
    expect(setCookieLine(asApi, "guichet_session")).toBeNull();
    // Nothing refused reached the origin.
    expect(await echoReceived(over)).toEqual([]);

    // A client that kept its session passes (nothing to sign); another address has its own budget.
    const kept = setCookieLine(first[0]!, "guichet_session")!.split(";")[0]!;
    const again = newProbe();
    expect((await visit(ip, again, page, kept)).status).toBe(200);
    expect((await visit("198.51.100.99", again)).status).toBe(200);
    expect(await echoReceived(again)).toHaveLength(2);
  });
});
