// The per-address limit on enters and claims, at its default (120 a minute):
// enough for a law office bringing dozens of candidates from one address, not
// for a script asking for thousands of numbers.
import { describe, expect, it } from "vitest";
import { clientKey, countLocally, MAX_COUNTED_ADDRESSES } from "../../src/http/rate-limit";
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

  it("shares one budget among every address of an IPv6 /64, however each is written", async () => {
    const id = uniqueEvent("limit6");
    await createEvent(id);
    // 12 spellings of addresses in 2001:db8:0:42::/64, each bringing 10 candidates: 120 in all, the whole budget.
    const spellings = [
      "2001:db8:0:42::1",
      "2001:0db8:0000:0042:0000:0000:0000:0002",
      "2001:DB8:0:42::3",
      "2001:db8::42:0:0:0:4",
      "2001:db8:0:42:ffff:ffff:ffff:ffff",
      "2001:db8:0:42:1:2:3:4",
      "2001:db8:0:42::5%eth0",
      "2001:db8:0:42::1.2.3.4",
      "2001:0db8:0:0042::6",
      "2001:db8:0:42:0:0:0:7",
      "2001:Db8:0:42::8",
      "2001:db8:0:42:a:b:c:d",
    ];
    const first = await Promise.all(spellings.flatMap((ip) => Array.from({ length: 10 }, () => enterFrom(id, ip))));
    expect(first.filter((r) => r.status === 201).length).toBe(120);
    // Every further address of the /64 is refused, whichever spelling it uses.
    const more = await Promise.all(spellings.map((ip) => enterFrom(id, ip.replace(/[0-9a-f]$/i, "9"))));
    expect(more.map((r) => r.status)).toEqual(spellings.map(() => 429));
    expect((await snapshotOf(id)).nextNumber).toBe(121);
    // The next /64 has its own budget.
    expect((await enterFrom(id, "2001:db8:0:43::1")).status).toBe(201);
  });

  it("counts an IPv4-mapped IPv6 address as its IPv4 address", async () => {
    const id = uniqueEvent("limitmapped");
    await createEvent(id);
    const both = await Promise.all(Array.from({ length: 120 }, (_, i) => enterFrom(id, i % 2 ? "192.0.2.77" : "::ffff:192.0.2.77")));
    expect(both.every((r) => r.status === 201)).toBe(true);
    expect((await enterFrom(id, "::FFFF:c000:24d")).status).toBe(429);
    expect((await enterFrom(id, "192.0.2.77")).status).toBe(429);
  });
});

describe("clientKey", () => {
  const SAME_64 = "2001:0db8:0000:0000::/64";
  it.each([
    ["2001:db8::1", SAME_64],
    ["2001:0db8:0000:0000:0000:0000:0000:0002", SAME_64],
    ["2001:DB8::3", SAME_64],
    ["2001:db8:0:0:ffff::", SAME_64],
    ["2001:db8::1%eth0", SAME_64],
    ["2001:db8::1%25en0", SAME_64],
    ["2001:db8::192.0.2.1", SAME_64],
    ["2001:db8:0:0:1:2:3:4", SAME_64],
    ["2001:db8:1:2:aaaa::1", "2001:0db8:0001:0002::/64"],
    ["2001:db8:1:2:bbbb::9", "2001:0db8:0001:0002::/64"],
    ["2001:db8:1:3::1", "2001:0db8:0001:0003::/64"],
    ["1:2:3:4:5:6:7:8", "0001:0002:0003:0004::/64"],
    ["::", "0000:0000:0000:0000::/64"],
    ["::1", "0000:0000:0000:0000::/64"],
    ["fe80::1%eth0", "fe80:0000:0000:0000::/64"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:102:304", "1.2.3.4"],
    ["0:0:0:0:0:ffff:c000:0280", "192.0.2.128"],
    ["203.0.113.10", "203.0.113.10"],
    ["0.0.0.0", "0.0.0.0"],
    [undefined, "local"],
    ["", "local"],
    ["not-an-address", "unknown"],
    ["2001:db8::1::2", "unknown"],
    ["1:2:3:4:5:6:7:8:9", "unknown"],
    ["2001:db8::g", "unknown"],
    ["2001:db8::1]/x@[::2", "unknown"],
    ["999.1.1.1", "unknown"],
  ] as [string | undefined, string][])("%s → %s", (ip, key) => {
    expect(clientKey(ip)).toBe(key);
  });
});

describe("the per-isolate windows when full", () => {
  it("drop the oldest windows first; a busy recent address keeps its count", () => {
    const limit = 3;
    const t = Date.now();
    const tag = Math.random().toString(36).slice(2);
    const old = `evict-old-${tag}`;
    const busy = `evict-busy-${tag}`;
    for (let i = 0; i < limit; i++) expect(countLocally(old, limit, t)).toBe(0);
    for (let i = 0; i < limit; i++) expect(countLocally(busy, limit, t + 1)).toBe(0);
    // As many newer addresses as the map holds, less one: `busy` and they are the newest windows.
    for (let i = 0; i < MAX_COUNTED_ADDRESSES - 1; i++) expect(countLocally(`evict-${tag}-${i}`, 1, t + 2)).toBe(0);
    // `busy` is still at its limit; the first newer address still has its count.
    expect(countLocally(busy, limit, t + 3)).toBeGreaterThan(0);
    expect(countLocally(`evict-${tag}-0`, 1, t + 3)).toBeGreaterThan(0);
    // `old`, the oldest window, was dropped: it starts afresh.
    expect(countLocally(old, limit, t + 3)).toBe(0);
  });

  it("move a renewed window behind the others", () => {
    const t = Date.now();
    const tag = Math.random().toString(36).slice(2);
    const renewed = `renew-${tag}`;
    const filler = (i: number) => `renew-${tag}-${i}`;
    expect(countLocally(renewed, 1, t - 61_000)).toBe(0);
    // The map full of windows started after it and still running.
    for (let i = 0; i < MAX_COUNTED_ADDRESSES - 1; i++) countLocally(filler(i), 1, t - 59_000);
    // Its window renews: it is now the newest, and the next address to arrive pushes out the oldest filler instead.
    expect(countLocally(renewed, 1, t)).toBe(0);
    expect(countLocally(`renew-${tag}-next`, 1, t + 1)).toBe(0);
    expect(countLocally(renewed, 1, t + 2)).toBeGreaterThan(0);
    expect(countLocally(filler(1), 1, t + 2)).toBeGreaterThan(0);
    expect(countLocally(filler(0), 1, t + 2)).toBe(0);
  });
});
