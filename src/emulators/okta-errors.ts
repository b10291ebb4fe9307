/** Okta's error bodies (`errorCode`, `errorSummary`, `errorCauses`...), as the emulator answers them. */
import type { Reply } from "./okta-http.js";

let errorSerial = 0;

export function oktaError(status: number, errorCode: string, errorSummary: string, causes: string[] = []): Reply {
  errorSerial++;
  return {
    status,
    body: {
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: `oae${errorSerial.toString(36).padStart(8, "0")}EmulatedOktaErr`,
      errorCauses: causes.map((errorSummary) => ({ errorSummary })),
    },
  };
}

export const notFound = (id: string, type: string) => oktaError(404, "E0000007", `Not found: Resource not found: ${id} (${type})`);
export const invalidToken = () => oktaError(401, "E0000011", "Invalid token provided");
export const forbidden = () => oktaError(403, "E0000006", "You do not have permission to perform the requested action");
export const rateLimited = () => oktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.");
export const invalidSearch = (detail: string) => oktaError(400, "E0000031", "Invalid search criteria.", [detail]);
export const methodNotAllowed = () => oktaError(405, "E0000022", "The endpoint does not support the provided HTTP method");
export const invalidParam = (param: string, detail: string) => oktaError(400, "E0000001", `Api validation failed: ${param}`, [detail]);

/** The body Okta would send with `status`, for an injected fault that brings none. */
export function defaultFaultBody(status: number): unknown {
  if (status === 429) return rateLimited().body;
  if (status === 401) return invalidToken().body;
  if (status === 403) return forbidden().body;
  if (status === 404) return oktaError(404, "E0000007", "Not found: Resource not found").body;
  if (status === 503) return oktaError(503, "E0000010", "Service is in read only mode").body;
  return oktaError(status, "E0000009", "Internal Server Error").body;
}
