// An event's two objects, addressed by the event's id. Whichever call first
// reaches an object decides, for good, the data centre it lives in: every
// call passes the same location hint, so that place is near the origin and
// not wherever the first candidate happened to be.

/** Cloudflare's location hints for Durable Objects (regions). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "apac-ne", "apac-se", "oc", "afr", "me"] as const;
export type LocationHint = (typeof LOCATION_HINTS)[number];

/** OBJECTS_LOCATION_HINT, or eastern North America (MPQ's origin is in Quebec). */
export function locationHintOf(env: { OBJECTS_LOCATION_HINT?: string }): LocationHint {
  const hint = env.OBJECTS_LOCATION_HINT || "enam";
  return (LOCATION_HINTS as readonly string[]).includes(hint) ? (hint as LocationHint) : "enam";
}

export function queueRoom(env: Env, eventId: string) {
  return env.QUEUE_ROOM.getByName(eventId, { locationHint: locationHintOf(env) });
}

export function quotaCounter(env: Env, eventId: string) {
  return env.QUOTA_COUNTER.getByName(eventId, { locationHint: locationHintOf(env) });
}
