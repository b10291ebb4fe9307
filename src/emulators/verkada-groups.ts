/** The emulator's Groups, with members held as sets of user ids. */
import { CORE_GROUP_SCHEMA } from "../model.js";
import { badRequest, notFound, ScimError } from "./scim-errors.js";
import { type AttrSource, type Filter, findKey, getCI, isObject, matchesFilter } from "./scim-filter.js";
import { applyOperation, deepEqual, type PatchContext, type PatchOperation } from "./scim-patch.js";
import { canonicalize, checkGroupAttributes, GROUP_READ_ONLY, MULTI_VALUED, memberIdsOf, validateGroupBody } from "./scim-resources.js";
import { candidatesOf, type GroupRecord, Index, type StoreContext } from "./verkada-records.js";

export class GroupStore {
  private readonly names = new Index(false);
  private readonly externalIds = new Index(true);
  private readonly patchContext: PatchContext;

  constructor(private readonly ctx: StoreContext) {
    this.patchContext = { readOnly: GROUP_READ_ONLY, multiValued: MULTI_VALUED, upsert: ctx.opts.patchNoTarget === "upsert" };
  }

  get(id: string): GroupRecord | undefined {
    return this.ctx.groups.get(id);
  }

  all(): GroupRecord[] {
    return [...this.ctx.groups.values()];
  }

  requireGroup(id: string): GroupRecord {
    const rec = this.ctx.groups.get(id);
    if (rec === undefined) throw notFound(`Group ${id} not found`);
    return rec;
  }

  createGroup(body: unknown, id?: string): GroupRecord {
    const { attrs, memberIds } = validateGroupBody(body);
    this.assertGroupNameFree(attrs, undefined);
    const members = new Set(this.knownMembers(memberIds ?? []));
    // Seeding (a chosen id) sets up a test's state; a client's POST obeys Command's rule.
    if (id === undefined) this.assertActiveChanges(new Set(), members);
    const rec: GroupRecord = { ...this.ctx.fresh(id, this.ctx.groups), members: new Set() };
    rec.attrs = attrs;
    this.ctx.groups.set(rec.id, rec);
    this.indexGroup(rec, true);
    this.setMembers(rec, members);
    return rec;
  }

  /** PUT: members left out are removed, as any other attribute. */
  replaceGroup(id: string, body: unknown): GroupRecord {
    const rec = this.requireGroup(id);
    const { attrs, memberIds } = validateGroupBody(body);
    const members = new Set(this.knownMembers(memberIds ?? []));
    this.assertActiveChanges(rec.members, members);
    return this.commitGroup(rec, attrs, members);
  }

  patchGroup(id: string, ops: readonly PatchOperation[]): GroupRecord {
    const rec = this.requireGroup(id);
    const attrs = structuredClone(rec.attrs);
    const members = new Set(rec.members);
    for (const op of ops) {
      const target = op.path?.path;
      if (target !== undefined && target.urn === undefined && target.attr.toLowerCase() === "members") {
        this.patchMembers(members, op);
        continue;
      }
      const membersKey = op.path === undefined && isObject(op.value) ? findKey(op.value, "members") : undefined;
      if (membersKey !== undefined && isObject(op.value)) {
        const { [membersKey]: value, ...rest } = op.value;
        const asPath = { path: { urn: undefined, attr: "members", sub: undefined }, filter: undefined };
        this.patchMembers(members, { ...op, path: asPath, value });
        applyOperation(attrs, { ...op, value: rest }, { ...this.patchContext, currentId: rec.id });
        continue;
      }
      applyOperation(attrs, op, { ...this.patchContext, currentId: rec.id });
    }
    const canonical = canonicalize(attrs, []);
    checkGroupAttributes(canonical);
    this.assertActiveChanges(rec.members, members);
    return this.commitGroup(rec, canonical, members);
  }

  private patchMembers(members: Set<string>, op: PatchOperation): void {
    const { filter, path } = op.path!;
    if (path.sub !== undefined && path.sub.toLowerCase() !== "value") throw badRequest("invalidPath", `invalid path "${op.rawPath}"`);
    if (op.op === "remove") {
      if (filter !== undefined) {
        for (const id of [...members]) if (matchesFilter(filter, this.memberSource(id), "members")) members.delete(id);
      } else if (op.value !== undefined) {
        for (const id of memberIdsOf(op.value)) members.delete(id);
      } else {
        members.clear();
      }
      return;
    }
    if (filter !== undefined) throw badRequest("invalidPath", `${op.op} cannot take a filter on members`);
    const ids = op.value === null ? [] : this.knownMembers(memberIdsOf(op.value));
    if (op.op === "replace") members.clear();
    for (const id of ids) members.add(id);
  }

  private memberSource(id: string): AttrSource {
    return (name) => {
      const lower = name.toLowerCase();
      if (lower === "value") return id;
      if (lower === "type") return "User";
      if (lower === "$ref") return `${this.ctx.opts.baseUrl()}/Users/${id}`;
      if (lower === "display") return this.memberDisplay(id);
      return undefined;
    };
  }

  private memberDisplay(id: string): unknown {
    const attrs = this.ctx.users.get(id)?.attrs ?? {};
    return getCI(attrs, "displayName") ?? getCI(attrs, "userName");
  }

