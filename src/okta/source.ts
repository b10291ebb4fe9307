/**
 * The Okta source: what the use cases ask of Okta. It pulls the app's users and groups (from the
 * Okta cache and the System Log when they allow it), maps them to the desired state with the
 * run's compiled mapping, keeps an accepted pull for the next one, and runs `check`'s probes.
 *
 * The Okta adapter (its HTTP client and auth) is loaded here only when Okta is read, so a
 * command that never reads Okta (`check --skip-remote`, `runs`) does not pay for it.
 */
import type { AttributeMapping } from "../config/types.js";
import type { WaitListener } from "../http/clock.js";
import type { ResponseListener } from "../http/http-event.js";
import type { RetryConfig } from "../http/retry-policy.js";
import type { CheckResult } from "../checklist.js";
import { ConfigError, SyncError } from "../errors.js";
import type { DesiredState, OktaGroupView, SnapshotUser } from "../model.js";
import { desiredStateBuilder, type LinkedUsers, linkedUserNames } from "./desired-state.js";
import type { CompiledMapping, MappingOptions } from "./mapping.js";
import { type CacheSettings, cacheMatches, incrementalBase, type KeptPull, type OktaCacheStore, savePullCache } from "./pull-cache.js";
import type { IncrementalBase, OktaPullOptions } from "./types.js";

/** `groups` is `groups.push`; `excludeGroups` is `groups.exclude` (not applied to `backfill --group`, which names its groups). */
export interface OktaSourceSettings extends Pick<OktaPullOptions, "orgUrl" | "appId" | "auth" | "groups" | "excludeGroups"> {
  mapping: CompiledMapping;
  /** What the mapping needs besides its rules. */
  users: Omit<MappingOptions, "attributes" | "phoneType"> & { outsideDomains: "warn" | "skip"; exclude?: readonly string[] | undefined };
  attributes: readonly AttributeMapping[];
  phoneType: string;
  /** `command.domains`. */
  domains: readonly string[];
  retry: RetryConfig;
  maxRateShare: number;
  timeoutMs: number;
  /** `sync.fullEvery` (ms). */
  fullEveryMs: number | undefined;
}

export interface OktaSourceDeps {
  /** The snapshot DB whose Okta cache a pull may start from (read-only is fine); none: always read everything. */
  cache?: OktaCacheStore | undefined;
  signal?: AbortSignal | undefined;
  onResponse?: ResponseListener | undefined;
  onWait?: WaitListener | undefined;
  now?: () => Date;
}

export type PullProgress = { kind: "appUsers" | "groups" | "members"; read: number };

export interface PullRequest {
  /** `sync --incremental`: start from the cache and the System Log when they allow it. */
  incremental?: boolean | undefined;
  /** Okta user id -> userName of the users the snapshot links: in a userName collision they keep the name. Default: those of `known`. */
  linked?: LinkedUsers | undefined;
  /** The snapshot's users by Okta id: an unchanged user's desired state shares the snapshot's objects. */
  known?: ReadonlyMap<string, Pick<SnapshotUser, "oktaId" | "userName" | "attributes">> | undefined;
  /** Okta group names or ids to read instead of `groups.push` (`backfill --group`). */
  groups?: readonly string[] | undefined;
  /** Users outside `command.domains` are kept with a warning, whatever `users.outsideDomains` says (`check`). */
  keepOutsideDomains?: boolean | undefined;
  onProgress?: (event: PullProgress) => void;
}

/** How the pull went, for the result and the logs. */
export interface PullSummary {
  mode: "full" | "incremental";
  /** HTTP requests sent to Okta. */
  requests: number;
  /** Why a run asked to be incremental read everything instead. */
  fallback?: string | undefined;
  /** Incremental: new System Log events, users re-read, users no longer assigned. */
  events?: number | undefined;
  usersReread?: number | undefined;
  usersRemoved?: number | undefined;
  /** Groups whose members were reused because their lastMembershipUpdated did not move. */
  membersReused: number;
}

export interface Pulled {
  desired: DesiredState;
  /** The groups as Okta lists them (members of every status), for narrowing a run to some of them. */
  groups: readonly OktaGroupView[];
  /** Assigned app users read, for the logs. */
  appUsersRead: number;
  /** CPU seconds spent mapping the pull to the desired state. */
  mappingCpuSeconds: number;
  summary: PullSummary;
  /** What `keep` stores. */
  pull: KeptPull;
}

export interface OktaSource {
  pullDesired(request?: PullRequest): Promise<Pulled>;
  /** Keep an accepted pull of the whole push list for the next one. */
  keep(pulled: Pulled, incremental: boolean): void;
  /** `check`'s Okta probes, each request with this deadline. */
  probe(timeoutMs: number, requiredScopes: readonly string[]): Promise<CheckResult[]>;
}

/** CPU seconds (user + system) this process used since `before`. */
export function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

function rethrow(error: unknown): never {
  throw error;
}

const PUSH_PREFIX = "groups.push: ";

/** Groups named with `backfill --group` are not `groups.push` entries: the error names the flag. */
function asGroupFlagError(error: unknown): never {
  if (error instanceof ConfigError && error.problems.length > 0 && error.problems.every((p) => p.startsWith(PUSH_PREFIX))) {
    const problems = error.problems.map((p) => p.slice(PUSH_PREFIX.length));
    const hint = error.hint?.startsWith("did you mean") ? error.hint : "give the group's name exactly as Okta shows it (Directory > Groups), case included, or its id (00g...)";
    throw new SyncError("usage", `--group: ${problems.join("; ")}`, { hint, cause: error });
  }
  throw error;
}

