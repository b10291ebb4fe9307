/**
 * The deployment files (Dockerfile, Kubernetes manifests, systemd units, crontab) checked as
 * data: no container engine or cluster runs here, so these tests parse the files and hold the
 * fields that matter against each other, against the README and against the config loader.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/config/load.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const K8S = join(REPO, "deploy", "kubernetes");

function read(...parts: string[]): string {
  return readFileSync(join(REPO, ...parts), "utf8");
}

type Tree = Record<string, unknown>;

function isTree(value: unknown): value is Tree {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function tree(value: unknown, what: string): Tree {
  if (!isTree(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** Kubernetes manifests are read as kubectl reads them: YAML 1.1 (so 0440 is octal). */
function readManifest(file: string): Tree {
  return tree(parseYaml(readFileSync(join(K8S, file), "utf8"), { version: "1.1" }), file);
}

// ---- Dockerfile ------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions with line continuations joined and comments dropped. */
function dockerInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = `${pending}${line}`.trim();
    pending = "";
    const match = /^(\S+)\s*(.*)$/.exec(whole)!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  return instructions;
}

function dockerStages(text: string): { args: Record<string, string>; stages: Stage[] } {
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const instruction of dockerInstructions(text)) {
    if (instruction.keyword === "FROM") {
      const [image, as, name] = instruction.args.split(/\s+/);
      const resolved = image!.replace(/\$\{?(\w+)\}?/g, (_m, arg: string) => globalArgs[arg] ?? "");
      stages.push({ image: resolved, name: as?.toUpperCase() === "AS" ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [key, value] = instruction.args.split("=");
      globalArgs[key!] = value ?? "";
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args: globalArgs, stages };
}

/** `ENV A=1 B=2` (the key=value form) of a stage, merged. */
function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.keyword === "ENV")) {
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf("=");
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1);
    }
  }
  return env;
}

function only(stage: Stage, keyword: string): Instruction {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  expect(found, `exactly one ${keyword} in the final stage`).toHaveLength(1);
  return found[0]!;
}

const dockerfile = dockerStages(read("Dockerfile"));
const finalStage = dockerfile.stages.at(-1)!;
const imageEnv = stageEnv(finalStage);
const userMatch = /^(\d+)(?::(\d+))?$/.exec(only(finalStage, "USER").args);
const IMAGE_UID = Number(userMatch?.[1]);
const IMAGE_GID = Number(userMatch?.[2] ?? userMatch?.[1]);
const IMAGE_STATE = imageEnv.OCS_STATE!;
const IMAGE_CONFIG = imageEnv.OCS_CONFIG!;

/** The one run every scheduled set-up (cron, systemd, Kubernetes, the image's default) makes. */
const SCHEDULED_RUN = ["sync", "--incremental"];

/** Names of secrets as environment variables (the *_FILE variants name files, not secrets). */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PRIVATE_KEY/;

/** Every environment variable the README's table documents, plus those config.example.yaml names. */
function documentedEnv(): Set<string> {
  const names = new Set<string>();
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("| environment | sets |"));
  for (const row of table.split("\n").slice(2)) {
    if (!row.startsWith("|")) break;
    const firstCell = row.split("|")[1] ?? "";
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(name!);
  }
  for (const [, name] of read("config.example.yaml").matchAll(/\b((?:OKTA|COMMAND|OCS)_[A-Z0-9_]+)\b/g)) names.add(name!);
  return names;
}

const DOCUMENTED_ENV = documentedEnv();

