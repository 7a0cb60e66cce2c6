// src/http/isolate-cache.ts, behind the room snapshot's and the metrics'
// per-isolate caches: one fetch for concurrent callers, at most one per
// `freshMs`, stale only while a refresh is under way where asked, and a fetch
// that never settles abandoned after PENDING_GIVE_UP_MS instead of holding
// every caller (or, stale-while-refreshing, every poll's snapshot) forever.
import { describe, expect, it } from "vitest";
import { IsolateCache, PENDING_GIVE_UP_MS } from "../src/http/isolate-cache";

const FRESH = 1_000;
const never = <T>() => new Promise<T>(() => {});

/** A fetch whose calls are counted and settled by hand. */
function fetcher<T>() {
  const calls: ((v: T) => void)[] = [];
  const fetch = () => new Promise<T>((resolve) => calls.push(resolve));
  return { fetch, calls };
}

describe("IsolateCache", () => {
  it("shares one fetch among concurrent callers, then serves it fresh, then fetches again", async () => {
    const cache = new IsolateCache<string>(FRESH, { staleWhileRefreshing: false });
    const f = fetcher<string>();
    const t = Date.now();
    const waiting = Array.from({ length: 50 }, () => cache.get("ev", f.fetch, t));
    expect(f.calls).toHaveLength(1);
    f.calls[0]!("one");
    expect(await Promise.all(waiting)).toEqual(Array(50).fill("one"));
    expect(await cache.get("ev", f.fetch, Date.now())).toBe("one");
    expect(cache.peek("ev", Date.now())).toBe("one");
    expect(f.calls).toHaveLength(1);
    const later = cache.get("ev", f.fetch, Date.now() + FRESH);
    expect(f.calls).toHaveLength(2);
    f.calls[1]!("two");
    expect(await later).toBe("two");
    expect(cache.fetches).toBe(2);
  });

  it("serves the last value during a refresh only when stale-while-refreshing", async () => {
    for (const staleWhileRefreshing of [true, false]) {
      const cache = new IsolateCache<string>(FRESH, { staleWhileRefreshing });
      const f = fetcher<string>();
      const first = cache.get("ev", f.fetch);
      f.calls[0]!("old");
      await first;
      const stale = Date.now() + FRESH;
      const refresh = cache.get("ev", f.fetch, stale);
      expect(f.calls).toHaveLength(2);
      expect(cache.peek("ev", stale)).toBe(staleWhileRefreshing ? "old" : null);
      const during = cache.get("ev", f.fetch, stale);
      expect(f.calls).toHaveLength(2);
      f.calls[1]!("new");
      expect(await refresh).toBe("new");
      expect(await during).toBe(staleWhileRefreshing ? "old" : "new");
    }
  });

  it("abandons a fetch that never settles after PENDING_GIVE_UP_MS: the next caller fetches again", async () => {
    for (const staleWhileRefreshing of [true, false]) {
      const cache = new IsolateCache<string>(FRESH, { staleWhileRefreshing });
      const f = fetcher<string>();
      const first = cache.get("ev", f.fetch);
      f.calls[0]!("old");
      await first;
      // A refresh whose request went away: it never settles.
      const refreshAt = Date.now() + FRESH;
      void cache.get("ev", never, refreshAt);
      expect(cache.fetches).toBe(2);
      const stillWaiting = refreshAt + PENDING_GIVE_UP_MS - 1;
      expect(cache.peek("ev", stillWaiting)).toBe(staleWhileRefreshing ? "old" : null);
      void cache.get("ev", f.fetch, stillWaiting);
      expect(cache.fetches).toBe(2);
      const givenUp = refreshAt + PENDING_GIVE_UP_MS;
      expect(cache.peek("ev", givenUp)).toBeNull();
      const fresh = cache.get("ev", f.fetch, givenUp);
      expect(cache.fetches).toBe(3);
      f.calls[1]!("new");
      expect(await fresh).toBe("new");
      expect(cache.peek("ev", Date.now())).toBe("new");
    }
  });

  it("never serves a null value from the cache, and forgets a key on request", async () => {
    const cache = new IsolateCache<string | null>(FRESH, { staleWhileRefreshing: false });
    const f = fetcher<string | null>();
    const missing = cache.get("ev", f.fetch);
    f.calls[0]!(null);
    expect(await missing).toBeNull();
    const again = cache.get("ev", f.fetch);
    expect(f.calls).toHaveLength(2);
    f.calls[1]!("created");
    expect(await again).toBe("created");
    cache.forget("ev");
    expect(cache.peek("ev")).toBeNull();
    void cache.get("ev", f.fetch);
    expect(f.calls).toHaveLength(3);
  });

  it("hands the fetch to keepAlive, and a failed fetch to the callers, not to the cache", async () => {
    const cache = new IsolateCache<string>(FRESH, { staleWhileRefreshing: false });
    const kept: Promise<unknown>[] = [];
    const failing = cache.get("ev", () => Promise.reject(new Error("room unavailable")), Date.now(), (p) => kept.push(p));
    await expect(failing).rejects.toThrow("room unavailable");
    expect(kept).toHaveLength(1);
    await expect(kept[0]).resolves.toBeUndefined();
    expect(cache.peek("ev")).toBeNull();
    expect(await cache.get("ev", async () => "back")).toBe("back");
    expect(cache.fetches).toBe(2);
  });
});
