// The ops API as the dashboard calls it: the OPS_TOKEN from this tab's
// sessionStorage as `Authorization: Bearer` (behind Cloudflare Access no
// token is needed: Access adds its assertion to every request), never in a
// URL. A 401 hands over to whoever asks for the token (onUnauthorized).
import { EVENT, LANG, T } from "./page.js";

const TOKEN_KEY = "guichet.ops.token";

export class AuthError extends Error {}

let unauthorized = () => {};
/** What to do when the API refuses the token: `refused` if one was sent. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

function apiUrl(path, params = {}) {
  return `/guichet/ops/api/${path}?${new URLSearchParams({ event: EVENT, ...params })}`;
}

/** `params`: more of the query (never a secret: the token goes in a header). */
export async function call(path, init = {}, params = {}) {
  const headers = new Headers(init.headers);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  headers.set("Accept-Language", LANG);
  const res = await fetch(apiUrl(path, params), { ...init, headers, cache: "no-store", credentials: "same-origin" });
  if (res.status === 401) {
    unauthorized(Boolean(token));
    throw new AuthError("unauthorized");
  }
  return res;
}

export async function json(path, init) {
  const res = await call(path, init);
  const body = await res.json().catch(() => ({}));
  return { res, body };
}

export function errorText(body) {
  const e = body && body.error;
  if (!e) return T.networkError;
  const where = e.field ? ` (${e.field}${e.detail ? ` : ${e.detail}` : ""})` : e.detail ? ` (${e.detail})` : "";
  return `${T.refused} : ${e.message}${where}`;
}