describe("Dockerfile", () => {
  it("is multi-stage on Node 22 slim", () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile.stages) expect(stage.image).toMatch(/^node:22[\w.-]*-slim$/);
  });

  it("builds with the full dependencies and ships only the production ones", () => {
    const build = dockerfile.stages.find((stage) => stage.name === "build")!;
    const buildRuns = build.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args);
    expect(buildRuns.some((run) => /\bnpm ci\b/.test(run))).toBe(true);
    expect(buildRuns.some((run) => /\bnpm run build\b/.test(run))).toBe(true);
    expect(buildRuns.some((run) => /\bnpm prune\b.*--omit=dev/.test(run) || /\bnpm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(JSON.parse(read("package.json")).scripts.build).toMatch(/\btsc\b/);

    // The final stage installs nothing: it copies the pruned node_modules from the build stage.
    for (const run of finalStage.instructions.filter((i) => i.keyword === "RUN")) {
      expect(run.args).not.toMatch(/\b(npm|yarn|pnpm)\s+(ci|install|i|add)\b/);
    }
    const copies = finalStage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD");
    const nodeModules = copies.find((copy) => /\bnode_modules\b/.test(copy.args));
    expect(nodeModules?.args).toMatch(/^--from=build\s/);
  });

  it("copies only what the program needs into the final image", () => {
    // The program's files, and the licence that must travel with every copy.
    const allowed = new Set(["package.json", "node_modules", "dist", "bin", "config.example.yaml", "LICENSE"]);
    for (const copy of finalStage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
      expect(copy.keyword).toBe("COPY");
      const words = copy.args.split(/\s+/).filter((word) => !word.startsWith("--"));
      for (const source of words.slice(0, -1)) expect(allowed, `COPY ${copy.args}`).toContain(posix.basename(source));
    }
  });

  it("runs as a fixed non-root uid", () => {
    expect(Number.isInteger(IMAGE_UID)).toBe(true);
    expect(IMAGE_UID).toBeGreaterThan(0);
    expect(IMAGE_GID).toBeGreaterThan(0);
    const setup = finalStage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args).join("\n");
    expect(setup).toContain(`--uid ${IMAGE_UID}`);
    // The state directory in the image belongs to that user, so a fresh named volume does too.
    expect(setup).toContain(`chown ${IMAGE_UID}:${IMAGE_GID} ${posix.dirname(IMAGE_STATE)}`);
  });

  it("starts the CLI from /app with the scheduled sync as the default command", () => {
    expect(only(finalStage, "WORKDIR").args).toBe("/app");
    expect(JSON.parse(only(finalStage, "ENTRYPOINT").args)).toEqual(["node", "/app/bin/okta-command-sync.js"]);
    expect(JSON.parse(only(finalStage, "CMD").args)).toEqual(SCHEDULED_RUN);
    expect(read("bin", "okta-command-sync.js")).toContain("../dist/bin/main.js");
  });

  it("keeps the state in a volume and the config under /etc", () => {
    expect(imageEnv.NODE_ENV).toBe("production");
    expect(IMAGE_STATE).toBe("/var/lib/okta-command-sync/okta-command-sync.db");
    expect(IMAGE_CONFIG).toBe("/etc/okta-command-sync/config.yaml");
    expect(JSON.parse(only(finalStage, "VOLUME").args)).toEqual([posix.dirname(IMAGE_STATE)]);
  });

  it("bakes in no secrets, and sets only documented variables", () => {
    for (const stage of dockerfile.stages) {
      for (const name of Object.keys(stageEnv(stage))) expect(name).not.toMatch(SECRET_NAME);
      for (const arg of stage.instructions.filter((i) => i.keyword === "ARG")) expect(arg.args).not.toMatch(SECRET_NAME);
    }
    for (const name of Object.keys(imageEnv).filter((n) => n !== "NODE_ENV")) expect(DOCUMENTED_ENV).toContain(name);
  });

  it("has a .dockerignore that leaves out build output, the repository and snapshots, but not the sources", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.replace(/\/$/, ""));
    for (const entry of ["node_modules", "dist", ".git", "*.db", "test", "coverage", "config.yaml"]) expect(ignored).toContain(entry);
    expect(ignored).not.toContain("*");
    const sources = dockerfile.stages
      .flatMap((stage) => stage.instructions)
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"))
      .flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(ignored).not.toContain(source.replace(/\/$/, ""));
      expect(existsSync(join(REPO, source)), source).toBe(true);
    }
  });
});

// ---- Kubernetes ------------------------------------------------------------------------------

const manifestFiles = readdirSync(K8S).filter((file) => file.endsWith(".yaml"));
const kustomization = readManifest("kustomization.yaml");
const byKind = new Map<string, Tree>();
for (const file of manifestFiles.filter((f) => f !== "kustomization.yaml")) {
  const manifest = readManifest(file);
  byKind.set(String(manifest.kind), manifest);
}

const cronJob = tree(byKind.get("CronJob"), "CronJob");
const cronSpec = tree(cronJob.spec, "CronJob.spec");
const jobSpec = tree(tree(cronSpec.jobTemplate, "jobTemplate").spec, "jobTemplate.spec");
const podSpec = tree(tree(jobSpec.template, "template").spec, "pod spec");
const containers = list(podSpec.containers, "containers").map((c, i) => tree(c, `containers[${i}]`));
const container = containers[0]!;
const volumes = list(podSpec.volumes, "volumes").map((v, i) => tree(v, `volumes[${i}]`));
const mounts = list(container.volumeMounts, "volumeMounts").map((m, i) => tree(m, `volumeMounts[${i}]`));

