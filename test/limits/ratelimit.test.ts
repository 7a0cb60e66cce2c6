// How an address is counted: the key it is counted under (an IPv6 address
// as its /64), and the per-isolate windows, which stay bounded. What the
// counts do to an enter (a harder puzzle, then the ceiling): addresses.test.ts.
import { describe, expect, it } from "vitest";
import { clientKey, countLocally, MAX_COUNTED_ADDRESSES } from "../../src/http/rate-limit";

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
