// Batches concurrent calls of one kind from one isolate into one room call:
// enters into one `QueueRoom.enter([...])` per event (the room numbers a batch
// in its order, so arrivals keep the order in which they reached this
// isolate), claims into one `QueueRoom.claimMany([...])`. One batch per line
// (kind and event) is in flight at a time; items meanwhile wait and go
// together in the next one.
//
// Who makes the calls: the first item that finds the line idle becomes its
// sender and sends batch after batch until nothing is pending (at most
// SENDER_MS), all inside `waitUntil`, so its I/O survives its own client
// going away. Waiters never await the sender's I/O itself, only a plain
// promise the sender settles; each also holds a timer of its own, so workerd
// never sees it as hung, and if no answer comes (a sender cancelled after
// all) it takes over from its own context: it becomes the sender, or after
// a longer wait sends its own item alone. Both calls are idempotent per
// ticket (an arrival sent twice keeps one number, a claim sent twice returns
// the same admission), so an item sent twice does no harm.

/** Sends one batch to the room (bound to the calling request's env); one result per item, in order. */
export type SendBatch<I, R> = (items: I[]) => Promise<R[]>;
/** Keeps the calling request alive until the promise settles (`ctx.waitUntil`). */
export type KeepAlive = (p: Promise<unknown>) => void;

interface Waiting<I, R> {
  item: I;
  settle: (r: R | Error) => void;
}

interface Line<I, R> {
  pending: Waiting<I, R>[];
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
/** A waiter whose item got no answer for this long sends it alone. */
const ALONE_MS = 6_000;

const lines = new Map<string, Line<any, any>>();

function lineOf<I, R>(key: string): Line<I, R> {
  let line = lines.get(key);
  if (!line) {
    line = { pending: [], busy: false, progressAt: 0 };
    lines.set(key, line);
  }
  return line;
}

/** Sends whatever is pending, batch after batch, until the line is empty or SENDER_MS is up. */
async function drain<I, R>(line: Line<I, R>, send: SendBatch<I, R>): Promise<void> {
  const started = Date.now();
  line.busy = true;
  try {
    while (line.pending.length > 0 && Date.now() - started < SENDER_MS) {
      // One turn of the event loop first: requests the runtime has already read
      // join this batch. Under load that makes batches of about as many
      // requests as are in flight (50 rather than 10 at 50 connections), and
      // the call and the commit are paid once for them all.
      await new Promise((r) => setTimeout(r, 0));
      const batch = line.pending.splice(0);
      line.progressAt = Date.now();
      try {
        const results = await send(batch.map((w) => w.item));
        batch.forEach((a, i) => a.settle(results[i] ?? new Error("the room returned too few results")));
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
 * Sends one item, batched with the isolate's concurrent items on the same
 * line (`key`: kind and event). Resolves with this item's result; rejects if
 * the room call failed.
 */
export async function batched<I, R>(key: string, item: I, send: SendBatch<I, R>, keepAlive: KeepAlive): Promise<R> {
  const line = lineOf<I, R>(key);
  let settle!: (r: R | Error) => void;
  const settled = new Promise<R | Error>((r) => (settle = r));
  line.pending.push({ item, settle });
  const becomeSender = () => keepAlive(drain(line, send));
  if (!line.busy) becomeSender();

  const waitedFrom = Date.now();
  for (;;) {
    // The timer is never cleared: the answer usually arrives in the sender's
    // context, where touching this request's timer is refused; it just lapses.
    const check = new Promise<"check">((r) => setTimeout(() => r("check"), CHECK_MS));
    // Through Promise.race, which resumes this function in this request's context: a promise the sender
    // resolves, awaited directly, would resume it in the sender's, where this request's answer cannot be
    // written ("Cannot perform I/O on behalf of a different request"; test/sim/batching.test.ts).
    const next = await Promise.race([settled, check]);
    if (next instanceof Error) throw next;
    if (next !== "check") return next;
    // Woken by this request's own timer: any I/O from here is this request's.
    if (!line.busy || Date.now() - line.progressAt > STALL_MS) becomeSender();
    else if (Date.now() - waitedFrom > ALONE_MS) {
      const [result] = await send([item]);
      if (result === undefined) throw new Error("the room returned no result");
      return result;
    }
  }
}