interface EnvVar {
  name: string;
  value?: unknown;
  valueFrom?: Tree;
}

const containerEnv = list(container.env, "env") as EnvVar[];
const envValue = (name: string): string => String(containerEnv.find((e) => e.name === name)?.value);

function volumeNamed(name: unknown): Tree {
  const volume = volumes.find((v) => v.name === name);
  if (volume === undefined) throw new Error(`no volume named ${String(name)}`);
  return volume;
}

function mountAt(path: string): Tree {
  const mount = mounts.find((m) => m.mountPath === path);
  if (mount === undefined) throw new Error(`nothing mounted at ${path}`);
  return mount;
}

const secretExample = readManifest("secret.example.yaml");
const secretData = tree(secretExample.stringData, "Secret stringData");

/**
 * The commented-out alternative in cronjob.yaml (tokens as environment variables), uncommented
 * and parsed, so that it cannot drift from the Secret it names.
 */
function alternativeEnv(): EnvVar[] {
  const lines = readFileSync(join(K8S, "cronjob.yaml"), "utf8").split("\n");
  const start = lines.findIndex((line) => /#\s*Alternative: the tokens as environment variables/.test(line));
  expect(start).toBeGreaterThan(0);
  const block: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const match = /^\s*# ?(.*)$/.exec(line);
    if (match === null) break;
    if (/^\s*-|^\s{2,}\w/.test(match[1]!)) block.push(match[1]!);
  }
  return list(parseYaml(block.join("\n")), "alternative env") as EnvVar[];
}

/** Key paths of a parsed YAML tree: `okta.orgUrl`, `groups.push`, `attributes[].okta`. */
function keyPaths(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => (isTree(item) ? keyPaths(item, `${prefix}[]`) : []));
  if (!isTree(value)) return [];
  return Object.entries(value).flatMap(([key, item]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    return [path, ...keyPaths(item, path)];
  });
}

/**
 * The keys config.example.yaml documents: those set in it, and those shown commented out inside
 * a section (`  # tokenFile: ...`), which are options too.
 */