export function createOktaSource(settings: OktaSourceSettings, deps: OktaSourceDeps = {}): OktaSource {
  const cacheSettings: CacheSettings = {
    orgUrl: settings.orgUrl,
    appId: settings.appId,
    groups: settings.groups,
    excludeGroups: settings.excludeGroups,
    projection: settings.mapping.projection,
    fullEveryMs: settings.fullEveryMs,
  };
  return {
    async pullDesired(request = {}) {
      const { cache } = deps;
      const groups = request.groups === undefined ? settings.groups : [...request.groups];
      const cached = cache !== undefined && cacheMatches(cache, cacheSettings);
      const now = deps.now?.() ?? new Date();
      let incremental: IncrementalBase | undefined;
      let notIncremental: string | undefined;
      if (request.incremental === true) {
        const base = cached && cache !== undefined ? incrementalBase(cache, { ...cacheSettings, groups }, now) : "no earlier full pull to start from";
        if (typeof base === "string") notIncremental = base;
        else incremental = base;
      }
      const builder = desiredStateBuilder({
        attributes: settings.attributes,
        phoneType: settings.phoneType,
        rules: settings.mapping.rules,
        ...settings.users,
        ...(request.keepOutsideDomains === true ? { outsideDomains: "warn" as const } : {}),
        domains: settings.domains,
        ...(request.linked === undefined ? (request.known === undefined ? {} : { linked: linkedUserNames(request.known) }) : { linked: request.linked }),
        ...(request.known === undefined ? {} : { known: (oktaId: string) => request.known?.get(oktaId) }),
      });
      // The app users are needed past the mapping only to start following the log (a full pull
      // of an incremental run): then each page is staged in the DB as it is read, never all held.
      const staging = request.incremental === true && cache !== undefined && cache.readonly !== true ? cache.oktaCache : undefined;
      staging?.beginStagingAppUsers();
      let mappingCpuSeconds = 0;
      const { pullFromOkta } = await import("./pull.js");
      const pull = await pullFromOkta(
        {
          orgUrl: settings.orgUrl,
          appId: settings.appId,
          auth: settings.auth,
          groups,
          excludeGroups: request.groups === undefined ? settings.excludeGroups : undefined,
          projection: settings.mapping.projection,
          // Member ids as the snapshot's own strings: one copy per user, compared by identity.
          previousGroups: cached ? cache?.oktaCache.loadGroups(request.known === undefined ? undefined : (id) => request.known?.get(id)?.oktaId) : undefined,
          incremental,
          trackLog: request.incremental === true,
          // Each page is mapped as it arrives and let go: the raw users of a large org are never all held.
          onAppUsers: (views, from) => {
            const before = process.cpuUsage();
            for (const view of views) builder.add(view);
            mappingCpuSeconds += cpuSecondsSince(before);
            if (from === "okta") staging?.stageAppUsers(views);
          },
          ...(request.onProgress === undefined ? {} : { onProgress: request.onProgress }),
        },
        {
          retry: settings.retry,
          maxRateShare: settings.maxRateShare,
          requestTimeoutMs: settings.timeoutMs,
          ...(deps.onWait === undefined ? {} : { onWait: deps.onWait }),
          ...(deps.signal === undefined ? {} : { signal: deps.signal }),
          ...(deps.onResponse === undefined ? {} : { onResponse: deps.onResponse }),
        },
      ).catch(request.groups === undefined ? rethrow : asGroupFlagError);
      const cpuBefore = process.cpuUsage();
      const built = builder.finish(pull.groups);
      const desired = (pull.warnings?.length ?? 0) > 0 ? { ...built, warnings: [...(pull.warnings ?? []), ...built.warnings] } : built;
      mappingCpuSeconds += cpuSecondsSince(cpuBefore);
      // An incremental pull's users are kept by their changes alone (pull.changedUsers).
      const { appUsers: _appUsers, ...rest } = pull;
      const keptPull: KeptPull = { ...rest, appUsersStaged: staging !== undefined && pull.mode === "full" };
      const summary: PullSummary = {
        mode: pull.mode,
        requests: pull.requests,
        fallback: pull.fallback ?? notIncremental,
        membersReused: pull.membersReused,
        ...(pull.mode === "incremental"
          ? { events: pull.events, usersReread: pull.changedUsers?.upserts.length ?? 0, usersRemoved: pull.changedUsers?.removed.length ?? 0 }
          : {}),
      };
      return { desired, groups: pull.groups, appUsersRead: pull.appUsersRead, mappingCpuSeconds, summary, pull: keptPull };
    },

    keep(pulled, incremental) {
      if (deps.cache === undefined) return;
      savePullCache(deps.cache, cacheSettings, pulled.pull, incremental, deps.now?.() ?? new Date());
    },

    async probe(timeoutMs, requiredScopes) {
      const { probeOkta } = await import("./probe.js");
      return probeOkta(
        { orgUrl: settings.orgUrl, appId: settings.appId, auth: settings.auth, groups: settings.groups, requiredScopes },
        timeoutMs,
      );
    },
  };
}
