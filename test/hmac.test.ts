// The HMAC-SHA256 and SHA-256 behind ticket, receipt and puzzle MACs, the
// puzzle's digest and the identity keys (src/auth/hmac.ts) must be exactly
// those: FIPS 180-4's and RFC 4231's vectors, and WebCrypto's answer for
// random keys and messages of every length around the block edges
// (55/56/63/64/65 bytes, where padding takes a second block).
import { describe, expect, it } from "vitest";
import { hmacSha256, sameBytes, sha256 } from "../src/auth/hmac";
import { hmac, hmacMatches, signTicket, verifyTicket } from "../src/auth/ticket";

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const bytes = (h: string) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16));
const text = (s: string) => new TextEncoder().encode(s);
const repeat = (byte: number, n: number) => new Uint8Array(n).fill(byte);

async function webCrypto(key: Uint8Array, message: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", k, message)));
}

describe("sha256", () => {
  it("hashes FIPS 180-4's examples, given as bytes or as text", () => {
    expect(hex(sha256(new Uint8Array(0)))).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(sha256(text("abc")))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hex(sha256(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")))).toBe("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("agrees with WebCrypto's digest at every length from 0 to 200 bytes", async () => {
    for (let n = 0; n <= 200; n++) {
      const m = crypto.getRandomValues(new Uint8Array(n));
      expect(hex(sha256(m)), `length ${n}`).toBe(hex(new Uint8Array(await crypto.subtle.digest("SHA-256", m))));
    }
  });
});

describe("hmacSha256", () => {
  const rfc4231: [Uint8Array, Uint8Array, string][] = [
    [repeat(0x0b, 20), text("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [text("Jefe"), text("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [repeat(0xaa, 20), repeat(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"],
    [bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"), repeat(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"],
    [repeat(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
    [
      repeat(0xaa, 131),
      text("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ],
  ];

  it.each(rfc4231.map((v, i) => [i + 1, ...v] as const))("RFC 4231 vector %#", (_, key, message, mac) => {
    expect(hex(hmacSha256(key, message))).toBe(mac);
  });

  it("agrees with WebCrypto on 600 random keys and messages around the block edges", async () => {
    const lengths = [0, 1, 31, 32, 54, 55, 56, 57, 63, 64, 65, 100, 119, 120, 127, 128, 129, 300];
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const key = crypto.getRandomValues(new Uint8Array(1 + lengths[(i * 7) % lengths.length]! + (i % 3))); // WebCrypto refuses an empty key
      const message = crypto.getRandomValues(new Uint8Array(lengths[i % lengths.length]!));
      expect(hex(hmacSha256(key, message)), `key ${key.length} bytes, message ${message.length}`).toBe(await webCrypto(key, message));
      compared += 1;
    }
    expect(compared).toBe(600);
  });

  it("gives the same MAC when the same key is used again, and reads a text key and message as UTF-8", async () => {
    const first = hex(hmacSha256("secret", "one"));
    hmacSha256("secret", crypto.getRandomValues(new Uint8Array(150)));
    expect(hex(hmacSha256("secret", "one"))).toBe(first);
    expect(first).toBe(await webCrypto(text("secret"), text("one")));
    expect(hex(hmacSha256("clé secrète", "Québec"))).toBe(await webCrypto(text("clé secrète"), text("Québec")));
  });
});

describe("sameBytes", () => {
  it("is true only for the same bytes of the same length", () => {
    expect(sameBytes(bytes("00ff10"), bytes("00ff10"))).toBe(true);
    expect(sameBytes(bytes("00ff10"), bytes("00ff11"))).toBe(false);
    expect(sameBytes(bytes("80ff10"), bytes("00ff10"))).toBe(false);
    expect(sameBytes(bytes("00ff"), bytes("00ff10"))).toBe(false);
    expect(sameBytes(bytes("00ff10"), bytes("00ff"))).toBe(false);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe("hmac / hmacMatches (src/auth/ticket.ts)", () => {
  it("write and check WebCrypto's HMAC-SHA256 in base64url", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    const message = "t1|csq-2016-06|AAAAAAAAAAAAAAAAAAAAAA|12345";
    const mac = hmac(secret, message);
    const expected = btoa(String.fromCharCode(...bytes(await webCrypto(text(secret), text(message)))))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    expect(mac).toBe(expected);
    expect(hmacMatches(secret, message, mac)).toBe(true);
    expect(hmacMatches(secret, `${message}6`, mac)).toBe(false);
    expect(hmacMatches("another secret of the same length", message, mac)).toBe(false);
    // One character changed, in the first and in the last place; truncated; not base64url.
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
    expect(hmacMatches(secret, message, flip(mac, 0))).toBe(false);
    expect(hmacMatches(secret, message, flip(mac, 41))).toBe(false);
    expect(hmacMatches(secret, message, mac.slice(0, 42))).toBe(false);
    expect(hmacMatches(secret, message, `${mac.slice(0, 42)}*`)).toBe(false);
    // The last character carries two bits that must be zero: another spelling of the same bytes is refused.
    const last = BASE64URL.indexOf(mac[42]!);
    expect(last & 3).toBe(0);
    expect(hmacMatches(secret, message, mac.slice(0, 42) + BASE64URL[last | 1])).toBe(false);
    expect(hmacMatches(secret, message, `${mac}A`)).toBe(false);
    // Other spellings the platform's decoder would read as the same bytes: padded, or with whitespace inside.
    expect(hmacMatches(secret, message, `${mac}=`)).toBe(false);
    for (const space of [" ", "\n", "\t", "\r", "\f"]) {
      expect(hmacMatches(secret, message, `${mac.slice(0, 20)}${space}${mac.slice(20)}`), JSON.stringify(space)).toBe(false);
      expect(hmacMatches(secret, message, `${mac}${space}`), JSON.stringify(space)).toBe(false);
    }
    // The standard alphabet's characters for the same values (this MAC has both "-" and "_").
    expect(mac).toBe("y-d_yd_EVlBdLeVitvynyQ0L3w1Qnkg9S4iunwPZTiE");
    expect(hmacMatches(secret, message, mac.replace(/-/g, "+").replace(/_/g, "/"))).toBe(false);
  });

  it("MAC text that is not ASCII as WebCrypto does (UTF-8), however long", async () => {
    const secret = "0123456789abcdef0123456789abcdef";
    for (const message of ["Québec — café", "é".repeat(300), "a".repeat(256), "a".repeat(257), ""]) {
      const expected = btoa(String.fromCharCode(...bytes(await webCrypto(text(secret), text(message)))))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
      expect(hmac(secret, message)).toBe(expected);
      expect(hmacMatches(secret, message, expected)).toBe(true);
    }
  });
});

describe("verifyTicket (src/auth/ticket.ts)", () => {
  const secret = "0123456789abcdef0123456789abcdef";
  const ticket = { event: "csq-2016-06", ticketId: "-0AZ_az09-0AZ_az09-0AZ", number: 4321 };

  it("reads back what signTicket wrote, and nothing else", () => {
    const value = signTicket(secret, ticket);
    expect(verifyTicket(secret, value)).toEqual(ticket);
    expect(verifyTicket(secret, signTicket(secret, { ...ticket, number: 0 }))).toEqual({ ...ticket, number: 0 });
    const [event, id, number, mac] = value.split(".") as [string, string, string, string];
    for (const bad of [
      `${event}.${id}.${number}`,
      `${value}.x`,
      `${event}.${id}.${number}.${mac}A`,
      `${event}.${id}.0${number}.${mac}`,
      `${event}.${id}.${number + 1}.${mac}`,
      `${event.toUpperCase()}.${id}.${number}.${mac}`,
      `${event}.${id.slice(1)}.${number}.${mac}`,
      `-${event.slice(1)}.${id}.${number}.${mac}`,
      `${event}.${id}.${number}.${mac.slice(0, 42)}*`,
      ` ${value}`,
      `${value}\n`,
    ]) {
      expect(verifyTicket(secret, bad), bad).toBeNull();
    }
    expect(verifyTicket("another secret", value)).toBeNull();
  });
});
