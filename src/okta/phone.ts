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

/** E.164 for a number that could be dialled; otherwise why not (the caller sends it as it is). */
export function toE164(raw: string, region: CountryCode): PhoneResult {
  const parsed = parsePhoneNumberFromString(raw, region);
  if (parsed === undefined || !parsed.isPossible()) return { ok: false, reason: `"${raw}" is not a phone number that could be read (users.phoneRegion ${region})` };
  return parsed.ext === undefined ? { ok: true, e164: parsed.number } : { ok: true, e164: parsed.number, note: `extension ${parsed.ext} of "${raw}" left out (E.164 has none)` };
}
