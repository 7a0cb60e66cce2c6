// A per-isolate cache of one value per key (an event's room snapshot, its
// operators' metrics): however many requests ask, an isolate fetches each key
// at most once every `freshMs`, and concurrent callers share that one fetch.

/** A fetch still pending after this long is abandoned (its request may have gone away, leaving it unsettled); the next caller starts another. */
export const PENDING_GIVE_UP_MS = 5_000;

interface Entry<T> {
  value: T | null;
  fetchedAt: number;
  pending: Promise<T> | null;
  pendingSince: number;
}

export class IsolateCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  /** Fetches this isolate started since it started (tests and benchmarks read it). */
  fetches = 0;

  /**
   * `staleWhileRefreshing`: while a refresh is under way, callers that find a
   * value get it at once rather than wait for the refresh. A null value is
   * never served from the cache (an event that does not exist yet).
   */
  constructor(
    private readonly freshMs: number,
    private readonly options: { staleWhileRefreshing: boolean },
  ) {}

  /** The value `get` would return without waiting, or null: lets a hot path answer without an await. */
  peek(key: string, now = Date.now()): T | null {
    const e = this.entries.get(key);
    if (!e || e.value === null) return null;
    if (now - e.fetchedAt < this.freshMs) return e.value;
    return this.options.staleWhileRefreshing && this.refreshing(e, now) ? e.value : null;
  }

  /**
   * The value, at most `freshMs` old, fetched by `fetch` when it is not.
   * `keepAlive` (the request's waitUntil) keeps the fetch going if its request ends first.
   */
  get(key: string, fetch: () => Promise<T>, now = Date.now(), keepAlive?: (p: Promise<unknown>) => void): Promise<T> {
    let e = this.entries.get(key);
    if (!e) {
      e = { value: null, fetchedAt: 0, pending: null, pendingSince: 0 };
      this.entries.set(key, e);
    }
    const known = this.peek(key, now);
    if (known !== null) return Promise.resolve(known);
    if (this.refreshing(e, now)) return e.pending!;
    const entry = e;
    this.fetches += 1;
    const pending: Promise<T> = fetch()
      .then((value) => {
        entry.value = value;
        entry.fetchedAt = Date.now();
        return value;
      })
      .finally(() => {
        if (entry.pending === pending) entry.pending = null;
      });
    entry.pending = pending;
    entry.pendingSince = now;
    keepAlive?.(pending.catch(() => undefined));
    return pending;
  }

  /** Drops this isolate's copy after a change it made itself, so the next read fetches it. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  private refreshing(e: Entry<T>, now: number): boolean {
    return e.pending !== null && now - e.pendingSince < PENDING_GIVE_UP_MS;
  }
}
