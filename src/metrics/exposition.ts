/**
 * Prometheus text exposition format 0.0.4, as node_exporter's textfile collector and the
 * Pushgateway parse it. Pure: families in, text out.
 */
import { SyncError } from "../errors.js";

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type MetricType = "gauge" | "counter" | "untyped";

export interface Sample {
  /** Label names to values, rendered in insertion order. */
  labels?: Readonly<Record<string, string>>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and line feed; nothing else. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed (a quote is literal there). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** Go's ParseFloat spellings for the special values; shortest round-trip decimal otherwise. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return Object.is(value, -0) ? "0" : String(value);
}

function labelSet(name: string, labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  const parts = entries.map(([label, value]) => {
    if (!LABEL_NAME.test(label) || label.startsWith("__")) throw new SyncError("internal", `invalid Prometheus label name ${JSON.stringify(label)} on ${name}`);
    return `${label}="${escapeLabelValue(value)}"`;
  });
  return `{${parts.join(",")}}`;
}

/**
 * Renders the families in the order given. A family without samples is left out entirely: HELP
 * and TYPE alone are valid text, but not every consumer accepts an empty family.
 */
export function renderExposition(families: readonly MetricFamily[]): string {
  const names = new Set<string>();
  const lines: string[] = [];
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new SyncError("internal", `invalid Prometheus metric name ${JSON.stringify(family.name)}`);
    if (names.has(family.name)) throw new SyncError("internal", `Prometheus metric ${family.name} rendered twice`);
    names.add(family.name);
    if (family.samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    const seen = new Set<string>();
    for (const sample of family.samples) {
      const labels = labelSet(family.name, sample.labels);
      // A repeated label set makes the whole file unreadable to the textfile collector.
      if (seen.has(labels)) throw new SyncError("internal", `Prometheus metric ${family.name}${labels} rendered twice`);
      seen.add(labels);
      lines.push(`${family.name}${labels} ${formatValue(sample.value)}`);
    }
  }
  // The format requires a line feed after the last line.
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
