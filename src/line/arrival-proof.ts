// What a new arrival must show before it gets a place, when the event asks
// for it: a solved entry puzzle (proof of work) and, where configured, a
// Cloudflare Turnstile token. A ticket already in the line shows nothing.
import { checkSolution } from "../auth/pow";
import type { RoomSnapshot } from "../durable/queue-room/queue-room";
import { ApiError } from "../http/errors";
import type { AppContext } from "../http/context";

export interface ArrivalProof {
  pow?: { challenge: string; nonce: string };
  turnstile?: string;
}

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

/** Whether a new arrival must show a proof (a puzzle, a Turnstile token) for this event. */
export function proofRequired(c: AppContext, s: RoomSnapshot): boolean {
  return Boolean(c.env.TURNSTILE_SECRET) || s.powDifficulty > 0;
}

/** Checks the arrival's proofs; returns the puzzle's id (single use, the room records it) or throws 403. */
export async function proveArrival(c: AppContext, s: RoomSnapshot, proof: ArrivalProof, now: number): Promise<string | undefined> {
  if (c.env.TURNSTILE_SECRET && !(await turnstilePasses(c.env.TURNSTILE_SECRET, proof.turnstile, c.req.header("cf-connecting-ip")))) {
    throw new ApiError(403, "turnstile_failed");
  }
  if (s.powDifficulty === 0) return undefined;
  const check = checkSolution(c.env.TICKET_HMAC_KEY, s.event, proof.pow, s.powDifficulty, now);
  if (!check.ok) throw new ApiError(403, check.reason, { difficulty: s.powDifficulty, challengeUrl: `/guichet/api/challenge?event=${s.event}` });
  return check.id;
}
