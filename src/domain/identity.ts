// The applicant-identity duplicate keys: "les doublons seront repérés et
// supprimés". Names are folded so that case, accents, spacing, hyphens and
// apostrophes do not hide a duplicate. This is the keys' material; the keys
// are its HMACs with IDENTITY_PEPPER (src/auth/identity-keys.ts), so no plain
// identity is ever stored or logged.
//
// Two keys, each with its own prefix in the material so they never collide:
// - the passport key (`v1|`): names, birth date, country of birth, passport;
// - the person key (`v2p|`): the same without the passport, so a person with
//   two passports is one person. Two people can share it (a common name born
//   the same day in the same country): the origin may let such a namesake
//   through after a review, for this key only.

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

/** The passport key's material, as in version 1 (rows accepted since then must keep matching). */
export function identityMaterial(a: Applicant): string {
  return ["v1", foldName(a.familyName), foldName(a.givenNames), a.birthDate.trim(), a.countryOfBirth.trim().toUpperCase(), foldDocument(a.passportNumber)].join("|");
}

/** The person key's material: the passport key's without the passport. */
export function personMaterial(a: Omit<Applicant, "passportNumber">): string {
  return ["v2p", foldName(a.familyName), foldName(a.givenNames), a.birthDate.trim(), a.countryOfBirth.trim().toUpperCase()].join("|");
}
