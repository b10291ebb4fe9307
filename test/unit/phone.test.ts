import fc from "fast-check";
import { parsePhoneNumberFromString } from "libphonenumber-js";
import { describe, expect, it } from "vitest";
import { mapUser } from "../../src/okta/mapping.js";
import { toE164 } from "../../src/okta/phone.js";
import type { OktaAppUserView } from "../../src/okta/types.js";

describe("phone numbers to E.164", () => {
  it.each([
    ["(415) 555-0100", "US", "+14155550100"],
    ["415.555.0100", "US", "+14155550100"],
    ["415-555-0100", "US", "+14155550100"],
    ["1 415 555 0100", "US", "+14155550100"],
    ["+1 (415) 555-0100", "GB", "+14155550100"],
    ["+44 20 7946 0958", "US", "+442079460958"],
    ["020 7946 0958", "GB", "+442079460958"],
    ["07700 900123", "GB", "+447700900123"],
    ["+61 2 9374 4000", "US", "+61293744000"],
    ["(02) 9374 4000", "AU", "+61293744000"],
    ["030 123456", "DE", "+4930123456"],
    ["+49 (0)30 123456", "US", "+4930123456"],
    ["+1 415 555 0100 ext. 12", "US", "+14155550100"],
    ["+14155550100", "US", "+14155550100"],
  ] as const)("%s (users.phoneRegion %s) is %s", (raw, region, e164) => {
    const result = toE164(raw, region);
    expect(result.ok && result.e164).toBe(e164);
  });

  it("reads +1 numbers in every common layout exactly as libphonenumber does, whatever the region", () => {
    const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""));
    const sep = fc.constantFrom("", " ", "-", ".");
    const raw = fc
      .tuple(sep, fc.integer({ min: 0, max: 9 }), digits(2), fc.boolean(), sep, digits(3), sep, digits(4))
      .map(([s1, first, rest, paren, s2, mid, s3, last]) => `+1${s1}${paren ? `(${first}${rest})` : `${first}${rest}`}${s2}${mid}${s3}${last}`);
    fc.assert(
      fc.property(raw, fc.constantFrom("US", "CA", "GB", "DE"), (number, region) => {
        const parsed = parsePhoneNumberFromString(number, region);
        const expected = parsed === undefined || !parsed.isPossible() ? { ok: false } : { ok: true, e164: parsed.number };
        const result = toE164(number, region);
        expect(result.ok ? { ok: true, e164: result.e164 } : { ok: false }).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it("says an extension was left out", () => {
    expect(toE164("+1 415 555 0100 x12", "US")).toEqual({ ok: true, e164: "+14155550100", note: 'extension 12 of "+1 415 555 0100 x12" left out (E.164 has none)' });
  });

  it.each([["call reception"], ["12"], ["555-0100"], ["1-800-FLOWERS-NOW-PLEASE"]])("%s cannot be read", (raw) => {
    expect(toE164(raw, "US").ok).toBe(false);
  });

  const appUser = (primaryPhone: string): OktaAppUserView =>
    ({
      id: "00u1",
      status: "ACTIVE",
      userName: "ada@acme.com",
      profile: {},
      user: { id: "00u1", status: "ACTIVE", profile: { login: "ada@acme.com", email: "ada@acme.com", firstName: "Ada", lastName: "L", primaryPhone } },
    }) as unknown as OktaAppUserView;
  const options = { attributes: [], phoneType: "work", suspended: "active" as const };

  it("the mapping sends Okta's free-form primaryPhone in E.164, read in users.phoneRegion", () => {
    const us = mapUser(appUser("(415) 555-0100"), options);
    expect(us.ok && us.attributes['phoneNumbers[type eq "work"].value']).toBe("+14155550100");
    const gb = mapUser(appUser("020 7946 0958"), { ...options, phoneRegion: "GB" });
    expect(gb.ok && gb.attributes['phoneNumbers[type eq "work"].value']).toBe("+442079460958");
  });

  it("a number that cannot be read is sent as it is, with a warning", () => {
    const result = mapUser(appUser("ask reception"), options);
    expect(result.ok && result.attributes['phoneNumbers[type eq "work"].value']).toBe("ask reception");
    expect(result.ok && result.warnings).toEqual(['phoneNumbers[type eq "work"].value: "ask reception" is not a phone number that could be read (users.phoneRegion US); sent as it is']);
  });
});
