/**
 * What an answer to a write proves. A write counts as done only when Command confirms it with a
 * SCIM answer for that resource: a 2xx with a JSON body that is the resource written (same `id`
 * for PUT and PATCH; same userName or displayName, and externalId, for a POST), or a 204 to a
 * PATCH or DELETE. An HTML page with 200 (a proxy's block page, a web app's fallback), a body for
 * another record or an empty 201 proves nothing: the operation fails and is tried again.
 */
import { ERROR_SCHEMA } from "../model.js";
import { ProtocolError } from "../errors.js";
import type { Answer, Method } from "./transport.js";

export type Expectation =
  /** PUT, PATCH or DELETE of one resource; `active` when the write set it. */
  | { kind: "resource"; noun: "User" | "Group"; id: string; active?: boolean }
  | { kind: "created-user"; userName: string; externalId: string }
  | { kind: "created-group"; displayName: string; externalId: string };

export type JsonObject = Record<string, unknown>;

const SCIM_ADVICE = "it is not counted as done and is tried again next run; check that command.scimUrl is Command's SCIM API (no proxy or web page in between)";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function idOf(json: unknown): string | undefined {
  if (!isObject(json)) return undefined;
  if (typeof json.id === "string" && json.id !== "") return json.id;
  if (typeof json.id === "number" && Number.isFinite(json.id)) return String(json.id);
  return undefined;
}

function isJsonMedia(media: string): boolean {
  return media === "application/scim+json" || media === "application/json" || /^application\/[\w.-]+\+json$/.test(media);
}

function shown(value: unknown): string {
  return typeof value === "string" ? `"${value.length > 80 ? `${value.slice(0, 79)}…` : value}"` : value === undefined ? "none" : JSON.stringify(value);
}

function what(expect: Expectation): string {
  switch (expect.kind) {
    case "resource":
      return `the ${expect.noun} it wrote (id ${expect.id})`;
    case "created-user":
      return `the User it created (${expect.userName})`;
    case "created-group":
      return `the Group it created (${expect.displayName})`;
  }
}

/** Why the answer does not confirm the write, or undefined when it does. */
function mismatch(method: Method, answer: Answer, expect: Expectation): string | undefined {
  if (answer.status === 204) return method === "PATCH" || method === "DELETE" ? undefined : "204 with no body";
  if (!isJsonMedia(answer.media) || !isObject(answer.json)) return `${answer.status} and ${answer.described}`;
  const json = answer.json;
  if (Array.isArray(json.schemas) && json.schemas.includes(ERROR_SCHEMA)) return `${answer.status} and a SCIM error (${shown(json.detail)})`;
  const id = idOf(json);
  switch (expect.kind) {
    case "resource":
      if (id !== expect.id) return `${answer.status} and ${id === undefined ? "a resource without an id" : `another resource (id ${id})`}`;
      if (expect.active !== undefined && typeof json.active === "boolean" && json.active !== expect.active) {
        return `${answer.status} and the ${expect.noun} still ${json.active ? "active" : "inactive"}`;
      }
      return undefined;
    case "created-user": {
      if (id === undefined) return `${answer.status} without the new User's id`;
      const userName = typeof json.userName === "string" ? json.userName : undefined;
      if (userName?.toLowerCase() !== expect.userName.toLowerCase() || json.externalId !== expect.externalId) {
        return `${answer.status} and another User (id ${id}, userName ${shown(json.userName)}, externalId ${shown(json.externalId)})`;
      }
      return undefined;
    }
    case "created-group": {
      if (id === undefined) return `${answer.status} without the new Group's id`;
      const name = typeof json.displayName === "string" ? json.displayName : undefined;
      if (name?.toLowerCase() !== expect.displayName.toLowerCase() || json.externalId !== expect.externalId) {
        return `${answer.status} and another Group (id ${id}, displayName ${shown(json.displayName)}, externalId ${shown(json.externalId)})`;
      }
      return undefined;
    }
  }
}

/**
 * The resource Command answered with (undefined for a 204), once the answer proves the write;
 * otherwise a ProtocolError saying what Command answered and what to check.
 */
export function confirmWrite(method: Method, shownPath: string, answer: Answer, expect: Expectation): JsonObject | undefined {
  const wrong = mismatch(method, answer, expect);
  if (wrong !== undefined) {
    throw new ProtocolError(`Command answered ${method} ${shownPath} with ${wrong}, not ${what(expect)}; ${SCIM_ADVICE}`);
  }
  return answer.status === 204 ? undefined : (answer.json as JsonObject);
}

/** The JSON object of a read, or a ProtocolError when the answer is not one. */
export function readObject(method: Method, shownPath: string, answer: Answer, noun: string): JsonObject {
  if (!isJsonMedia(answer.media) || !isObject(answer.json)) {
    throw new ProtocolError(`Command answered ${method} ${shownPath} with ${answer.status} and ${answer.described}, not ${noun}; check that command.scimUrl is Command's SCIM API`);
  }
  return answer.json;
}
