// What a new arrival must show before it gets a place: a solved entry puzzle
// (proof of work) when the event or its address asks for one and, where
// configured, a Cloudflare Turnstile token. A ticket already in the line
// shows nothing. The puzzle asked is the event's difficulty, or the
// address's own when that address is busy (src/http/rate-limit.ts): a busy
// address pays more work, and is refused only past the abuse ceiling.
import { checkSolution, issueChallenge, type Challenge } from "../auth/pow";
import { arrivalDifficulty } from "../domain/fairness";
import type { Arrival, RoomSnapshot } from "../durable/queue-room/queue-room";
import { ApiError } from "../http/errors";
import type { AppContext } from "../http/context";
import { addressTag, clientKey, countArrival, enterCeiling } from "../http/rate-limit";

export interface ArrivalProof {
  pow?: { challenge: string; nonce: string };
  turnstile?: string;
}

/** What the room records of a new arrival besides its ticket: the puzzle spent, and the busy address it came from. */
export type ArrivalExtras = Pick<Arrival, "powId" | "address" | "difficulty">;

/**
 * Cloudflare's documented test secrets always give the same answer; they are
 * decided here without the network, which is how tests and local development
 * use Turnstile offline.
 */
const TEST_SECRETS: Record<string, boolean> = {
  "1x0000000000000000000000000000000AA": true,
  "2x0000000000000000000000000000000AA": false,
  "3x0000000000000000000000000000000AA": false,
};

async function turnstilePasses(secret: string, token: string | undefined, ip: string | undefined): Promise<boolean> {
  if (!token) return false;
  if (secret in TEST_SECRETS) return TEST_SECRETS[secret]!;
  const form = new FormData();
  form.set("secret", secret);
  form.set("response", token);
  if (ip) form.set("remoteip", ip);
  try {
    const res = await fetch("https://challenges.cloudflare.com/turnstile/v0/siteverify", { method: "POST", body: form, signal: AbortSignal.timeout(5000) });
    const outcome = (await res.json()) as { success?: boolean };
    return outcome.success === true;
  } catch {
    return false;
  }
}

/** Nothing, or 403 turnstile_failed, where Turnstile is configured; not async where it is not. */
function checkTurnstile(c: AppContext, proof: ArrivalProof): void | Promise<void> {
  const secret = c.env.TURNSTILE_SECRET;
  if (!secret) return;
  return turnstilePasses(secret, proof.turnstile, c.req.header("cf-connecting-ip")).then((passes) => {
    if (!passes) throw new ApiError(403, "turnstile_failed");
  });
}

/** `value` through `then`, without a microtask when it is not a promise. */
function andThen<T, R>(value: T | Promise<T>, then: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(then) : then(value);
}

/**
 * Admits a new arrival, or throws. A solved puzzle whose challenge asked at
 * least the event's difficulty is not counted again: its challenge was
 * counted against the address that fetched it, and the difficulty it names
 * is what was asked of that address then (signed). Anything else counts one
 * arrival for the address (429 past the ceiling); where a puzzle is asked,
 * the 403 carries a fresh challenge at the difficulty asked, so that the
 * page solves it without another round trip. Turnstile is checked only once
 * the puzzle is done, so that its single-use token is not spent on a 403.
 * Not async where nothing is to be awaited (no binding, no Turnstile).
 */
export function proveArrival(c: AppContext, s: RoomSnapshot, proof: ArrivalProof, now: number): ArrivalExtras | Promise<ArrivalExtras> {
  const secret = c.env.TICKET_HMAC_KEY;
  let refused: "pow_required" | "pow_invalid" | "pow_expired" | "pow_too_easy" = "pow_required";
  if (proof.pow) {
    const check = checkSolution(secret, s.event, proof.pow, s.powDifficulty, now);
    if (check.ok) {
      // Only an address that paid more than the event asks is shown to the operators.
      const extras: ArrivalExtras =
        check.difficulty > s.powDifficulty && enterCeiling(c.env) > 0
          ? { powId: check.id, address: addressTag(c.env, clientKey(c.req.header("cf-connecting-ip"))), difficulty: check.difficulty }
          : { powId: check.id };
      return andThen(checkTurnstile(c, proof), () => extras);
    }
    refused = check.reason;
  }
  return andThen(countArrival(c, now), (counted) => {
    const difficulty = arrivalDifficulty(s.powDifficulty, counted?.level ?? 0);
    if (difficulty === 0) return andThen(checkTurnstile(c, proof), () => ({}));
    throw new ApiError(403, refused, { difficulty, challengeUrl: `/guichet/api/challenge?event=${s.event}`, challenge: issueChallenge(secret, s.event, difficulty, now) });
  });
}

/**
 * A fresh entry puzzle for a new arrival (GET /guichet/api/challenge), at the
 * difficulty asked of its address now; counted as an arrival. Null when no
 * puzzle is asked.
 */
export async function challengeFor(c: AppContext, s: RoomSnapshot, now: number): Promise<Challenge | null> {
  const counted = await countArrival(c, now);
  const difficulty = arrivalDifficulty(s.powDifficulty, counted?.level ?? 0);
  return difficulty === 0 ? null : issueChallenge(c.env.TICKET_HMAC_KEY, s.event, difficulty, now);
}
