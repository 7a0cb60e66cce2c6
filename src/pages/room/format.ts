// Numbers, times and durations as the room page shows them: Intl for fr-CA or
// en-CA, times in America/Montreal. The page's script (room.client.js) has the
// same functions, so the first render and every later update read alike.
import type { Lang } from "../../http/errors";
import type { StatusBody } from "../../line/status";
import { fill, type LiveStrings } from "./strings";

export const TIME_ZONE = "America/Montreal";

export function localeOf(lang: Lang): string {
  return lang === "en" ? "en-CA" : "fr-CA";
}

export function formatNumber(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

/** "13 juin à 8 h 30" / "June 13 at 8:30 a.m." */
export function formatOpening(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, day: "numeric", month: "long", hour: "numeric", minute: "2-digit" }).format(ms);
}

/** "8 h 42" / "8:42 a.m." */
export function formatTime(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, hour: "numeric", minute: "2-digit" }).format(ms);
}

/** "8 h 42 min 07 s" / "8:42:07 a.m." */
export function formatClock(ms: number, locale: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: TIME_ZONE, hour: "numeric", minute: "2-digit", second: "2-digit" }).format(ms);
}

/** A countdown: "00:04:59", or "2 j 03:00:00" beyond a day. */
export function formatCountdown(ms: number, live: LiveStrings): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const pad = (n: number) => String(n).padStart(2, "0");
  const hms = `${pad(Math.floor((total % 86_400) / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  return days > 0 ? `${fill(live.days, { n: days })} ${hms}` : hms;
}

/** "moins d'une minute", "environ 9 minutes", "environ 1 heure 20 minutes". */
export function formatWait(seconds: number | null, locale: string, live: LiveStrings): string {
  if (seconds === null) return live.unknown;
  if (seconds < 60) return live.lessThanMinute;
  const minutes = Math.ceil(seconds / 60);
  const unit = (value: number, u: "hour" | "minute") =>
    new Intl.NumberFormat(locale, { style: "unit", unit: u, unitDisplay: "long" }).format(value);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const d = h === 0 ? unit(m, "minute") : m === 0 ? unit(h, "hour") : `${unit(h, "hour")} ${unit(m, "minute")}`;
  return fill(live.about, { d });
}

/** Share of the numbers before this one that have gone through, 0 to 100. */
export function progressPercent(number: number | null, position: number | null): number {
  if (number === null || position === null || number <= 0) return 0;
  return Math.max(0, Math.min(100, Math.round((100 * (number - position)) / number)));
}

/** The text of every field the page fills for a status (server and script alike). */
export function statusFields(s: StatusBody, now: number, locale: string, live: LiveStrings) {
  const zone = live.zone;
  const num = (n: number | null) => (n === null ? live.unknown : formatNumber(n, locale));
  const at = (iso: string | null, template: string) => (iso === null ? "" : fill(template, { time: formatTime(Date.parse(iso), locale), zone }));
  return {
    opensAt: s.opensAt === null ? "" : formatOpening(Date.parse(s.opensAt), locale),
    countdown: s.opensAt === null ? "" : formatCountdown(Date.parse(s.opensAt) - now, live),
    waitingCount: fill(live.waitingCount, { n: formatNumber(s.waitingCount, locale) }),
    number: num(s.number),
    position: num(s.position),
    ahead: num(s.ahead),
    wait: formatWait(s.estimatedWaitSeconds, locale, live),
    updated: formatClock(now, locale),
    progress: new Intl.NumberFormat(locale, { style: "percent" }).format(progressPercent(s.number, s.position) / 100),
    quota: fill(live.quota, { accepted: formatNumber(s.quota.accepted, locale), total: formatNumber(s.quota.total, locale) }),
    claimBy: at(s.claimDeadline, live.claimBy),
    sessionEnds: at(s.admissionExpiresAt, live.sessionEnds),
    publicId: s.prequeue?.publicId ?? "",
  };
}
