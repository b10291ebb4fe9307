// Pacing accuracy: real requests over loopback, through the real clients, against the emulators.
// Usage: npm run bench:pacing [-- --seconds 20 --rpm 600 --per-second 10 --okta-limit 100 --share 0.5 --speed 10]
//
// Command: the SCIM client creates groups with 4 in flight for --seconds, paced at --rpm; the
// emulator enforces Command's limit as Verkada describes it (the same rpm, a 5 s cooldown after a
// 429, at most 25 requests in the 5 s after it) plus a per-second limit of --per-second, as a
// gateway in front may add; any burst or overshoot would show as 429s.
// Okta: a pull of app users in pages of 10 from a bucket limited to --okta-limit per minute, with
// okta.maxRateShare --share. Okta's windows are a minute long, so the emulator and the pull share a
// clock running --speed times faster than real time; rates are given in that clock.
import { parseArgs } from "node:util";
import { startVerkadaEmulator } from "../dist/emulators/verkada-emulator.js";
import { startOktaEmulator } from "../dist/emulators/okta-emulator.js";
import { generateOrg } from "../dist/emulators/org-generator.js";
import { DEFAULT_RETRY } from "../dist/http/retry-policy.js";
import { pullFromOkta } from "../dist/okta/pull.js";
import { createScimClient } from "../dist/scim/client.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "20" },
    rpm: { type: "string", default: "600" },
    "per-second": { type: "string", default: "10" },
    "okta-limit": { type: "string", default: "100" },
    share: { type: "string", default: "0.5" },
    speed: { type: "string", default: "10" },
  },
});
const seconds = Number(values.seconds);
const rpm = Number(values.rpm);
const perSecond = Number(values["per-second"]);
const oktaLimit = Number(values["okta-limit"]);
const share = Number(values.share);
const speed = Number(values.speed);

/** The most timestamps in any window of `windowMs` (one at exactly start + window is outside). */
function maxInWindow(times, windowMs) {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

const perMinute = (count, ms) => (ms > 0 ? (count / ms) * 60_000 : Number.NaN);

async function commandRun() {
  const command = await startVerkadaEmulator({ requestsPerMinute: rpm, requestsPerSecond: perSecond });
  const client = createScimClient({ baseUrl: command.url, token: command.token, requestsPerMinute: rpm, connections: 4, retry: DEFAULT_RETRY });
  const deadline = Date.now() + seconds * 1000;
  let next = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const n = next++;
      await client.createGroup(`00gbench${n}`, `Bench ${n}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, worker));
  } finally {
    await client.close();
    await command.close();
  }
  const times = command.requests.map((r) => r.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  // No burst: every request is spaced, from the first on.
  const burst = 0;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    side: "Command",
    configured: `${rpm}/min (server: ${perSecond}/s)`,
    requests: times.length,
    rateLimited: command.requests.filter((r) => r.status === 429).length,
    spanMs: last - first,
    steady: perMinute(sorted.length - burst - 1, sorted.at(-1) - sorted[burst]),
    max60: maxInWindow(times, 60_000),
    max10x6: maxInWindow(times, 10_000) * 6,
    max1s: maxInWindow(times, 1000),
    limit: rpm,
    clock: "real time",
  };
}

async function oktaRun() {
  const origin = Date.UTC(2026, 0, 1, 9, 0, 0);
  const realStart = Date.now();
  const now = () => origin + (Date.now() - realStart) * speed;
  const org = generateOrg({ seed: 7, users: 2000, groups: 2, assignedFraction: 1 });
  const token = "00bench-okta-token-1a2b3c";
  const emulator = await startOktaEmulator({ org, token, now, rateLimits: { apps: oktaLimit } });
  const times = [];
  emulator.inject = ({ pathname }) => {
    if (pathname.includes("/apps/")) times.push(now());
    return undefined;
  };
  const waits = [];
  try {
    await pullFromOkta(
      { orgUrl: emulator.url, appId: org.app.id, auth: { mode: "token", token }, groups: [], pageSize: 10 },
      {
        retry: DEFAULT_RETRY,
        maxRateShare: share,
        now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.ceil(ms / speed))),
        onWait: (event) => waits.push(event.message),
      },
    );
  } finally {
    await emulator.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[0];
  const last = sorted.at(-1);
  const allowance = Math.max(1, Math.floor(oktaLimit * share));
  // Requests come in runs of `allowance`, one run per window: the rate over whole windows is the
  // requests before the last run over the time until the last run started.
  let lastRun = sorted.length - 1;
  while (lastRun > 0 && sorted[lastRun] - sorted[lastRun - 1] < 10_000) lastRun--;
  return {
    side: "Okta apps bucket",
    configured: `${share * 100}% of ${oktaLimit}/min = ${allowance}/min`,
    requests: times.length,
    rateLimited: emulator.stats.rateLimited,
    spanMs: last - first,
    steady: perMinute(lastRun, sorted[lastRun] - first),
    max60: maxInWindow(times, 60_000),
    max10x6: maxInWindow(times, 10_000) * 6,
    limit: allowance,
    clock: `clock x${speed}`,
    waits,
  };
}

const rows = [await commandRun(), await oktaRun()];
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(1) : "-");
const table = [
  ["side", "configured", "requests", "span (s)", "steady rate/min", "of configured", "max in any 60 s", "max in any 10 s x6", "max in any 1 s", "429s", "clock"],
  ...rows.map((r) => [
    r.side,
    r.configured,
    String(r.requests),
    fmt(r.spanMs / 1000),
    fmt(r.steady),
    `${fmt((r.steady / r.limit) * 100)}%`,
    r.spanMs >= 60_000 ? String(r.max60) : `(${r.max60} in ${fmt(r.spanMs / 1000)} s)`,
    String(r.max10x6),
    r.max1s === undefined ? "-" : String(r.max1s),
    String(r.rateLimited),
    r.clock,
  ]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i])).join("  "));
console.log(
  "\nsteady rate: Command from the first request (no burst); Okta over whole windows." +
    "\nCommand is spaced at the configured rate and kept to at most the configured count in any 61 s (a 1 s margin for" +
    "\narrival jitter): a run under a minute goes at the full rate, a longer one pauses 1 s a minute (~98.4%)." +
    "\nOkta keeps to its share of each bucket per window, as Okta's headers report it.",
);
console.log(`Okta waited ${rows[1].waits.length} times for the bucket's reset, e.g. "${rows[1].waits[0] ?? "none"}".`);
