// The busiest addresses, for the operators: the numbers each address took in
// its last minute while paying more than the event's puzzle, and the bits its
// last one paid. The Worker sends an address's HMAC tag, never the address.
// The room keeps this because it sees every arrival from every isolate and
// location, which no Worker isolate does; only in memory, as a display
// figure and not an invariant (an eviction forgets at most a minute of it).
import type { Arrival, BusyAddress, EnterResult } from "./types";

const WINDOW_MS = 60_000;
/** Addresses followed at once; past it the oldest windows are dropped first. Busy ones are few: only those past the free allowance are sent. */
const MAX_FOLLOWED = 1_000;
/** How many the metrics list, busiest first. */
const BUSIEST_SHOWN = 10;

interface Window {
  startedAt: number;
  arrivals: number;
  difficulty: number;
}

export class BusyAddresses {
  // Insertion order is window start (a renewed window is inserted again): the first entries are the oldest.
  private readonly windows = new Map<string, Window>();

  /** Counts the new arrivals of a batch that came from a busy address. */
  note(arrivals: readonly Arrival[], results: readonly EnterResult[], now: number): void {
    for (let i = 0; i < arrivals.length; i++) {
      const { address, difficulty } = arrivals[i]!;
      const result = results[i];
      if (address === undefined || !result?.ok || !result.created) continue;
      let w = this.windows.get(address);
      if (!w || now - w.startedAt >= WINDOW_MS) {
        this.windows.delete(address);
        if (this.windows.size >= MAX_FOLLOWED) this.windows.delete(this.windows.keys().next().value!);
        w = { startedAt: now, arrivals: 0, difficulty: 0 };
        this.windows.set(address, w);
      }
      w.arrivals += 1;
      w.difficulty = difficulty ?? 0;
    }
  }

  /** The busiest addresses whose minute is not over, most numbers first. */
  busiest(now: number): BusyAddress[] {
    const live: BusyAddress[] = [];
    for (const [address, w] of this.windows) {
      if (now - w.startedAt < WINDOW_MS) live.push({ address, arrivals: w.arrivals, difficulty: w.difficulty });
    }
    return live.sort((a, b) => b.arrivals - a.arrivals || b.difficulty - a.difficulty).slice(0, BUSIEST_SHOWN);
  }
}
