/** SCIM error responses (RFC 7644 section 3.12) as the emulator raises them. */
import { ERROR_SCHEMA } from "../model.js";

export type ScimType =
  | "invalidFilter"
  | "tooMany"
  | "uniqueness"
  | "mutability"
  | "invalidSyntax"
  | "invalidPath"
  | "noTarget"
  | "invalidValue"
  | "invalidVers"
  | "sensitive";

export class ScimError extends Error {
  readonly status: number;
  readonly scimType: ScimType | undefined;

  constructor(status: number, detail: string, scimType?: ScimType) {
    super(detail);
    this.name = "ScimError";
    this.status = status;
    this.scimType = scimType;
  }
}

export interface ScimErrorBody {
  schemas: string[];
  status: string;
  detail: string;
  scimType?: ScimType;
}

export function errorBody(status: number, detail: string, scimType?: ScimType): ScimErrorBody {
  const body: ScimErrorBody = { schemas: [ERROR_SCHEMA], status: String(status), detail };
  if (scimType !== undefined) body.scimType = scimType;
  return body;
}

export function badRequest(scimType: ScimType, detail: string): ScimError {
  return new ScimError(400, detail, scimType);
}

export function notFound(detail: string): ScimError {
  return new ScimError(404, detail);
}
