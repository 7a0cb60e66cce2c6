// What the gateway's pages share: the document around a hono/jsx tree, data
// handed to a page script, and sentences with markup in them. hono/jsx
// escapes every string it renders, so no page escapes HTML by hand.
import { raw } from "hono/html";
import type { Child, JSXNode } from "hono/jsx";
import type { JSX } from "hono/jsx/jsx-runtime";
import type { Lang } from "../http/errors";

/** A whole HTML document from its <html> element. Pages render synchronously: they are given all they show. */
export function htmlDocument(root: JSX.Element | JSXNode): string {
  const html = root.toString();
  if (typeof html !== "string") throw new Error("a page rendered asynchronously");
  return `<!doctype html>${html}`;
}

/**
 * The frame of every page: its language, its title, its styles inlined
 * under the response's nonce (when it has any), more of the head if needed.
 */
export function Page(p: { lang: Lang; title: string; nonce: string; css?: string; head?: Child; body?: Record<string, string>; children: Child }) {
  return (
    <html lang={p.lang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{p.title}</title>
        {p.css !== undefined && <style nonce={p.nonce}>{raw(p.css)}</style>}
        {p.head}
      </head>
      <body {...p.body}>{p.children}</body>
    </html>
  );
}

/** JSON safe inside a <script> element: no `<` can close it, and no line separator breaks it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Data for a page's script, read back with JSON.parse(document.getElementById(id).textContent). */
export function DataScript(p: { id: string; nonce: string; value: unknown }) {
  return (
    <script type="application/json" id={p.id} nonce={p.nonce}>
      {raw(scriptJson(p.value))}
    </script>
  );
}

/**
 * A translated sentence whose `{name}` placeholders are markup: the words
 * around them are escaped as any text, the values are rendered as given.
 * An unknown placeholder stays as written.
 */
export function fillNodes(template: string, values: Record<string, Child>): Child[] {
  return template.split(/(\{\w+\})/).map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    return name !== undefined && name in values ? values[name] : part;
  });
}
