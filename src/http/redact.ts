/**
 * Redaction of secrets from anything that leaves the process. Every secret value the config
 * holds is registered; any output string has each occurrence replaced.
 */
const MIN_SECRET_LENGTH = 4;

export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly (string | undefined)[]): Redactor {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s.length >= MIN_SECRET_LENGTH))]
    // Longest first, so a secret that contains another is replaced whole.
    .sort((a, b) => b.length - a.length);
  const patterns = [
    // Authorization headers and PEM blocks, even when the value was not registered.
    /(Authorization:\s*)(Bearer|SSWS|DPoP)\s+[^\s"',}]+/gi,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  ];
  return (text: string) => {
    let out = text;
    for (const value of values) out = out.split(value).join("[REDACTED]");
    out = out.replace(patterns[0]!, "$1$2 [REDACTED]");
    out = out.replace(patterns[1]!, "[REDACTED PRIVATE KEY]");
    return out;
  };
}
