// Proof of work at entry: the page asks for a fresh challenge, finds a nonce
// such that SHA-256(challenge + ":" + nonce) starts with `difficulty` zero
// bits, and sends both with its enter. Checking costs one hash and one HMAC;
// a challenge is signed (so it cannot be invented), bound to the event, good
// for two minutes, and usable once (the QueueRoom records its id).
import { iso } from "../domain/time";
import { sha256 } from "./hmac";
import { base64url, hmac, hmacMatches } from "./ticket";

export const CHALLENGE_SECONDS = 120;

export interface Challenge {
  challenge: string;
  difficulty: number;
  expiresAt: string;
}

export function issueChallenge(secret: string, eventId: string, difficulty: number, now: number): Challenge {
  const id = base64url(crypto.getRandomValues(new Uint8Array(12)));
  const expires = now + CHALLENGE_SECONDS * 1000;
  const body = `p1.${eventId}.${id}.${expires}.${difficulty}`;
  return { challenge: `${body}.${hmac(secret, body)}`, difficulty, expiresAt: iso(expires) };
}

/** How many zero bits `bytes` begins with. */
export function leadingZeroBits(bytes: Uint8Array): number {
  const first = bytes.findIndex((b) => b !== 0);
  return first === -1 ? bytes.length * 8 : first * 8 + Math.clz32(bytes[first]!) - 24;
}

export type PowCheck = { ok: true; id: string; difficulty: number } | { ok: false; reason: "pow_required" | "pow_invalid" | "pow_expired" | "pow_too_easy" };

/** Checks a solution for `eventId` needing at least `minDifficulty` bits. Reuse is the QueueRoom's to refuse. */
export function checkSolution(
  secret: string,
  eventId: string,
  solution: { challenge: string; nonce: string } | undefined,
  minDifficulty: number,
  now: number,
): PowCheck {
  if (!solution) return { ok: false, reason: "pow_required" };
  const parts = solution.challenge.split(".");
  if (parts.length !== 6 || parts[0] !== "p1" || !/^\d{1,20}$/.test(solution.nonce)) return { ok: false, reason: "pow_invalid" };
  const [, ev, id, expires, difficultyText, mac] = parts as [string, string, string, string, string, string];
  const body = parts.slice(0, 5).join(".");
  if (ev !== eventId || !hmacMatches(secret, body, mac)) return { ok: false, reason: "pow_invalid" };
  if (Number(expires) <= now) return { ok: false, reason: "pow_expired" };
  const difficulty = Number(difficultyText);
  if (!(difficulty >= minDifficulty)) return { ok: false, reason: "pow_too_easy" };
  const digest = sha256(`${solution.challenge}:${solution.nonce}`);
  if (leadingZeroBits(digest) < difficulty) return { ok: false, reason: "pow_invalid" };
  return { ok: true, id, difficulty };
}
