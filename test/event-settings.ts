// What an event does with every setting that a Worker var can set: run on the
// default event seeded from vars (test/vars/) and on an event created through
// `PUT /guichet/ops/api/event` (test/event-settings.test.ts), with the same
// values, so both ways are held to one list of observations.
import { expect } from "vitest";
import { leadingZeroBits } from "../src/auth/pow";
import { gateway, OPS_AUTH, snapshotOf } from "./helpers";

/** Every setting a var sets, at a value other than its default, as the ops API writes it. */
export interface VarSettings {
  opensAt: string;
  quota: number;
  admissionSeconds: number;
  maxActive: number;
  admitPerMinute: number;
  overbook: number;
  noShowGraceSeconds: number;
  prequeueOpensAt: string;
  powDifficulty: number;
}

/** The values both ways use: the pre-queue open since ten minutes, the opening two hours away. */
export function varSettings(now: number): VarSettings {
  return {
    opensAt: new Date(now + 2 * 3600_000).toISOString(),
    quota: 4321,
    admissionSeconds: 450,
    maxActive: 77,
    admitPerMinute: 333,
    overbook: 1.25,
    noShowGraceSeconds: 95,
    prequeueOpensAt: new Date(now - 10 * 60_000).toISOString(),
    powDifficulty: 3,
  };
}

/** The settings without a var: their defaults, whichever way the event was made. */
export const NO_VAR_DEFAULTS = { banner: null, unpaidFreesPlace: false, powAutoRaise: true };

async function json(res: Response): Promise<any> {
  return res.json();
}

async function solve(challenge: string, difficulty: number): Promise<string> {
  for (let n = 0; ; n++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${challenge}:${n}`)));
    if (leadingZeroBits(digest) >= difficulty) return String(n);
  }
}

/**
 * Checks what event `id` shows and does with `expected`: the ops API's
 * settings, the room's snapshot, the fairness record (a commitment published),
 * the puzzle asked at entry, and an arrival during the pre-queue's window
 * (201 with a public id, not 409 not_open). Returns the settings read.
 */
export async function checkEventSettings(id: string, expected: VarSettings): Promise<Record<string, unknown>> {
  const read = await gateway(`/guichet/ops/api/event?event=${id}`, { headers: OPS_AUTH });
  expect(read.status).toBe(200);
  const { settings } = await json(read);
  expect(settings).toMatchObject({ id, ...expected, ...NO_VAR_DEFAULTS });

  const s = await snapshotOf(id);
  expect(s).toMatchObject({
    phase: "before_open",
    opensAt: Date.parse(expected.opensAt),
    quota: { total: expected.quota, accepted: 0, closed: false },
    admissionSeconds: expected.admissionSeconds,
    maxActive: expected.maxActive,
    admitPerMinute: expected.admitPerMinute,
    overbook: expected.overbook,
    noShowGraceSeconds: expected.noShowGraceSeconds,
    powDifficulty: expected.powDifficulty,
  });

  const fairness = await json(await gateway(`/guichet/api/fairness?event=${id}`));
  expect(fairness).toMatchObject({ mode: "prequeue", prequeueOpensAt: expected.prequeueOpensAt, opensAt: expected.opensAt, seed: null, count: 0 });
  expect(fairness.commitment).toMatch(/^[0-9a-f]{64}$/);
  expect(s.prequeue).toMatchObject({ opensAt: Date.parse(expected.prequeueOpensAt), count: 0, commitment: fairness.commitment, shuffled: false });

  const challenge = await json(await gateway(`/guichet/api/challenge?event=${id}`));
  expect(challenge.difficulty).toBe(expected.powDifficulty);
  const nonce = await solve(challenge.challenge, challenge.difficulty);
  const entered = await gateway(`/guichet/api/enter?event=${id}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ pow: { challenge: challenge.challenge, nonce } }),
  });
  const body = await json(entered);
  expect({ status: entered.status, state: body.state, number: body.number }).toEqual({ status: 201, state: "before_open", number: null });
  expect(body.prequeue).toMatchObject({ commitment: fairness.commitment });
  expect(body.prequeue.publicId).toMatch(/^[0-9a-f]{32}$/);
  expect((await json(await gateway(`/guichet/api/fairness?event=${id}`))).count).toBe(1);
  return settings;
}
