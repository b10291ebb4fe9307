/**
 * The only place that writes to stdout and stderr. Every string passes through the redactor, so
 * a secret that slipped into an error or a response body never leaves the process.
 *
 * What goes where (cli-contract.md "Runs that nobody watches"):
 * - stdout carries the result: the `--json` document (one line unless stdout is a terminal), or
 *   the human report; the human report of a run is left out when logs are JSON, so a collector
 *   reading both streams sees nothing but JSON;
 * - stderr carries logs, pretty or one JSON record a line; an error is one record with its hint;
 * - `--quiet` holds warnings back and prints them only when the run turns out not to succeed.
 */
import { createRequire } from "node:module";
import { styleText } from "node:util";
import type { Ora } from "ora";
import type { Logger } from "pino";
import type { Reporter } from "../engine/reporter.js";
import { ConfigError, SyncError } from "../errors.js";
import { createRedactor, type Redactor } from "../http/redact.js";
import { writeJson } from "./json-lines.js";
import type { RunStatus } from "./exit.js";

export type LogFormat = "pretty" | "json";
type Level = "debug" | "info" | "warn" | "error";

export interface OutputOptions {
  json: boolean;
  logFormat: LogFormat | undefined;
  quiet: boolean;
  verbose: boolean;
  /**
   * The human report is the point of the command (`runs`, `demo`, `plan --format markdown`):
   * printed with JSON logs too. Otherwise a run's report is printed only with pretty logs.
   */
  reportAlways?: boolean;
}

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** The last record of a run: how it ended. */
export interface RunEnd {
  command: string;
  status: RunStatus;
  summary: Record<string, unknown>;
  durationMs: number;
}

type Style = Parameters<typeof styleText>[0];

// Loaded on first use: a command that logs nothing in JSON never pays for pino.
const require = createRequire(import.meta.url);

export class Output {
  private redact: Redactor = createRedactor([]);
  readonly logFormat: LogFormat;
  /** Colour on stdout only on a TTY, and never when NO_COLOR is set. */
  readonly color: boolean;
  /** Whether the human report goes to stdout. */
  readonly showsReport: boolean;
  private spinner: Ora | undefined;
  private oraFactory: typeof import("ora").default | undefined;
  private logger: Logger | undefined;
  /** `--quiet`: warnings held until the run is known not to succeed. */
  private held: { level: Level; message: string; fields: Record<string, unknown> }[] = [];
  /** The `--json` result went out: a later failure must not print a second document. */
  resultPrinted = false;
  runId: string | undefined;

  constructor(
    readonly options: OutputOptions,
    private readonly streams: Streams,
  ) {
    const stderrTty = streams.stderr.isTTY === true;
    this.logFormat = options.logFormat ?? (stderrTty ? "pretty" : "json");
    this.color = streams.stdout.isTTY === true && !streams.env.NO_COLOR && !options.json;
    this.showsReport = !options.json && !options.quiet && (this.logFormat === "pretty" || options.reportAlways === true);
  }

  /** Loads the spinner when it will be shown (a terminal), so other runs never load it. */
  async prepare(): Promise<void> {
    if (this.spinnerAllowed()) this.oraFactory = (await import("ora")).default;
  }

  /** Register the secrets to scrub from everything written from now on. */
  setSecrets(secrets: readonly (string | undefined)[]): void {
    this.redact = createRedactor(secrets);
  }

  scrub(text: string): string {
    return this.redact(text);
  }

  style(style: Style, text: string): string {
    return this.color ? styleText(style, text) : text;
  }

  /** The human report of the command (not printed with --json, --quiet, or a run's JSON logs). */
  print(text: string): void {
    if (!this.showsReport) return;
    this.write(text);
  }

  /**
   * The `--json` result: one line for a pipe, indented for a person at a terminal. Written a piece
   * at a time, so a large plan is never one giant string; each string value stays in one piece, so
   * the redactor sees it whole.
   */
  printJson(value: unknown): void {
    this.resultPrinted = true;
    this.stopSpinner();
    writeJson(value, (chunk) => this.streams.stdout.write(this.redact(chunk)), this.streams.stdout.isTTY === true ? 2 : 0);
  }

  private write(text: string): void {
    this.stopSpinner();
    this.streams.stdout.write(`${this.redact(text)}\n`);
  }

