// A short page for the proxy's refusals and failures (origin down, path
// closed, ambiguous path, too many requests): what happened and what to do,
// in French or English, no script.
import { pathAmbiguity } from "../domain/paths";
import type { Lang } from "../http/errors";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export interface Notice {
  title: string;
  message: string;
  /** A link back somewhere useful: a path on this site (sameSiteHref). */
  link: { href: string; label: string };
}

/**
 * `href` if it is a path on this site, else `/`. A link built from the
 * request's path could be `//evil.example` or `/\evil.example`, which a
 * browser follows to another host; an unambiguous path (pathAmbiguity)
 * cannot leave the site. The query or fragment after it cannot either.
 */
export function sameSiteHref(href: string): string {
  const end = href.search(/[?#]/);
  return pathAmbiguity(end === -1 ? href : href.slice(0, end)) === null ? href : "/";
}

/** The page as a response: no-store, a strict CSP whose only allowance is this response's style nonce. */
export function noticeResponse(lang: Lang, status: number, notice: Notice, headers: Record<string, string> = {}): Response {
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(12))));
  const html = `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(notice.title)}</title>
<style nonce="${nonce}">body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f7fa}main{max-width:36rem;margin:4rem auto;padding:2rem;background:#fff;border-top:6px solid #095797}h1{font-size:1.5rem;margin-top:0}a{color:#095797}</style>
</head><body><main><h1>${escapeHtml(notice.title)}</h1><p>${escapeHtml(notice.message)}</p>
<p><a href="${escapeHtml(sameSiteHref(notice.link.href))}">${escapeHtml(notice.link.label)}</a></p></main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "strict-origin-when-cross-origin",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
      "X-Frame-Options": "DENY",
      ...headers,
    },
  });
}