function exampleKeyPaths(): Set<string> {
  const text = read("config.example.yaml");
  const uncommented = text
    .split("\n")
    .map((line) => line.replace(/^(\s+)# (\w+):(\s|$)/, "$1$2:$3"))
    .join("\n");
  return new Set([...keyPaths(parseYaml(text)), ...keyPaths(parseYaml(uncommented))]);
}

const configMap = tree(byKind.get("ConfigMap"), "ConfigMap");
const configText = String(tree(configMap.data, "ConfigMap data")["config.yaml"]);

describe("Kubernetes manifests", () => {
  it("kustomization.yaml lists every manifest in the directory, and not the example Secret", () => {
    const resources = list(kustomization.resources, "resources").map(String);
    const expected = manifestFiles.filter((f) => f !== "kustomization.yaml" && !f.endsWith(".example.yaml"));
    expect([...resources].sort()).toEqual([...expected].sort());
    expect(resources).not.toContain("secret.example.yaml");
    const namespace = tree(byKind.get("Namespace"), "Namespace");
    expect(kustomization.namespace).toBe(tree(namespace.metadata, "metadata").name);
  });

  it("runs one sync at a time on a schedule, without retries inside a Job", () => {
    expect(cronSpec.concurrencyPolicy).toBe("Forbid");
    expect(String(cronSpec.schedule).split(/\s+/)).toHaveLength(5);
    expect(cronSpec.startingDeadlineSeconds).toBeGreaterThan(0);
    expect(cronSpec.successfulJobsHistoryLimit).toBeGreaterThan(0);
    expect(cronSpec.failedJobsHistoryLimit).toBeGreaterThan(0);
    expect(jobSpec.backoffLimit).toBe(0);
    expect(jobSpec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(podSpec.restartPolicy).toBe("Never");
    expect(containers).toHaveLength(1);
    // Scheduled runs follow Okta's System Log and read everything once per sync.fullEvery.
    expect(container.args).toEqual(["sync", "--incremental"]);
    expect(String(container.image)).toMatch(/^okta-command-sync:/);
    const images = list(kustomization.images, "images").map((i) => tree(i, "image"));
    expect(images.map((i) => i.name)).toContain("okta-command-sync");
  });

  it("runs as the image's non-root user, locked down", () => {
    const pod = tree(podSpec.securityContext, "pod securityContext");
    expect(pod.runAsNonRoot).toBe(true);
    expect(pod.runAsUser).toBe(IMAGE_UID);
    expect(pod.runAsGroup).toBe(IMAGE_GID);
    expect(pod.fsGroup).toBe(IMAGE_GID);
    expect(tree(pod.seccompProfile, "seccompProfile").type).toBe("RuntimeDefault");
    const own = tree(container.securityContext, "container securityContext");
    expect(own.allowPrivilegeEscalation).toBe(false);
    expect(own.readOnlyRootFilesystem).toBe(true);
    expect(tree(own.capabilities, "capabilities").drop).toEqual(["ALL"]);
    expect(own.privileged ?? false).toBe(false);
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it("requests resources and limits memory", () => {
    const resources = tree(container.resources, "resources");
    const requests = tree(resources.requests, "requests");
    expect(requests.cpu).toBeDefined();
    expect(requests.memory).toBeDefined();
    expect(tree(resources.limits, "limits").memory).toBeDefined();
  });

  it("keeps the snapshot on a ReadWriteOnce claim at the image's state directory", () => {
    const stateDir = posix.dirname(IMAGE_STATE);
    expect(envValue("OCS_STATE")).toBe(IMAGE_STATE);
    const mount = mountAt(stateDir);
    expect(mount.readOnly ?? false).toBe(false);
    const claim = tree(volumeNamed(mount.name).persistentVolumeClaim, "state volume persistentVolumeClaim");
    const pvc = tree(byKind.get("PersistentVolumeClaim"), "PersistentVolumeClaim");
    expect(claim.claimName).toBe(tree(pvc.metadata, "PVC metadata").name);
    const pvcSpec = tree(pvc.spec, "PVC spec");
    expect(pvcSpec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(tree(tree(pvcSpec.resources, "PVC resources").requests, "PVC requests").storage).toBeDefined();
  });

  it("can write only to the state volume and /tmp", () => {
    const writable = mounts.filter((m) => m.readOnly !== true).map((m) => m.mountPath);
    expect([...writable].sort()).toEqual([posix.dirname(IMAGE_STATE), "/tmp"].sort());
    expect(volumeNamed(mountAt("/tmp").name).emptyDir).toBeDefined();
  });

  it("mounts the ConfigMap where OCS_CONFIG points", () => {
    expect(envValue("OCS_CONFIG")).toBe(IMAGE_CONFIG);
    const mount = mountAt(posix.dirname(IMAGE_CONFIG));
    expect(mount.readOnly).toBe(true);
    const source = tree(volumeNamed(mount.name).configMap, "config volume configMap");
    expect(source.name).toBe(tree(configMap.metadata, "ConfigMap metadata").name);
    expect(tree(configMap.data, "ConfigMap data")).toHaveProperty(posix.basename(IMAGE_CONFIG));
  });

  it("ConfigMap's config.yaml uses only options config.example.yaml documents, and no secrets", () => {
    const known = exampleKeyPaths();
    // The commented-out options are found too.
    expect(known).toContain("okta.tokenFile");
    expect(known).toContain("command.scimUrl");
    const used = keyPaths(parseYaml(configText));
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((path) => !known.has(path))).toEqual([]);
    expect(used.filter((path) => /(^|\.)(token|tokenFile|privateKey|privateKeyFile)$/.test(path))).toEqual([]);
    expect(used).not.toContain("state.path");
  });

  it("keeps tokens out of the manifest: files from the Secret, or secretKeyRef", () => {
    const secretName = tree(secretExample.metadata, "Secret metadata").name;
    for (const variable of [...containerEnv, ...alternativeEnv()]) {
      if (!SECRET_NAME.test(variable.name)) continue;
      if (variable.name.endsWith("_FILE")) {
        // A path to a key of the Secret, mounted read-only.
        const path = String(variable.value);
        const mount = mountAt(posix.dirname(path));
        expect(mount.readOnly).toBe(true);
        const secret = tree(volumeNamed(mount.name).secret, `${variable.name} volume secret`);
        expect(secret.secretName).toBe(secretName);
        expect(secretData).toHaveProperty(posix.basename(path));
        expect(secret.defaultMode).toBe(0o440);
      } else {
        expect(variable.value, variable.name).toBeUndefined();
        const ref = tree(tree(variable.valueFrom, `${variable.name} valueFrom`).secretKeyRef, `${variable.name} secretKeyRef`);
        expect(ref.name).toBe(secretName);
        expect(secretData).toHaveProperty(String(ref.key));
      }
    }
    const fileVariables = containerEnv.filter((e) => e.name.endsWith("_FILE")).map((e) => e.name);
    expect(fileVariables).toEqual(["OKTA_API_TOKEN_FILE", "COMMAND_SCIM_TOKEN_FILE"]);
    expect(alternativeEnv().map((e) => e.name)).toEqual(["OKTA_API_TOKEN", "COMMAND_SCIM_TOKEN"]);
  });

  it("secret.example.yaml holds placeholders only", () => {
    expect(secretExample.data).toBeUndefined();
    for (const value of Object.values(secretData)) expect(String(value)).toMatch(/^REPLACE_WITH_[A-Z_]+$/);
  });

  it("uses only documented environment variables", () => {
    for (const variable of [...containerEnv, ...alternativeEnv()]) expect(DOCUMENTED_ENV).toContain(variable.name);
  });

  it("gives the tool a configuration it accepts, with the tokens read from the Secret's files", () => {
    const env: Record<string, string> = {};
    for (const variable of containerEnv) if (variable.value !== undefined) env[variable.name] = String(variable.value);
    const secretMount = String(mounts.find((m) => volumeNamed(m.name).secret !== undefined)?.mountPath);
    const files = new Map<string, string>([[IMAGE_CONFIG, configText]]);
    for (const [key, value] of Object.entries(secretData)) files.set(posix.join(secretMount, key), `${String(value)}\n`);
    const readFile = (path: string): string => {
      const content = files.get(path);
      if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
      return content;
    };
    const { config } = loadConfig({ env, cwd: "/app", readFile });
    expect(config.state.path).toBe(IMAGE_STATE);
    expect(config.okta.auth).toEqual({ mode: "token", token: secretData["okta-api-token"] });
    expect(config.command.token).toBe(secretData["command-scim-token"]);
  });
});

// ---- systemd and cron ------------------------------------------------------------------------

/** A unit file as section -> key -> values (a key may repeat). */
function readUnit(file: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of read("deploy", "systemd", file).split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const at = line.indexOf("=");
    if (current === undefined || at < 0) throw new Error(`${file}: unexpected line ${line}`);
    const key = line.slice(0, at);
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1)]);
  }
  return sections;
}

const service = readUnit("okta-command-sync.service");
const timer = readUnit("okta-command-sync.timer");
const serviceSection = service.get("Service")!;
const one = (key: string): string | undefined => {
  const values = serviceSection.get(key);
  expect(values?.length ?? 1, key).toBe(1);
  return values?.[0];
};
const serviceEnv = new Map(
  (serviceSection.get("Environment") ?? []).flatMap((value) => value.split(/\s+/)).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
);

describe("systemd units", () => {
  it("the service is a oneshot sync as its own user, with the state under /var/lib", () => {
    expect(one("Type")).toBe("oneshot");
    expect(one("User")).toBe("okta-command-sync");
    expect(one("StateDirectory")).toBe("okta-command-sync");
    expect(serviceEnv.get("OCS_STATE")).toBe(`/var/lib/${one("StateDirectory")}/okta-command-sync.db`);
    expect(serviceEnv.get("OCS_STATE")).toBe(IMAGE_STATE);
    expect(serviceEnv.get("OCS_CONFIG")).toBe(IMAGE_CONFIG);
    expect(one("ExecStart")).toMatch(/^\/\S+\/node \/\S+\/bin\/okta-command-sync\.js sync --incremental$/);
    for (const name of [...serviceEnv.keys()].filter((n) => n !== "NODE_ENV")) expect(DOCUMENTED_ENV).toContain(name);
  });

  it("the service reads the tokens from credentials, never from the unit", () => {
    const credentials = new Set((serviceSection.get("LoadCredential") ?? []).map((value) => value.split(":")[0]));
    for (const [name, value] of serviceEnv) {
      if (!SECRET_NAME.test(name)) continue;
      expect(name).toMatch(/_FILE$/);
      const credential = /^%d\/(.+)$/.exec(value);
      expect(credential, `${name}=${value}`).not.toBeNull();
      expect(credentials).toContain(credential![1]);
    }
    expect([...serviceEnv.keys()].filter((n) => n.endsWith("_FILE"))).toEqual(["OKTA_API_TOKEN_FILE", "COMMAND_SCIM_TOKEN_FILE"]);
  });

  it("the service is hardened", () => {
    expect(one("NoNewPrivileges")).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ProtectHome")).toBe("yes");
    expect(one("PrivateTmp")).toBe("yes");
    // V8 needs writable executable memory.
    expect(serviceSection.has("MemoryDenyWriteExecute")).toBe(false);
  });

  it("the timer starts the service every 10 minutes and catches up after downtime", () => {
    const section = timer.get("Timer")!;
    expect(section.get("Unit")).toEqual(["okta-command-sync.service"]);
    expect(existsSync(join(REPO, "deploy", "systemd", section.get("Unit")![0]!))).toBe(true);
    expect(section.get("OnCalendar")).toEqual(["*:0/10"]);
    expect(section.get("Persistent")).toEqual(["true"]);
    expect(section.get("RandomizedDelaySec")).toHaveLength(1);
    expect(timer.get("Install")?.get("WantedBy")).toEqual(["timers.target"]);
  });
});

describe("crontab example", () => {
  const lines = read("deploy", "cron", "crontab.example")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  const assignments = new Map(lines.filter((l) => /^[A-Z_]+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
  const jobs = lines.filter((l) => !/^[A-Z_]+=/.test(l));

  it("runs sync with absolute paths and its output in a log file", () => {
    expect(jobs).toHaveLength(1);
    const fields = jobs[0]!.split(/\s+/);
    expect(fields.slice(0, 5).join(" ")).toBe("*/10 * * * *");
    const command = fields.slice(5).join(" ");
    expect(command).toMatch(/^\/\S+\/node \/\S+\/bin\/okta-command-sync\.js sync --incremental >>\/\S+ 2>&1$/);
    // The tool locks the snapshot itself.
    expect(command).not.toContain("flock");
  });

  it("names the config, the state and token files by absolute path, and no token itself", () => {
    for (const [name, value] of assignments) {
      if (!/^(OKTA|COMMAND|OCS)_/.test(name)) continue;
      expect(DOCUMENTED_ENV).toContain(name);
      expect(value, name).toMatch(/^\//);
      if (SECRET_NAME.test(name)) expect(name).toMatch(/_FILE$/);
    }
    expect(assignments.get("OCS_STATE")).toBe(IMAGE_STATE);
    expect(assignments.get("OCS_CONFIG")).toBe(IMAGE_CONFIG);
  });
});

// ---- README against the deployment files ----------------------------------------------------

describe("README and deploy/ recommend the same scheduled run", () => {
  const readme = read("README.md");
  const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map(([, lang, body]) => ({ lang: lang!, body: body! }));

  it("the README's crontab snippet runs the line deploy/cron/crontab.example runs", () => {
    const job = (text: string) =>
      text
        .split("\n")
        .filter((line) => /^\S+ \S+ \S+ \S+ \S+ .*okta-command-sync\.js sync\b/.test(line))
        .map((line) => line.trim());
    const deployJobs = job(read("deploy", "cron", "crontab.example"));
    expect(deployJobs).toHaveLength(1);
    const readmeJobs = blocks.filter((block) => block.lang === "crontab").flatMap((block) => job(block.body));
    expect(readmeJobs).toEqual(deployJobs);
  });

  it("every scheduled set-up runs sync --incremental", () => {
    expect(container.args).toEqual(SCHEDULED_RUN);
    expect(one("ExecStart")!.split(/\s+/).slice(2)).toEqual(SCHEDULED_RUN);
    const cronJob = read("deploy", "cron", "crontab.example")
      .split("\n")
      .find((line) => /okta-command-sync\.js sync\b/.test(line) && !line.startsWith("#"))!;
    expect(cronJob.split(/\s+/).slice(7, 9)).toEqual(SCHEDULED_RUN);
    expect(JSON.parse(only(finalStage, "CMD").args)).toEqual(SCHEDULED_RUN);
    // What the README says each set-up runs.
    for (const where of ["crontab.example`](deploy/cron/crontab.example) runs", "a CronJob that runs", "runs as uid 10001, runs"]) {
      const at = readme.indexOf(where);
      expect(at, where).toBeGreaterThan(0);
      expect(readme.slice(at + where.length, at + where.length + 40).replace(/\s+/g, " ")).toMatch(/^ `sync --incremental`/);
    }
  });

  it("offers no liveness probe for a CronJob, which has no long-running pod to probe", () => {
    for (const [, sentence] of readme.matchAll(/([^.]*\bliveness\b[^.]*\.)/gi)) {
      expect(sentence).toMatch(/no long-running pod|nothing for a liveness probe/);
    }
  });
});
