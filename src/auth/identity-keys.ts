// The applicant-identity duplicate keys (invariant 9): HMAC-SHA256 under
// IDENTITY_PEPPER of the material src/domain/identity.ts builds, in hex, so
// that no plain identity is ever stored or logged. Rows accepted before keep
// matching only while these values stay bit for bit the same
// (test/identity.test.ts pins one).
import { identityMaterial, personMaterial, type Applicant } from "../domain/identity";
import { hmacSha256 } from "./hmac";

export interface IdentityKeys {
  /** HMAC-SHA256(IDENTITY_PEPPER, identityMaterial), hex. */
  identityKey: string;
  /** HMAC-SHA256(IDENTITY_PEPPER, personMaterial), hex. */
  personKey: string;
}

export function identityKeys(pepper: string, a: Applicant): IdentityKeys {
  if (!pepper) throw new Error("IDENTITY_PEPPER is not set");
  return { identityKey: hmacSha256(pepper, identityMaterial(a)).toHex(), personKey: hmacSha256(pepper, personMaterial(a)).toHex() };
}
