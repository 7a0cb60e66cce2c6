// Times in JSON are ISO-8601 UTC text (the contract); they are kept as epoch milliseconds.

/** The instant `ms` (epoch ms) as ISO-8601 UTC text; null stays null. */
export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
