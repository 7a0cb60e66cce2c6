// Device class from the user agent and client hints. Only personal computers
// may submit ("les demandes à partir d'une tablette ou d'un téléphone seront
// refusées"). Pure.

export type DeviceClass = "desktop" | "mobile" | "tablet";

export interface DeviceHints {
  userAgent?: string | null;
  /** `Sec-CH-UA-Mobile`: "?1" on phones. */
  mobileHint?: string | null;
  /** `Sec-CH-UA-Platform`, for example "Android" or "macOS". */
  platformHint?: string | null;
  /** `navigator.maxTouchPoints` reported by the page: tells an iPad that claims to be a Mac. */
  touchPoints?: number | null;
}

const TABLET = /\b(iPad|Tablet|PlayBook|Silk|Kindle|KFAPWI|Nexus (7|9|10)|SM-T\d|Tab\b|Xoom)\b/i;
const PHONE = /\b(iPhone|iPod|Windows Phone|IEMobile|BlackBerry|BB10|Opera Mini|webOS|Mobile Safari|Mobi)\b/i;

/** The most restrictive reading of what the request says about itself. */
export function classifyDevice(h: DeviceHints): DeviceClass {
  const ua = h.userAgent ?? "";
  const platform = (h.platformHint ?? "").replace(/"/g, "").toLowerCase();
  if (TABLET.test(ua)) return "tablet";
  // Android phones say "Mobile"; Android tablets do not.
  if (/\bAndroid\b/i.test(ua)) return /\bMobile\b/i.test(ua) ? "mobile" : "tablet";
  if (PHONE.test(ua)) return "mobile";
  if (h.mobileHint === "?1") return "mobile";
  if (platform === "android" || platform === "ios") return "tablet";
  // iPadOS Safari sends a Mac user agent; a Mac has no touch screen.
  if (/\bMacintosh\b/.test(ua) && (h.touchPoints ?? 0) > 1) return "tablet";
  return "desktop";
}

const RANK: Record<DeviceClass, number> = { desktop: 0, tablet: 1, mobile: 2 };

/** Of two readings (the claim's and the submission's), the one that refuses more. */
export function stricterDevice(a: DeviceClass, b: DeviceClass): DeviceClass {
  return RANK[a] >= RANK[b] ? a : b;
}
