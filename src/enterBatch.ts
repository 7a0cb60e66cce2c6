// Batches concurrent enters from one isolate into one `QueueRoom.enter([...])`
// call per event. The room numbers a batch in its order, so arrivals keep the
// order in which they reached this isolate. One batch per event is in flight
// at a time; arrivals meanwhile wait and go together in the next one.
//
// Who makes the calls: the first arrival that finds the line idle becomes its
// sender and sends batch after batch until nothing is pending (at most
// SENDER_MS), all inside `waitUntil`, so its I/O survives its own client
// going away. Waiters never await the sender's I/O itself, only a plain
// promise the sender settles; each also holds a timer of its own, so workerd
// never sees it as hung, and if no answer comes (a sender cancelled after
// all) it takes over from its own context: it becomes the sender, or after
// a longer wait sends its own arrival alone. `enter` is idempotent per
// ticket, so an arrival sent twice keeps one number.
import type { EnterResult } from "./durable/QueueRoom";

/** Sends one batch to the room (bound to the calling request's env). */
export type SendBatch = (arrivals: Arrival[]) => Promise<EnterResult[]>;
/** One arrival as the room takes it (`fresh`: an id just drawn, not yet in the line). */
export interface Arrival {
  ticketId: string;
  fresh?: boolean;
}
/** Keeps the calling request alive until the promise settles (`ctx.waitUntil`). */
export type KeepAlive = (p: Promise<unknown>) => void;

interface Waiting {
  arrival: Arrival;
  settle: (r: EnterResult | Error) => void;
}

interface Line {
  pending: Waiting[];
  /** A sender is working this line. */
  busy: boolean;
  /** When the sender last made progress (a batch sent or answered). */
  progressAt: number;
}

/** How long one request goes on sending others' batches before it lets go. */
const SENDER_MS = 1_000;
/** A waiter checks on the line this often; a line with no progress for STALL_MS is taken over. */
const CHECK_MS = 250;
export const STALL_MS = 2_000;
/** A waiter whose arrival got no answer for this long sends it alone. */
const ALONE_MS = 6_000;

const lines = new Map<string, Line>();
let batches = 0;

function lineOf(eventId: string): Line {
  let line = lines.get(eventId);
  if (!line) {
    line = { pending: [], busy: false, progressAt: 0 };
    lines.set(eventId, line);
  }
  return line;
}

/** Sends whatever is pending, batch after batch, until the line is empty or SENDER_MS is up. */
async function drain(line: Line, send: SendBatch): Promise<void> {
  const started = Date.now();
  line.busy = true;
  try {
    while (line.pending.length > 0 && Date.now() - started < SENDER_MS) {
      const batch = line.pending.splice(0);
      batches += 1;
      line.progressAt = Date.now();
      try {
        const results = await send(batch.map((w) => w.arrival));
        batch.forEach((a, i) => a.settle(results[i] ?? new Error("enter returned too few results")));
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        for (const a of batch) a.settle(error);
      }
      line.progressAt = Date.now();
    }
  } finally {
    line.busy = false;
  }
}

/**
 * Numbers one arrival, batched with the isolate's concurrent arrivals for the
 * same event. Resolves with this arrival's result; rejects if the room call failed.
 */
export async function enterBatched(eventId: string, arrival: Arrival, send: SendBatch, keepAlive: KeepAlive): Promise<EnterResult> {
  const line = lineOf(eventId);
  let settle!: (r: EnterResult | Error) => void;
  const settled = new Promise<EnterResult | Error>((r) => (settle = r));
  line.pending.push({ arrival, settle });
  const becomeSender = () => keepAlive(drain(line, send));
  if (!line.busy) becomeSender();

  const waitedFrom = Date.now();
  for (;;) {
    // The timer is never cleared: the answer usually arrives in the sender's
    // context, where touching this request's timer is refused; it just lapses.
    const check = new Promise<"check">((r) => setTimeout(() => r("check"), CHECK_MS));
    const next = await Promise.race([settled, check]);
    if (next instanceof Error) throw next;
    if (next !== "check") return next;
    // Woken by this request's own timer: any I/O from here is this request's.
    if (!line.busy || Date.now() - line.progressAt > STALL_MS) becomeSender();
    else if (Date.now() - waitedFrom > ALONE_MS) {
      const [result] = await send([arrival]);
      if (!result) throw new Error("enter returned no result");
      return result;
    }
  }
}

/** Batches this isolate sent since it started (tests read it). */
export function enterBatches(): number {
  return batches;
}
