/**
 * SMS segment counting, the way carriers (and Twilio's `num_segments`) bill a message: a text made
 * only of GSM 03.38 characters goes out as 7-bit GSM, anything else (Devanagari, Tamil, emoji)
 * makes the whole message UCS-2. A message that does not fit one SMS is split into parts that
 * each lose room to the concatenation header (UDH).
 */

/** GSM 03.38 default alphabet: one septet each. */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';

/** GSM 03.38 extension table: sent as ESC + char, so two septets each. */
const GSM_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM_BASIC);
const EXTENSION = new Set(GSM_EXTENSION);

/** Septets in one single-part GSM-7 SMS (140 octets × 8 / 7). */
const GSM_SINGLE = 160;
/** Septets per part of a concatenated GSM-7 SMS (the 6-octet UDH takes 7 septets). */
const GSM_PART = 153;
/** UTF-16 code units in one single-part UCS-2 SMS (140 octets / 2). */
const UCS2_SINGLE = 70;
/** UTF-16 code units per part of a concatenated UCS-2 SMS (the UDH takes 3 units). */
const UCS2_PART = 67;

/** How a text is encoded and how many SMS parts it is billed as. */
export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Parts billed; an empty text is still one SMS. */
  segments: number;
  /** Septets for GSM-7, UTF-16 code units for UCS-2. */
  units: number;
}

/**
 * Counts the SMS segments `text` is billed as. GSM-7 when every character is in the GSM 03.38
 * default alphabet or its extension table (extension characters take two septets), UCS-2
 * otherwise. Multipart counting never splits an escape sequence or a surrogate pair across two
 * parts, as handsets and SMSCs do not either, so a part may carry one unit less than its maximum.
 */
export function smsSegments(text: string): SmsSegments {
  // Per-character sizes in the chosen encoding: iterating the string by code point keeps a
  // surrogate pair (an emoji) together as one 2-unit item.
  const gsm: number[] = [];
  let isGsm = true;
  for (const ch of text) {
    if (BASIC.has(ch)) gsm.push(1);
    else if (EXTENSION.has(ch)) gsm.push(2);
    else {
      isGsm = false;
      break;
    }
  }
  if (isGsm) return count('GSM-7', gsm, GSM_SINGLE, GSM_PART);
  const ucs2: number[] = [];
  for (const ch of text) ucs2.push(ch.length);
  return count('UCS-2', ucs2, UCS2_SINGLE, UCS2_PART);
}

/** Packs items of 1 or 2 units greedily into parts, never splitting an item. */
function count(
  encoding: SmsSegments['encoding'],
  sizes: number[],
  single: number,
  part: number,
): SmsSegments {
  const units = sizes.reduce((a, b) => a + b, 0);
  if (units <= single) return { encoding, segments: 1, units };
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > part) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return { encoding, segments, units };
}
