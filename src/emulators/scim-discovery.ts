/** The discovery endpoints (RFC 7644 section 4): ServiceProviderConfig, ResourceTypes, Schemas. */
import { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, ENTERPRISE_USER_SCHEMA } from "../model.js";

const SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";

export interface DiscoveryOptions {
  baseUrl: string;
  filterSupported: boolean;
  maxResults: number;
}

export function serviceProviderConfig(o: DiscoveryOptions): Record<string, unknown> {
  return {
    schemas: [SPC_SCHEMA],
    documentationUri: "https://help.verkada.com",
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: o.filterSupported, maxResults: o.maxResults },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "OAuth Bearer Token",
        description: "The SCIM token created in Command, sent as Authorization: Bearer <token>",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${o.baseUrl}/ServiceProviderConfig` },
  };
}

export function resourceTypes(baseUrl: string): Record<string, unknown>[] {
  const type = (id: string, schema: string, extensions: string[]) => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id,
    name: id,
    endpoint: `/${id}s`,
    description: `${id} accounts`,
    schema,
    schemaExtensions: extensions.map((s) => ({ schema: s, required: false })),
    meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/${id}` },
  });
  return [type("User", CORE_USER_SCHEMA, [ENTERPRISE_USER_SCHEMA]), type("Group", CORE_GROUP_SCHEMA, [])];
}

interface AttrOptions {
  multi?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: "readOnly" | "readWrite" | "immutable";
  uniqueness?: "none" | "server";
  sub?: Record<string, unknown>[];
}

function attr(name: string, type: string, o: AttrOptions = {}): Record<string, unknown> {
  const def: Record<string, unknown> = {
    name,
    type,
    multiValued: o.multi ?? false,
    description: name,
    required: o.required ?? false,
    caseExact: o.caseExact ?? false,
    mutability: o.mutability ?? "readWrite",
    returned: "default",
    uniqueness: o.uniqueness ?? "none",
  };
  if (o.sub !== undefined) def.subAttributes = o.sub;
  return def;
}

const typedValue = () => [attr("value", "string"), attr("display", "string"), attr("type", "string"), attr("primary", "boolean")];

function schemaDefinitions(): [string, string, Record<string, unknown>[]][] {
  const ref = (m: AttrOptions["mutability"]) => [
    attr("value", "string", { caseExact: true, mutability: m }),
    attr("$ref", "reference", { caseExact: true, mutability: m }),
    attr("display", "string", { mutability: "readOnly" }),
    attr("type", "string", { mutability: m }),
  ];
  const user = [
    attr("userName", "string", { required: true, uniqueness: "server" }),
    attr("name", "complex", { sub: ["formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"].map((n) => attr(n, "string")) }),
    ...["displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone"].map((n) => attr(n, "string")),
    attr("active", "boolean"),
    attr("emails", "complex", { multi: true, sub: typedValue() }),
    attr("phoneNumbers", "complex", { multi: true, sub: typedValue() }),
    attr("groups", "complex", { multi: true, mutability: "readOnly", sub: ref("readOnly") }),
  ];
  const enterprise = [
    ...["employeeNumber", "costCenter", "organization", "division", "department"].map((n) => attr(n, "string")),
    attr("manager", "complex", { sub: [attr("value", "string"), attr("$ref", "reference"), attr("displayName", "string", { mutability: "readOnly" })] }),
  ];
  const group = [attr("displayName", "string", { required: true }), attr("members", "complex", { multi: true, sub: ref("immutable") })];
  return [
    [CORE_USER_SCHEMA, "User", user],
    [ENTERPRISE_USER_SCHEMA, "EnterpriseUser", enterprise],
    [CORE_GROUP_SCHEMA, "Group", group],
  ];
}

export function schemas(baseUrl: string): Record<string, unknown>[] {
  return schemaDefinitions().map(([id, name, attributes]) => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description: `${name} schema`,
    attributes,
    meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${id}` },
  }));
}
