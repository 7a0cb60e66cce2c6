// The RPC calls an object serves, for its metrics and the benchmarks: counted
// in memory on every call, and kept per minute in the object's storage with
// one write a minute (when the minute turns, or when the count is read), not
// one a call.

/** Where an object keeps its calls per minute. */
export interface RpcCallStore {
  /** Adds `calls` (maybe 0) to `minute`'s count; false while the object has nowhere to keep them (they stay pending). */
  addRpcCalls(minute: number, calls: number): boolean;
  /** `minute` is over: its count is final. */
  closeRpcMinute?(minute: number): void;
}

export class RpcCalls {
  /** Calls served since this instance started, by method. */
  readonly byMethod = new Map<string, number>();
  /** The minute whose calls are pending, and how many are. */
  private minute = 0;
  private pending = 0;

  constructor(private readonly store: RpcCallStore) {}

  /** Counts one call of `method` at `now` (epoch ms, on the object's clock). */
  count(method: string, now: number): void {
    this.byMethod.set(method, (this.byMethod.get(method) ?? 0) + 1);
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      if (this.store.addRpcCalls(this.minute, this.pending)) {
        this.pending = 0;
        this.store.closeRpcMinute?.(this.minute);
      }
      this.minute = minute;
    }
    this.pending += 1;
  }

  /** Writes the pending calls to their minute (before the counts are read or copied). */
  flush(): void {
    if (this.pending > 0 && this.store.addRpcCalls(this.minute, this.pending)) this.pending = 0;
  }
}

/** Calls in the last 60 s, estimated: this minute's so far, and the part of the last minute still inside the window. */
export function callsPerMinute(now: number, thisMinute: number, lastMinute: number): number {
  const elapsed = (now % 60_000) / 60_000;
  return Math.round(thisMinute + lastMinute * (1 - elapsed));
}
