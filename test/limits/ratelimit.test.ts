// The per-address limit on enters and claims, at its default (120 a minute):
// enough for a law office bringing dozens of candidates from one address, not
// for a script asking for thousands of numbers.
import { describe, expect, it } from "vitest";
import { clientKey } from "../../src/ratelimit";
import { createEvent, gateway, snapshotOf, uniqueEvent } from "../helpers";

function enterFrom(eventId: string, ip: string) {
  return gateway(`/guichet/api/enter?event=${eventId}`, { method: "POST", headers: { "cf-connecting-ip": ip } });
}

describe("ENTER_LIMIT_PER_MINUTE", () => {
  it("lets one address bring 100 cookie-less candidates, then answers 429 with Retry-After", async () => {
    const id = uniqueEvent("limit");
    await createEvent(id);
    const office = "203.0.113.10";
    const first = await Promise.all(Array.from({ length: 100 }, () => enterFrom(id, office)));
    expect(first.every((r) => r.status === 201)).toBe(true);
    const more = await Promise.all(Array.from({ length: 40 }, () => enterFrom(id, office)));
    const refused = more.filter((r) => r.status === 429);
    expect(more.filter((r) => r.status === 201).length).toBe(20);
    expect(refused.length).toBe(20);
    const body = (await refused[0]!.json()) as any;
    expect(body.error.code).toBe("rate_limited");
    expect(Number(refused[0]!.headers.get("retry-after"))).toBeGreaterThan(0);
    // Refused requests took no number.
    expect((await snapshotOf(id)).nextNumber).toBe(121);
    // Another address is not affected.
    expect((await enterFrom(id, "198.51.100.7")).status).toBe(201);
  });

  it("counts an IPv6 /64 as one client", () => {
    expect(clientKey("2001:db8:1:2:aaaa::1")).toBe(clientKey("2001:db8:1:2:bbbb::9"));
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
    expect(clientKey(undefined)).toBe("local");
  });
});