  log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (level === "debug" && !this.options.verbose) return;
    if (this.options.quiet) {
      if (level === "info" || level === "debug") return;
      if (level === "warn") {
        this.held.push({ level, message, fields });
        return;
      }
      this.releaseHeld();
    }
    this.emit(level, message, fields);
  }

  /** `--quiet`: the run did not succeed, so what was held back is shown after all. */
  releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const record of held) this.emit(record.level, record.message, record.fields);
  }

  /** The `--json` document of a run that failed (cli-contract.md "Runs that nobody watches"). */
  failureJson(error: unknown): { status: "failed"; runId?: string; error: { kind: string; message: string; hint: string | null } } {
    const known = error instanceof SyncError;
    return {
      status: "failed",
      ...(this.runId === undefined ? {} : { runId: this.runId }),
      error: {
        kind: known ? error.kind : "internal",
        message: this.redact(known ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)}`),
        hint: known && error.hint !== undefined ? this.redact(error.hint) : null,
      },
    };
  }

  /** Any error as one record: what is wrong, with its hint (and problems, and the stack with --verbose). */
  error(error: unknown): void {
    const known = error instanceof SyncError;
    const message = known ? error.message : `internal error: ${error instanceof Error ? error.message : String(error)} (rerun with --verbose for details)`;
    const hint = known ? error.hint : undefined;
    const problems = error instanceof ConfigError && error.problems.length > 1 ? error.problems : undefined;
    const stack = this.options.verbose && error instanceof Error ? error.stack : undefined;
    if (this.logFormat === "json") {
      this.log("error", message, {
        kind: known ? error.kind : "internal",
        ...(problems === undefined ? {} : { problems }),
        ...(hint === undefined ? {} : { hint }),
        ...(stack === undefined ? {} : { stack }),
      });
      return;
    }
    const lines = [problems === undefined ? message : `${message}:`, ...(problems ?? []).map((p) => `  ${p}`)];
    if (hint !== undefined) {
      if (problems === undefined) lines[0] = `${lines[0]}: ${hint}`;
      else lines.push(`  ${hint}`);
    }
    if (stack !== undefined) lines.push(stack);
    this.log("error", lines.join("\n"));
  }

  /**
   * The last line of a run on stderr. JSON logs get one `run finished` record; pretty logs one
   * line for a person. `--quiet` prints it only when the run did not succeed.
   */
  runFinished(end: RunEnd): void {
    const success = end.status === "succeeded" || end.status === "changes";
    if (this.options.quiet && success) return;
    this.releaseHeld();
    const level: Level = success ? "info" : "warn";
    if (this.logFormat === "json") {
      this.emit(level, "run finished", { runId: this.runId ?? null, command: end.command, status: end.status, summary: end.summary, durationMs: end.durationMs });
      return;
    }
    const counts = Object.entries(end.summary)
      .filter(([, value]) => typeof value === "number" && value > 0)
      .map(([key, value]) => `${key} ${value}`);
    const seconds = (end.durationMs / 1000).toFixed(1);
    const run = this.runId === undefined ? "" : ` (run ${this.runId})`;
    this.emit(level, `${end.command} ${end.status} in ${seconds}s${run}${counts.length > 0 ? `: ${counts.join(", ")}` : ""}`, {});
  }

  private emit(level: Level, message: string, fields: Record<string, unknown>): void {
    const spinning = this.spinner?.isSpinning === true;
    if (spinning) this.spinner!.clear();
    if (this.logFormat === "json") {
      this.jsonLogger()[level]({ ...(this.runId ? { runId: this.runId } : {}), ...fields }, message);
    } else {
      const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
      const tag = level === "info" ? "" : `${level}: `;
      const styled = level === "error" ? "red" : level === "warn" ? "yellow" : "gray";
      const prefix = tag !== "" && this.streams.stderr.isTTY ? styleText(styled, tag) : tag;
      this.streams.stderr.write(`${this.redact(`${prefix}${message}${extra}`)}\n`);
    }
    if (spinning) this.spinner!.render();
  }

  /** One JSON object per line (time, level, msg, runId, fields), scrubbed of secrets on the way out. */
  private jsonLogger(): Logger {
    if (this.logger === undefined) {
      const { pino } = require("pino") as typeof import("pino");
      this.logger = pino(
        {
          level: "debug",
          base: undefined,
          messageKey: "msg",
          timestamp: pino.stdTimeFunctions.isoTime,
          formatters: { level: (label) => ({ level: label }) },
          hooks: { streamWrite: (line) => this.redact(line) },
        },
        this.streams.stderr,
      );
    }
    return this.logger;
  }

  private spinnerAllowed(): boolean {
    // A terminal that reports no width (some pseudo-terminals) would make the spinner's line
    // arithmetic divide by zero.
    const columns = (this.streams.stderr as { columns?: number }).columns ?? 0;
    return this.streams.stderr.isTTY === true && columns > 0 && !this.options.quiet && this.logFormat === "pretty" && !this.streams.env.CI;
  }

  private stopSpinner(): void {
    if (this.spinner?.isSpinning) this.spinner.stop();
  }

  /** The core's progress, as a spinner on a TTY or log lines otherwise. */
  reporter(): Reporter {
    return {
      step: (text) => {
        if (this.oraFactory !== undefined && this.spinnerAllowed()) {
          this.stopSpinner();
          // discardStdin off: reading stdin would keep a finished process alive on a TTY.
          this.spinner = this.oraFactory({ text: this.redact(text), stream: this.streams.stderr as NodeJS.WriteStream, discardStdin: false }).start();
        } else this.log("info", text);
      },
      progress: (text) => {
        if (this.spinner?.isSpinning) this.spinner.text = this.redact(text);
      },
      stepDone: (text) => {
        if (this.spinner?.isSpinning) this.spinner.succeed(text === undefined ? undefined : this.redact(text));
        else if (text !== undefined) this.log("info", text);
      },
      stepFailed: (text) => {
        if (this.spinner?.isSpinning) this.spinner.fail(text === undefined ? undefined : this.redact(text));
        else if (text !== undefined) this.log("warn", text);
      },
      info: (message, fields) => this.log("info", message, fields),
      warn: (message, fields) => this.log("warn", message, fields),
      debug: (message, fields) => this.log("debug", message, fields),
    };
  }
}
