// Bearer secrets (OPS_TOKEN, ORIGIN_API_KEY), compared in constant time: both
// sides are hashed first so the comparison never depends on where they differ
// nor on their lengths.
const encoder = new TextEncoder();

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(text));
}

export async function sameSecret(given: string, expected: string): Promise<boolean> {
  if (!expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerOf(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S{1,4096})\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}
