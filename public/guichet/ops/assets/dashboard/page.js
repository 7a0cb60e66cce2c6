// What every part of the dashboard reads from the shell: the event, the
// language and its words, and how numbers and times are written (fr-CA or
// en-CA, Montreal time).
import { STRINGS } from "./strings.js";

export const EVENT = document.body.dataset.event || "";
export const LANG = document.body.dataset.lang === "en" ? "en" : "fr";
export const T = STRINGS[LANG];
export const TZ = "America/Montreal";
const LOCALE = LANG === "en" ? "en-CA" : "fr-CA";

export const $ = (selector) => document.querySelector(selector);
export const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

const number = new Intl.NumberFormat(LOCALE);
export const n = (v) => (v === null || v === undefined ? "—" : number.format(v));
export const clock = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit" });
export const hourMinute = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
export const stamp = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, dateStyle: "short", timeStyle: "medium" });
const hmsParts = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

/** 08:30:05 in Montreal time: short enough for an axis. */
export function hms(ts) {
  const p = Object.fromEntries(hmsParts.formatToParts(new Date(ts * 1000)).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute}:${p.second}`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s % 3600) / 60);
  return `${h} h ${String(m).padStart(2, "0")}`;
}

/** The shell's words in this language, and the link to the same page in the other. */
export function translatePage() {
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const text = T[el.dataset.i18n];
    if (text !== undefined) el.textContent = text;
  }
  const other = $("#other-lang");
  const otherLang = LANG === "en" ? "fr" : "en";
  const otherParams = new URLSearchParams(location.search);
  otherParams.set("lang", otherLang);
  other.href = `?${otherParams}`;
  other.lang = otherLang;
  other.textContent = T.otherLang;
}
