// The table of path spellings shared by the pure tests of pathAmbiguity
// (test/paths.test.ts) and the attacks over HTTP (test/proxy-boundary.test.ts).
import type { PathAmbiguity } from "../src/domain/paths";

/** Every form the proxy must refuse, with the reason the function gives. */
export const AMBIGUOUS: [string, PathAmbiguity][] = [
  // Another host, or no leading slash.
  ["//evil.example/x", "not_absolute"],
  ["/\\evil.example", "not_absolute"],
  ["//", "not_absolute"],
  ["", "not_absolute"],
  ["connexion", "not_absolute"],
  // Empty segments anywhere.
  ["/aide//connexion", "empty_segment"],
  ["/static/app.js//", "empty_segment"],
  // Dot segments (the URL parser resolves them; a raw path can still carry them).
  ["/static/../connexion", "dot_segment"],
  ["/static/./connexion", "dot_segment"],
  ["/aide/..", "dot_segment"],
  ["/aide/.", "dot_segment"],
  ["/aide/.../connexion", "dot_segment"],
  // Path parameters: Tomcat, Jetty and Spring read `..;` as `..` and drop `;…`.
  ["/static/..;/connexion", "path_parameter"],
  ["/static/..;jsessionid=x/connexion", "path_parameter"],
  ["/aide/..;/creer-compte", "path_parameter"],
  ["/connexion;.css", "path_parameter"],
  ["/aide;", "path_parameter"],
  ["/static/..%3B/connexion", "path_parameter"],
  ["/static/..%3b/connexion", "path_parameter"],
  // Backslashes, raw.
  ["/aide\\..\\connexion", "backslash"],
  ["/aide\\connexion", "backslash"],
  // Encoded `/`, `\`, `.` (any case).
  ["/%2F%2Fevil.example", "encoded_delimiter"],
  ["/%2f/evil.example", "encoded_delimiter"],
  ["/%5Cevil.example", "encoded_delimiter"],
  ["/aide%5c..%5cconnexion", "encoded_delimiter"],
  ["/aide/..%2Fconnexion", "encoded_delimiter"],
  ["/aide%2F..%2Fconnexion", "encoded_delimiter"],
  ["/aide/%2e%2e/connexion", "encoded_delimiter"],
  ["/aide/%2E./connexion", "encoded_delimiter"],
  ["/static/app%2ejs", "encoded_delimiter"],
  // Double encoding.
  ["/aide/%252e%252e/connexion", "double_encoding"],
  ["/aide/%252Fconnexion", "double_encoding"],
  ["/100%25", "double_encoding"],
  // NUL and other control bytes, encoded.
  ["/connexion%00.css", "encoded_control"],
  ["/connexion%0d%0aSet-Cookie:x", "encoded_control"],
  ["/aide%09", "encoded_control"],
  ["/aide%7F", "encoded_control"],
  // Raw bytes a serialised URL never holds.
  ["/connexion\0.css", "raw_character"],
  ["/aide\tx", "raw_character"],
  ["/aide x", "raw_character"],
  ["/été", "raw_character"],
  // Broken escapes and bytes that are not UTF-8 (overlong `.` and `/` included).
  ["/aide%", "malformed_escape"],
  ["/aide%2", "malformed_escape"],
  ["/aide%zz", "malformed_escape"],
  ["/%C3", "invalid_utf8"],
  ["/%FF", "invalid_utf8"],
  ["/%C0%AE%C0%AE/connexion", "invalid_utf8"],
  ["/%C0%AF", "invalid_utf8"],
  // Characters a "best fit" decoder folds onto ASCII: fullwidth solidus, full stop, letters; one-dot leader.
  ["/aide%EF%BC%8F..%EF%BC%8Fconnexion", "lookalike"],
  ["/aide/%EF%BC%8E%EF%BC%8E/connexion", "lookalike"],
  ["/%EF%BD%83onnexion", "lookalike"],
  ["/aide%E2%80%A4%E2%80%A4/connexion", "lookalike"],
];

/** Paths that mean one thing everywhere: they pass. */
export const UNAMBIGUOUS = [
  "/",
  "/connexion",
  "/CONNEXION",
  "/static/app.js",
  "/static/app.min.css",
  "/aide/faq",
  "/aide/",
  "/%C3%A9t%C3%A9",
  "/aide/%C3%A9t%C3%A9/%C5%93uvre",
  "/aide/a+b",
  "/~candidat",
  "/aide/@moi",
  "/aide/a:b",
  "/aide/%20espace",
  "/aide/%41",
  "/demande/piece-1_2",
  "/.well-known-ish",
  "/aide/.cache",
  "/aide/fichier.",
  "/static/jquery-3.7.1.min.js",
];
