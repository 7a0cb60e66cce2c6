// Batches concurrent enters from one isolate into one `QueueRoom.enter([...])`
// call per event. The room numbers a batch in its order, so arrivals keep the
// order in which they reached this isolate. One batch per event is in flight
// at a time; arrivals meanwhile wait and go together in the next one.
//
// Who makes the call: always a request whose own arrival is in the batch. When
// a batch ends, its sender hands the next batch to the first waiting request
// (that request's own code then makes the call), so no request's I/O is
// awaited as the sole owner by a request that may finish before it. The
// sender also keeps its call alive with `waitUntil`, so a client that
// disconnects does not cancel the others' numbers. If a handed-over request
// never takes its turn (cancelled), or a batch never answers, waiters take
// over after STALL_MS; `enter` is idempotent per ticket, so sending an
// arrival twice cannot give it two numbers.
import type { EnterResult } from "./durable/QueueRoom";

/** Sends one batch to the room (bound to the calling request's env). */
export type SendBatch = (arrivals: { ticketId: string }[]) => Promise<EnterResult[]>;
/** Keeps the calling request alive until the promise settles (`ctx.waitUntil`). */
export type KeepAlive = (p: Promise<unknown>) => void;

interface Arrival {
  ticketId: string;
  settle: (r: EnterResult | Error) => void;
  /** Asks this arrival's request to send the next batch. */
  turn: () => void;
  sent: boolean;
}

interface Line {
  pending: Arrival[];
  /** A batch is in flight, or a waiting request was asked to send the next one. */
  busy: boolean;
  busySince: number;
}

export const STALL_MS = 2_000;
const lines = new Map<string, Line>();
let batches = 0;

function lineOf(eventId: string): Line {
  let line = lines.get(eventId);
  if (!line) {
    line = { pending: [], busy: false, busySince: 0 };
    lines.set(eventId, line);
  }
  return line;
}

function stalled(line: Line): boolean {
  return line.busy && Date.now() - line.busySince > STALL_MS;
}

/** Gives the next batch to the first waiting request, or frees the line. */
function handOff(line: Line): void {
  const next = line.pending[0];
  if (next) {
    line.busy = true;
    line.busySince = Date.now();
    next.turn();
  } else {
    line.busy = false;
  }
}

/** Sends everything pending in one call and settles each arrival with its result. */
async function sendPending(line: Line, send: SendBatch): Promise<void> {
  const batch = line.pending.splice(0);
  if (batch.length === 0) return handOff(line);
  line.busy = true;
  line.busySince = Date.now();
  batches += 1;
  for (const a of batch) a.sent = true;
  try {
    const results = await send(batch.map((a) => ({ ticketId: a.ticketId })));
    batch.forEach((a, i) => a.settle(results[i] ?? new Error("enter returned too few results")));
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    for (const a of batch) a.settle(error);
  } finally {
    handOff(line);
  }
}

/**
 * Numbers one arrival, batched with the isolate's concurrent arrivals for the
 * same event. Resolves with this arrival's result; rejects if the room call failed.
 */
export async function enterBatched(eventId: string, ticketId: string, send: SendBatch, keepAlive: KeepAlive): Promise<EnterResult> {
  const line = lineOf(eventId);
  let settle!: (r: EnterResult | Error) => void;
  const settled = new Promise<EnterResult | Error>((r) => (settle = r));
  let turn!: () => void;
  let turned: Promise<"turn"> = new Promise<"turn">((r) => (turn = () => r("turn")));
  const me: Arrival = { ticketId, settle, turn, sent: false };
  line.pending.push(me);

  const lead = () => {
    const p = sendPending(line, send);
    keepAlive(p);
    return p;
  };
  if (!line.busy || stalled(line)) void lead();

  let timer = 0;
  try {
    for (let waited = 0; ; ) {
      const stall = new Promise<"stall">((r) => (timer = setTimeout(() => r("stall"), STALL_MS)));
      const next = await Promise.race([settled, turned, stall]);
      clearTimeout(timer);
      if (next === "turn") {
        turned = new Promise<"turn">(() => {}); // a turn is given once
        // Already sent by a takeover: pass the turn on rather than send others' arrivals.
        if (me.sent) handOff(line);
        else void lead();
        continue;
      }
      if (next === "stall") {
        waited += STALL_MS;
        // Still waiting for a turn that never came, or for a batch that never answered.
        if (!me.sent && stalled(line)) void lead();
        else if (me.sent && waited >= 3 * STALL_MS) {
          const [result] = await send([{ ticketId }]);
          if (!result) throw new Error("enter returned no result");
          return result;
        }
        continue;
      }
      if (next instanceof Error) throw next;
      return next;
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Batches this isolate sent since it started (tests read it). */
export function enterBatches(): number {
  return batches;
}
