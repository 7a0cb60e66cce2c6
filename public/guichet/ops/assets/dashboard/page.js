// What every part of the dashboard reads from the shell: the event, the
// language and its words, and how numbers and times are written: in the
// page's language (fr-CA or en-CA), never the browser's, and in Montreal
// time labelled with its zone (HNE/HAE in French, EST/EDT in English), since
// an operator may sit in another zone or read a screenshot months later.
import { STRINGS } from "./strings.js";

export const EVENT = document.body.dataset.event || "";
export const LANG = document.body.dataset.lang === "en" ? "en" : "fr";
export const T = STRINGS[LANG];
export const TZ = "America/Montreal";
export const LOCALE = LANG === "en" ? "en-CA" : "fr-CA";

export const $ = (selector) => document.querySelector(selector);
export const fmt = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k]));

const number = new Intl.NumberFormat(LOCALE);
export const n = (v) => (v === null || v === undefined ? "—" : number.format(v));
/** 08:30:05 HAE: a time with its zone. */
export const clock = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short" });
export const hourMinute = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
/** 2016-06-13 08:30:05 HAE: a date and time with its zone (dateStyle and timeZoneName cannot be combined). */
export const stamp = new Intl.DateTimeFormat(LOCALE, {
  timeZone: TZ, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZoneName: "short",
});
const zoneName = new Intl.DateTimeFormat(LOCALE, { timeZone: TZ, timeZoneName: "short" });
const hmsParts = new Intl.DateTimeFormat("en-CA", { timeZone: TZ, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });

/** Montreal's zone at an instant, as the page's language abbreviates it: HNE or HAE (EST or EDT). */
export function zone(date = new Date()) {
  return zoneName.formatToParts(date).find((p) => p.type === "timeZoneName")?.value ?? "";
}

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
