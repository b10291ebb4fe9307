/**
 * Phone numbers for Command, which takes them only through SCIM and wants E.164
 * (`+14155550100`). Okta's `primaryPhone` is free-form text typed by people and HR systems, so it
 * is parsed with libphonenumber-js (Google's metadata), reading a number without a country code
 * as one of `region`. Pure.
 */
import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from "libphonenumber-js";

export type PhoneResult = { ok: true; e164: string; note?: string } | { ok: false; reason: string };

export function isPhoneRegion(region: string): region is CountryCode {
  return isSupportedCountry(region);
}

/**
 * A North American number already written internationally (`+1 415-555-0100`, `+1 (415) 555 0100`):
 * libphonenumber reads it as +1 and the ten digits, whatever the region. Parsing it costs more CPU
 * than the rest of mapping a user, so this form is read directly.
 */
const NANP_INTERNATIONAL = /^\+1[ .-]?(?:\(([2-9]\d\d)\)|([2-9]\d\d))[ .-]?(\d{3})[ .-]?(\d{4})$/;

/** E.164 for a number that could be dialled; otherwise why not (the caller sends it as it is). */
export function toE164(raw: string, region: CountryCode): PhoneResult {
  const nanp = NANP_INTERNATIONAL.exec(raw);
  if (nanp !== null) return { ok: true, e164: `+1${nanp[1] ?? nanp[2]}${nanp[3]}${nanp[4]}` };
  const parsed = parsePhoneNumberFromString(raw, region);
  if (parsed === undefined || !parsed.isPossible()) return { ok: false, reason: `"${raw}" is not a phone number that could be read (users.phoneRegion ${region})` };
  return parsed.ext === undefined ? { ok: true, e164: parsed.number } : { ok: true, e164: parsed.number, note: `extension ${parsed.ext} of "${raw}" left out (E.164 has none)` };
}
