// The applicant-identity duplicate key: "les doublons seront repérés et
// supprimés". Names are folded so that case, accents, spacing, hyphens and
// apostrophes do not hide a duplicate; the key is an HMAC with
// IDENTITY_PEPPER so no plain identity is ever stored or logged.

export interface Applicant {
  familyName: string;
  givenNames: string;
  /** YYYY-MM-DD */
  birthDate: string;
  /** ISO 3166-1 alpha-2 or alpha-3 */
  countryOfBirth: string;
  passportNumber: string;
}

const LIGATURES: Record<string, string> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ð: "d", ł: "l", þ: "th", ı: "i" };

/**
 * A name reduced to its letters and digits: Unicode NFKD, combining marks
 * (accents) removed, lower case, ligatures spelled out, and every space,
 * hyphen, apostrophe, dot or other separator removed.
 * "  Jean-Pierre  D'Amour " and "jean pierre damour" fold to "jeanpierredamour".
 */
export function foldName(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[ßæœøđðłþı]/g, (ch) => LIGATURES[ch] ?? ch)
    .replace(/[^\p{L}\p{N}]/gu, "");
}

/** Passport numbers: upper case, without spaces, hyphens or dots. */
export function foldDocument(value: string): string {
  return value.normalize("NFKC").toUpperCase().replace(/[^\p{L}\p{N}]/gu, "");
}

export function identityMaterial(a: Applicant): string {
  return ["v1", foldName(a.familyName), foldName(a.givenNames), a.birthDate.trim(), a.countryOfBirth.trim().toUpperCase(), foldDocument(a.passportNumber)].join("|");
}

const encoder = new TextEncoder();
let cached: { pepper: string; key: Promise<CryptoKey> } | null = null;

/** HMAC-SHA256(IDENTITY_PEPPER, folded identity), hex. */
export async function identityKey(pepper: string, a: Applicant): Promise<string> {
  if (!pepper) throw new Error("IDENTITY_PEPPER is not set");
  if (cached?.pepper !== pepper) {
    cached = { pepper, key: crypto.subtle.importKey("raw", encoder.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]) };
  }
  const mac = await crypto.subtle.sign("HMAC", await cached.key, encoder.encode(identityMaterial(a)));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
