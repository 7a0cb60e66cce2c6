// Receipt tokens: `r2.<kid>.<event>.<submissionId>.<exp>.<mac>`, where `exp`
// is in epoch seconds and `mac` is HMAC-SHA256 (base64url) of
// `r2|<kid>|<event>|<submissionId>|<exp>` under the key `kid` names. They are
// deterministic (exp comes from the stored payment deadline), so a retried
// submission returns exactly the original receipt.
//
// Keys come from RECEIPT_HMAC_KEYS, `{"current":"kid","keys":{"kid":"secret",…}}`:
// new tokens use `current`, and any kid still in `keys` verifies, so keys
// rotate by adding one, making it current, and removing the old one once its
// tokens no longer matter. Without RECEIPT_HMAC_KEYS (unset, empty or
// `none`: wrangler.toml requires it so that `wrangler dev` loads it) the one key is `t0`,
// HMAC-SHA256(TICKET_HMAC_KEY, RECEIPT_KEY_LABEL) in base64url: its own key,
// not the tickets'.
import * as z from "zod";
import { ConfigError } from "../domain/event";
import { rotationSettingOf } from "./admission";
import { hmac, hmacMatches } from "./ticket";

/** A receipt stays valid this long after the payment deadline (acceptedAt + 30 days), for the candidate to see it paid or expired. */
export const RECEIPT_MARGIN_DAYS = 30;
const DAY_S = 24 * 3600;

export const DERIVED_KID = "t0";
export const RECEIPT_KEY_LABEL = "guichet|receipt-key|t0";

const KID = /^[A-Za-z0-9_-]{1,32}$/;
const KeyRingSchema = z
  .object({
    current: z.string().regex(KID),
    keys: z.record(z.string().regex(KID), z.string().min(32).max(1024)),
  })
  .refine((ring) => Object.hasOwn(ring.keys, ring.current), { message: "current must name a key" });

export interface ReceiptKeys {
  current: string;
  keys: ReadonlyMap<string, string>;
}

type KeyEnv = Pick<Env, "TICKET_HMAC_KEY" | "RECEIPT_HMAC_KEYS">;

let cached: { ring: string | undefined; ticketKey: string; keys: ReceiptKeys } | null = null;

/** The key ring of RECEIPT_HMAC_KEYS, or the key derived from TICKET_HMAC_KEY when it is unset. */
export function receiptKeys(env: KeyEnv): ReceiptKeys {
  const ring = rotationSettingOf(env.RECEIPT_HMAC_KEYS) ?? undefined;
  if (cached && cached.ring === ring && cached.ticketKey === env.TICKET_HMAC_KEY) return cached.keys;
  let keys: ReceiptKeys;
  if (ring === undefined) {
    keys = { current: DERIVED_KID, keys: new Map([[DERIVED_KID, hmac(env.TICKET_HMAC_KEY, RECEIPT_KEY_LABEL)]]) };
  } else {
    let parsed: z.infer<typeof KeyRingSchema>;
    try {
      parsed = KeyRingSchema.parse(JSON.parse(ring));
    } catch {
      // Never the value itself: it is a secret.
      throw new ConfigError("RECEIPT_HMAC_KEYS is not valid");
    }
    keys = { current: parsed.current, keys: new Map(Object.entries(parsed.keys)) };
  }
  cached = { ring, ticketKey: env.TICKET_HMAC_KEY, keys };
  return keys;
}

/** When a receipt token expires (epoch s): the payment deadline plus RECEIPT_MARGIN_DAYS. */
export function receiptExpiry(paymentDueAt: number): number {
  return Math.floor(paymentDueAt / 1000) + RECEIPT_MARGIN_DAYS * DAY_S;
}

const payload = (kid: string, eventId: string, id: string, exp: number) => `r2|${kid}|${eventId}|${id}|${exp}`;

/** A receipt token for submission `id`, signed with the current key, valid until `exp` (epoch s). */
export function receiptToken(keys: ReceiptKeys, eventId: string, id: string, exp: number): string {
  const kid = keys.current;
  return `r2.${kid}.${eventId}.${id}.${exp}.${hmac(keys.keys.get(kid)!, payload(kid, eventId, id, exp))}`;
}

const TOKEN = /^r2\.([A-Za-z0-9_-]{1,32})\.([a-z0-9][a-z0-9-]{0,62})\.([0-9a-f-]{36})\.([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/;

/** The submission a receipt token names, if its key is in the ring, its MAC right and it has not expired at `now` (epoch ms); else null. */
export function verifyReceiptToken(keys: ReceiptKeys, token: string, now: number): { eventId: string; id: string; exp: number } | null {
  const m = TOKEN.exec(token);
  if (!m) return null;
  const [, kid, eventId, id, expText, mac] = m as unknown as [string, string, string, string, string, string];
  const key = keys.keys.get(kid);
  if (key === undefined) return null;
  const exp = Number(expText);
  if (!hmacMatches(key, payload(kid, eventId, id, exp), mac)) return null;
  return exp * 1000 > now ? { eventId, id, exp } : null;
}
