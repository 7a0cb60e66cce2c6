// Which request paths are ambiguous: spellings that the origin (Tomcat, Jetty,
// Spring, IIS/ASP.NET, PHP, WSGI) may resolve to another path than the one
// the route policy classified, or that a URL parser reads as another host.
// The proxy refuses them (400 ambiguous_path) before any classification.
// Pure: no I/O, imports nothing.

export type PathAmbiguity =
  /** Not starting with a single `/` (`//host`, `/\host`, or no leading slash). */
  | "not_absolute"
  /** An empty segment: `//` anywhere. */
  | "empty_segment"
  /** A segment made only of dots (`.`, `..`, `...`). */
  | "dot_segment"
  /** `;`: Java containers read `..;` as `..` and drop `;jsessionid=…`. */
  | "path_parameter"
  | "backslash"
  /** A raw byte a serialised URL never holds: control, space, non-ASCII. */
  | "raw_character"
  /** `%` not followed by two hex digits. */
  | "malformed_escape"
  /** An encoded `/`, `\`, `.` or `;`: one decoding away from a separator or a dot segment. */
  | "encoded_delimiter"
  /** `%25`: a second decoding gives another path. */
  | "double_encoding"
  /** An encoded NUL or other control byte: origins truncate or reject there. */
  | "encoded_control"
  /** Percent-encoded bytes that are not UTF-8 (overlong forms included). */
  | "invalid_utf8"
  /** A non-ASCII character whose compatibility form holds ASCII (fullwidth `／`, `．`, letters): "best fit" decoders map it. */
  | "lookalike";

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Why `pathname` (a URL's path as serialised, percent-escapes kept) is
 * ambiguous, or null when it means one thing to every origin. The query is
 * not examined: origins do not route on it.
 */
export function pathAmbiguity(pathname: string): PathAmbiguity | null {
  if (pathname.charCodeAt(0) !== 47 /* / */) return "not_absolute";
  const second = pathname.charCodeAt(1);
  if (second === 47 || second === 92 /* \ */) return "not_absolute";
  let encodedNonAscii = false;
  for (let i = 0; i < pathname.length; i++) {
    const ch = pathname.charCodeAt(i);
    if (ch === 59 /* ; */) return "path_parameter";
    if (ch === 92) return "backslash";
    if (ch <= 32 || ch >= 127) return "raw_character";
    if (ch !== 37 /* % */) continue;
    const hex = pathname.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return "malformed_escape";
    const byte = parseInt(hex, 16);
    if (byte === 0x25) return "double_encoding";
    if (byte === 0x2f || byte === 0x5c || byte === 0x2e) return "encoded_delimiter";
    if (byte === 0x3b) return "path_parameter";
    if (byte < 0x20 || byte === 0x7f) return "encoded_control";
    if (byte >= 0x80) encodedNonAscii = true;
    i += 2;
  }
  if (pathname.includes("//")) return "empty_segment";
  for (const segment of pathname.split("/")) {
    if (segment !== "" && /^\.+$/.test(segment)) return "dot_segment";
  }
  return encodedNonAscii ? nonAsciiAmbiguity(pathname) : null;
}

/** The escapes of a path whose other characters are all plain: valid UTF-8, and no character that folds to ASCII. */
function nonAsciiAmbiguity(pathname: string): PathAmbiguity | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return "invalid_utf8";
  }
  for (const ch of decoded) {
    if (ch.charCodeAt(0) < 128) continue;
    if (/[\x00-\x7f]/.test(ch.normalize("NFKC"))) return "lookalike";
  }
  return null;
}
