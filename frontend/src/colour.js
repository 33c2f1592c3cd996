// XEP-0392 (Consistent Color Generation) §5: the same name gets the same colour in every client
// that implements it — SHA-1 of the identifier, the first two bytes (little endian) as an angle
// on the hue circle, then HSLuv with full saturation. Lightness is 70 instead of the XEP's
// default 50 so names stay readable on the page's dark background (§5.4 allows adjusting it).
import { Hsluv } from "hsluv";

const cache = new Map();

// The colour already worked out for `identifier`, or undefined (then use consistentColour).
export function cachedColour(identifier) {
  return cache.get(identifier);
}

export async function consistentColour(identifier) {
  if (cache.has(identifier)) return cache.get(identifier);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-1", new TextEncoder().encode(identifier)));
  const angle = ((digest[0] | (digest[1] << 8)) / 65536) * 360;
  const colour = new Hsluv();
  colour.hsluv_h = angle;
  colour.hsluv_s = 100;
  colour.hsluv_l = 70;
  colour.hsluvToHex();
  if (cache.size > 1000) cache.clear();  // bounded: a big room has many names
  cache.set(identifier, colour.hex);
  return colour.hex;
}

// One or two letters for the round badge that stands in for an avatar (nothing is fetched).
export function initials(nick) {
  const words = nick.trim().split(/[\s._-]+/u).filter(Boolean);
  const letters = words.length >= 2 ? [words[0], words[1]] : [words[0] ?? "?"];
  return letters.map((w) => Array.from(w)[0]).join("").toUpperCase();
}
