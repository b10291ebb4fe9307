import { describe, expect, it } from "vitest";
import { nextLink } from "../../src/okta/pages.js";

describe("the next page of an Okta list, from its Link header", () => {
  it("finds rel=next among self and next, in one field or two joined", () => {
    const self = "<https://acme.okta.com/api/v1/groups?limit=200>; rel=\"self\"";
    const next = "<https://acme.okta.com/api/v1/groups?after=00g2&limit=200>; rel=\"next\"";
    expect(nextLink(`${self}, ${next}`)).toBe("https://acme.okta.com/api/v1/groups?after=00g2&limit=200");
    expect(nextLink(`${next}, ${self}`)).toBe("https://acme.okta.com/api/v1/groups?after=00g2&limit=200");
  });

  it("is undefined on the last page: only self, or no header at all", () => {
    expect(nextLink('<https://acme.okta.com/api/v1/groups?limit=200>; rel="self"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
    expect(nextLink("")).toBeUndefined();
  });

  it("reads rel unquoted, in any case, and among several relation types", () => {
    expect(nextLink("<https://a.okta.com/x?after=1>; rel=next")).toBe("https://a.okta.com/x?after=1");
    expect(nextLink('<https://a.okta.com/x?after=2>; rel="Next"')).toBe("https://a.okta.com/x?after=2");
    expect(nextLink('<https://a.okta.com/x?after=3>; type="text/json"; rel="prefetch next"')).toBe("https://a.okta.com/x?after=3");
  });

  it("keeps commas inside a URL, and reads a header of any length (a search of 50 group names)", () => {
    const search = encodeURIComponent(Array.from({ length: 50 }, (_, i) => `profile.name eq "Group number ${i}, with a comma"`).join(" or "));
    const url = `https://acme.okta.com/api/v1/groups?search=${search}&after=00g9,x&limit=50`;
    const header = `<https://acme.okta.com/api/v1/groups?search=${search}&limit=50>; rel="self", <${url}>; rel="next"`;
    expect(header.length).toBeGreaterThan(4000);
    expect(nextLink(header)).toBe(url);
  });
});
