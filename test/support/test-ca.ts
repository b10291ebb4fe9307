/**
 * A certificate authority made for a test, as a company's TLS-inspecting proxy has one, and a
 * server certificate it signed. Made with the `openssl` command (node:crypto cannot sign X.509),
 * so no dependency is needed for it.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCa {
  /** The CA certificate's file, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  /** The server certificate (signed by the CA) and its key, PEM. */
  cert: string;
  key: string;
}

/** A CA and a certificate for `names` (host names and IP addresses), valid for a day. */
export function makeTestCa(names: readonly string[]): TestCa {
  const dir = mkdtempSync(join(tmpdir(), "ocs-test-ca-"));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=okta-command-sync test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", `/CN=${names[0] ?? "localhost"}`);
  const san = names.map((n) => (/^[\d.]+$|:/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  writeFileSync(file("server.ext"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`);
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext");
  return { caFile: file("ca.pem"), cert: readFileSync(file("server.pem"), "utf8"), key: readFileSync(file("server.key"), "utf8") };
}
