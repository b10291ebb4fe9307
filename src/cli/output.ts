/**
 * The only place that writes to stdout and stderr. Every string passes through the redactor, so
 * a secret that slipped into an error or a response body never leaves the process.
 */
import { styleText } from "node:util";
import ora, { type Ora } from "ora";
import { type Logger, pino } from "pino";
import type { Reporter } from "../engine/reporter.js";
import { createRedactor, type Redactor } from "../http/redact.js";

export type LogFormat = "pretty" | "json";
type Level = "debug" | "info" | "warn" | "error";

export interface OutputOptions {
  json: boolean;
  logFormat: LogFormat | undefined;
  quiet: boolean;
  verbose: boolean;
}

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

type Style = Parameters<typeof styleText>[0];

export class Output {
  private redact: Redactor = createRedactor([]);
  readonly logFormat: LogFormat;
  /** Colour on stdout only on a TTY, and never when NO_COLOR is set. */
  readonly color: boolean;
  private spinner: Ora | undefined;
  private logger: Logger | undefined;
  runId: string | undefined;

  constructor(
    readonly options: OutputOptions,
    private readonly streams: Streams,
  ) {
    const stderrTty = streams.stderr.isTTY === true;
    this.logFormat = options.logFormat ?? (stderrTty ? "pretty" : "json");
    this.color = streams.stdout.isTTY === true && !streams.env.NO_COLOR && !options.json;
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

  /** The command's result (human text or the JSON document). */
  print(text: string): void {
    this.stopSpinner();
    this.streams.stdout.write(`${this.redact(text)}\n`);
  }

  printJson(value: unknown): void {
    this.print(JSON.stringify(value, null, 2));
  }

  log(level: Level, message: string, fields: Record<string, unknown> = {}): void {
    if (this.options.quiet && level !== "error") return;
    if (level === "debug" && !this.options.verbose) return;
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
    this.logger ??= pino(
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
        if (this.spinnerAllowed()) {
          this.stopSpinner();
          // discardStdin off: reading stdin would keep a finished process alive on a TTY.
          this.spinner = ora({ text: this.redact(text), stream: this.streams.stderr as NodeJS.WriteStream, discardStdin: false }).start();
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
