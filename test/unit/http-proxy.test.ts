import { describe, expect, it } from "vitest";
import { SyncError } from "../../src/errors.js";
import { bypassesProxy, proxyFor, proxySecrets } from "../../src/http/proxy.js";

const at = (url: string) => new URL(url);

describe("which proxy a request goes through", () => {
  it("https targets use HTTPS_PROXY, falling back to HTTP_PROXY; http targets only HTTP_PROXY; lower case wins", () => {
    const env = { HTTPS_PROXY: "http://upper:3128", https_proxy: "http://lower:3128", HTTP_PROXY: "http://plain:8080" };
    expect(proxyFor(at("https://acme.okta.com"), env)?.shown).toBe("http://lower:3128");
    expect(proxyFor(at("https://acme.okta.com"), env)?.variable).toBe("https_proxy");
    expect(proxyFor(at("http://127.0.0.1:9091"), env)?.shown).toBe("http://plain:8080");
    expect(proxyFor(at("https://acme.okta.com"), { HTTP_PROXY: "http://plain:8080" })?.variable).toBe("HTTP_PROXY");
    expect(proxyFor(at("http://127.0.0.1:9091"), { HTTPS_PROXY: "http://upper:3128" })).toBeUndefined();
    expect(proxyFor(at("https://acme.okta.com"), {})).toBeUndefined();
  });

  it("NO_PROXY takes hosts, domains, ports, IP ranges and *", () => {
    expect(bypassesProxy(at("https://acme.okta.com"), "okta.com")).toBe(true);
    expect(bypassesProxy(at("https://acme.okta.com"), ".okta.com")).toBe(true);
    expect(bypassesProxy(at("https://acme.okta.com"), "*.okta.com")).toBe(true);
    expect(bypassesProxy(at("https://notokta.com"), "okta.com")).toBe(false);
    expect(bypassesProxy(at("https://api.command.verkada.com"), "foo.example, api.command.verkada.com:443")).toBe(true);
    expect(bypassesProxy(at("https://api.command.verkada.com"), "api.command.verkada.com:8443")).toBe(false);
    expect(bypassesProxy(at("http://10.1.2.3:9091"), "10.0.0.0/8")).toBe(true);
    expect(bypassesProxy(at("http://11.1.2.3:9091"), "10.0.0.0/8")).toBe(false);
    expect(bypassesProxy(at("http://[::1]:9091"), "::1")).toBe(true);
    expect(bypassesProxy(at("https://anything.example"), "*")).toBe(true);
    expect(proxyFor(at("http://127.0.0.1:9091"), { HTTP_PROXY: "http://p:1", no_proxy: "127.0.0.1", NO_PROXY: "other" })).toBeUndefined();
  });

  it("a proxy without a scheme is http; credentials are kept for connecting but never shown", () => {
    const route = proxyFor(at("https://acme.okta.com"), { HTTPS_PROXY: "user:s3cret%21pw@proxy.corp:3128" });
    expect(route?.shown).toBe("http://proxy.corp:3128");
    expect(route?.authorization).toBe(`Basic ${Buffer.from("user:s3cret!pw").toString("base64")}`);
    expect(proxySecrets(route)).toEqual(expect.arrayContaining(["s3cret%21pw", "s3cret!pw"]));
  });

  it("a proxy variable that is not an http(s) URL is a config error that does not repeat its value", () => {
    const attempt = (value: string) => () => proxyFor(at("https://acme.okta.com"), { HTTPS_PROXY: value });
    expect(attempt("socks5://user:hunter22@proxy:1080")).toThrow(SyncError);
    expect(attempt("socks5://user:hunter22@proxy:1080")).toThrow(/HTTPS_PROXY must be an http:\/\/ or https:\/\/ proxy URL/);
    expect(attempt("http://user:hunter22@[bad")).toThrow(/HTTPS_PROXY is not a proxy URL/);
    try {
      attempt("http://user:hunter22@[bad")();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("hunter22");
    }
  });
});