  /** Unknown ids are refused with 400 invalidValue, or dropped when configured to ignore. */
  private knownMembers(ids: readonly string[]): string[] {
    const unknown = ids.filter((id) => !this.ctx.users.has(id));
    if (unknown.length > 0 && this.ctx.opts.unknownMembers === "reject") {
      throw badRequest("invalidValue", `no such user: ${unknown.join(", ")}`);
    }
    return unknown.length === 0 ? [...ids] : ids.filter((id) => this.ctx.users.has(id));
  }

  /** An admin's edit in Command. */
  updateGroupDirect(id: string, patch: { displayName?: string; externalId?: string | null; memberIds?: readonly string[] }): GroupRecord {
    const rec = this.requireGroup(id);
    const attrs = structuredClone(rec.attrs);
    if (patch.displayName !== undefined) attrs[findKey(attrs, "displayName") ?? "displayName"] = patch.displayName;
    if (patch.externalId === null) delete attrs[findKey(attrs, "externalId") ?? "externalId"];
    else if (patch.externalId !== undefined) attrs[findKey(attrs, "externalId") ?? "externalId"] = patch.externalId;
    checkGroupAttributes(attrs);
    const members = patch.memberIds === undefined ? new Set(rec.members) : new Set(this.knownMembers(patch.memberIds));
    return this.commitGroup(rec, attrs, members);
  }

  /** Verkada's rule: a deactivated user can neither join nor leave a group until reactivated. */
  private assertActiveChanges(before: ReadonlySet<string>, after: ReadonlySet<string>): void {
    if (this.ctx.opts.inactiveMembers !== "reject") return;
    const changed = [...after].filter((id) => !before.has(id)).concat([...before].filter((id) => !after.has(id)));
    const inactive = changed.filter((id) => {
      const user = this.ctx.users.get(id);
      return user !== undefined && getCI(user.attrs, "active") === false;
    });
    if (inactive.length > 0) {
      throw badRequest("invalidValue", `user ${inactive.join(", ")} is deactivated: its group memberships cannot be changed until it is reactivated`);
    }
  }

  private commitGroup(rec: GroupRecord, attrs: Record<string, unknown>, members: Set<string>): GroupRecord {
    this.assertGroupNameFree(attrs, rec.id);
    const attrsChanged = !deepEqual(attrs, rec.attrs);
    const membersChanged = members.size !== rec.members.size || [...members].some((id) => !rec.members.has(id));
    if (!attrsChanged && !membersChanged) return rec;
    if (attrsChanged) {
      this.indexGroup(rec, false);
      rec.attrs = attrs;
      this.indexGroup(rec, true);
    }
    this.setMembers(rec, members);
    this.ctx.touch(rec);
    return rec;
  }

  private setMembers(rec: GroupRecord, members: Set<string>): void {
    for (const id of rec.members) if (!members.has(id)) this.ctx.users.get(id)?.groups.delete(rec.id);
    for (const id of members) this.ctx.users.get(id)?.groups.add(rec.id);
    rec.members = members;
  }

  deleteGroup(id: string): void {
    const rec = this.requireGroup(id);
    this.setMembers(rec, new Set());
    this.indexGroup(rec, false);
    this.ctx.groups.delete(id);
  }

  private assertGroupNameFree(attrs: Record<string, unknown>, self: string | undefined): void {
    const name = getCI(attrs, "displayName");
    if (this.ctx.opts.uniqueGroupNames && this.names.others(name, self).length > 0) {
      throw new ScimError(409, `a group named ${String(name)} already exists`, "uniqueness");
    }
  }

  private indexGroup(rec: GroupRecord, add: boolean): void {
    const op = add ? "add" : "remove";
    this.names[op](getCI(rec.attrs, "displayName"), rec.id);
    this.externalIds[op](getCI(rec.attrs, "externalId"), rec.id);
  }

  queryGroups(filter: Filter | undefined): GroupRecord[] {
    const candidates = candidatesOf(filter, this.ctx.groups, [
      ["displayName", this.names],
      ["externalId", this.externalIds],
    ]);
    return filter === undefined ? candidates : candidates.filter((rec) => matchesFilter(filter, this.groupSource(rec)));
  }

  private groupSource(rec: GroupRecord): AttrSource {
    return (name) => {
      const lower = name.toLowerCase();
      if (lower === "id") return rec.id;
      if (lower === "meta") return this.ctx.meta(rec, "Group");
      if (lower === "members") return [...rec.members].map((value) => ({ value, type: "User" }));
      return getCI(rec.attrs, name);
    };
  }

  renderGroup(rec: GroupRecord, withMembers = true): Record<string, unknown> {
    const out: Record<string, unknown> = { schemas: [CORE_GROUP_SCHEMA], id: rec.id, ...rec.attrs };
    if (withMembers) {
      const base = this.ctx.opts.baseUrl();
      out.members = [...rec.members].map((value) => ({ value, display: this.memberDisplay(value), $ref: `${base}/Users/${value}`, type: "User" }));
    }
    out.meta = this.ctx.meta(rec, "Group");
    return out;
  }
}
