// A short page for the proxy's refusals and failures (origin down, path
// closed, ambiguous path, too many requests): what happened and what to do,
// in French or English, no script.
import { pathAmbiguity } from "../domain/paths";
import type { Lang } from "../http/errors";
import { cspNonce, pageCsp, SECURITY_HEADERS } from "../http/security";
import { htmlDocument, Page } from "./html";

export interface Notice {
  title: string;
  message: string;
  /** A link back somewhere useful: a path on this site (sameSiteHref). */
  link: { href: string; label: string };
}

const NOTICE_CSS =
  "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#f5f7fa}main{max-width:36rem;margin:4rem auto;padding:2rem;background:#fff;border-top:6px solid #095797}h1{font-size:1.5rem;margin-top:0}a{color:#095797}";

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

function NoticePage(p: { lang: Lang; notice: Notice; nonce: string }) {
  return (
    <Page lang={p.lang} title={p.notice.title} nonce={p.nonce} css={NOTICE_CSS}>
      <main>
        <h1>{p.notice.title}</h1>
        <p>{p.notice.message}</p>
        <p>
          <a href={sameSiteHref(p.notice.link.href)}>{p.notice.link.label}</a>
        </p>
      </main>
    </Page>
  );
}

/**
 * The page as a response: no-store, the gateway's security headers (the
 * proxy's answers do not pass through gatewayHeaders), and a CSP whose only
 * allowance is this response's style nonce.
 */
export function noticeResponse(lang: Lang, status: number, notice: Notice, headers: Record<string, string> = {}): Response {
  const nonce = cspNonce();
  return new Response(htmlDocument(<NoticePage lang={lang} notice={notice} nonce={nonce} />), {
    status,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": pageCsp(nonce, {}),
      ...SECURITY_HEADERS,
      ...headers,
    },
  });
}
