/** The emulator's Users: create, replace, patch, delete, query and render. */
import { CORE_USER_SCHEMA } from "../model.js";
import { notFound, ScimError } from "./scim-errors.js";
import { type AttrSource, type Filter, findKey, getCI, isObject, matchesFilter } from "./scim-filter.js";
import { applyOperation, deepEqual, type PatchContext, type PatchOperation } from "./scim-patch.js";
import { canonicalize, checkUserAttributes, MULTI_VALUED, USER_READ_ONLY, validateUserBody } from "./scim-resources.js";
import { candidatesOf, Index, type StoreContext, type UserRecord } from "./verkada-records.js";

export class UserStore {
  private readonly userNames = new Index(false);
  private readonly externalIds = new Index(true);
  private readonly patchContext: PatchContext;

  constructor(private readonly ctx: StoreContext) {
    this.patchContext = { readOnly: USER_READ_ONLY, multiValued: MULTI_VALUED, upsert: ctx.opts.patchNoTarget === "upsert" };
  }

  get(id: string): UserRecord | undefined {
    return this.ctx.users.get(id);
  }

  all(): UserRecord[] {
    return [...this.ctx.users.values()];
  }

  requireUser(id: string): UserRecord {
    const rec = this.ctx.users.get(id);
    if (rec === undefined) throw notFound(`User ${id} not found`);
    return rec;
  }

  createUser(body: unknown, id?: string): UserRecord {
    const attrs = validateUserBody(body, this.ctx.opts.extensions);
    if (getCI(attrs, "active") === undefined) attrs.active = true;
    this.assertUserNameFree(attrs, undefined);
    const rec: UserRecord = { ...this.ctx.fresh(id, this.ctx.users), groups: new Set() };
    rec.attrs = attrs;
    this.ctx.users.set(rec.id, rec);
    this.indexUser(rec, true);
    return rec;
  }

  /** PUT: attributes left out are removed; `active` left out takes its default, true. */
  replaceUser(id: string, body: unknown): UserRecord {
    const rec = this.requireUser(id);
    const attrs = validateUserBody(body, this.ctx.opts.extensions);
    if (getCI(attrs, "active") === undefined) attrs.active = true;
    return this.commitUser(rec, attrs, true);
  }

  /** PATCH is atomic: operations apply to a copy that replaces the user only if all succeed. */
  patchUser(id: string, ops: readonly PatchOperation[]): UserRecord {
    const rec = this.requireUser(id);
    let attrs = structuredClone(rec.attrs);
    for (const op of ops) applyOperation(attrs, op, { ...this.patchContext, currentId: rec.id });
    attrs = canonicalize(attrs, this.ctx.opts.extensions);
    checkUserAttributes(attrs, this.ctx.opts.extensions);
    return this.commitUser(rec, attrs, true);
  }

  /** An admin's edit in Command: top-level attributes merged, null removes. */
  updateUserDirect(id: string, patch: Record<string, unknown>): UserRecord {
    const rec = this.requireUser(id);
    const attrs = structuredClone(rec.attrs);
    for (const [key, value] of Object.entries(patch)) {
      const k = findKey(attrs, key) ?? key;
      if (value === null || value === undefined) delete attrs[k];
      else attrs[k] = structuredClone(value);
    }
    checkUserAttributes(attrs, this.ctx.opts.extensions);
    return this.commitUser(rec, attrs, false);
  }

  private commitUser(rec: UserRecord, attrs: Record<string, unknown>, fromClient: boolean): UserRecord {
    if (fromClient && this.ctx.opts.userNameChanges === "ignore") {
      // Command's documented quirk: a changed username does not take effect.
      attrs[findKey(attrs, "userName")!] = getCI(rec.attrs, "userName");
    }
    this.assertUserNameFree(attrs, rec.id);
    if (deepEqual(attrs, rec.attrs)) return rec;
    this.indexUser(rec, false);
    rec.attrs = attrs;
    this.indexUser(rec, true);
    this.ctx.touch(rec);
    return rec;
  }

  deleteUser(id: string): void {
    const rec = this.requireUser(id);
    for (const groupId of rec.groups) {
      const group = this.ctx.groups.get(groupId);
      if (group?.members.delete(id)) this.ctx.touch(group);
    }
    this.indexUser(rec, false);
    this.ctx.users.delete(id);
  }

  private assertUserNameFree(attrs: Record<string, unknown>, self: string | undefined): void {
    const userName = getCI(attrs, "userName");
    if (this.userNames.others(userName, self).length > 0) {
      throw new ScimError(409, `userName ${String(userName)} is already taken`, "uniqueness");
    }
  }

  private indexUser(rec: UserRecord, add: boolean): void {
    const op = add ? "add" : "remove";
    this.userNames[op](getCI(rec.attrs, "userName"), rec.id);
    this.externalIds[op](getCI(rec.attrs, "externalId"), rec.id);
  }

  queryUsers(filter: Filter | undefined): UserRecord[] {
    const all = this.ctx.users;
    const candidates = candidatesOf(filter, all, [
      ["userName", this.userNames],
      ["externalId", this.externalIds],
    ]);
    return filter === undefined ? candidates : candidates.filter((rec) => matchesFilter(filter, this.userSource(rec)));
  }

  private userSource(rec: UserRecord): AttrSource {
    return (name) => {
      const lower = name.toLowerCase();
      if (lower === "id") return rec.id;
      if (lower === "meta") return this.ctx.meta(rec, "User");
      if (lower === "groups") return this.userGroups(rec);
      return getCI(rec.attrs, name);
    };
  }

  private userGroups(rec: UserRecord) {
    return [...rec.groups].map((gid) => ({
      value: gid,
      display: getCI(this.ctx.groups.get(gid)?.attrs ?? {}, "displayName"),
      $ref: `${this.ctx.opts.baseUrl()}/Groups/${gid}`,
      type: "direct",
    }));
  }

  renderUser(rec: UserRecord): Record<string, unknown> {
    const schemas = [CORE_USER_SCHEMA, ...this.ctx.opts.extensions.filter((ext) => isObject(rec.attrs[ext]))];
    const out: Record<string, unknown> = { schemas, id: rec.id, ...rec.attrs };
    if (rec.groups.size > 0) out.groups = this.userGroups(rec);
    out.meta = this.ctx.meta(rec, "User");
    return out;
  }
}
