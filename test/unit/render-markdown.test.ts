import { describe, expect, it } from "vitest";
import { renderPlanMarkdown } from "../../src/cli/render-markdown.js";
import { plan } from "../../src/plan/planner.js";
import { desired, desiredGroup, desiredUser, snapshot, snapshotGroup, snapshotUser } from "../support/builders.js";

describe("plan as Markdown", () => {
  it("has a summary table and one row per operation, with before -> after for updates", () => {
    const thePlan = plan(
      desired([desiredUser("00u1", { attrs: { title: "Lead | Ops" } }), desiredUser("00u2")], [desiredGroup("00g1", "Eng", ["00u1", "00u2"])]),
      snapshot([snapshotUser("00u1", { attrs: { title: "Engineer" } })], [snapshotGroup("00g1", "Engineering", ["00u1"])]),
      { onRemove: "keep" },
    );
    expect(renderPlanMarkdown(thePlan)).toBe(
      [
        "## okta-command-sync plan",
        "",
        "**4 changes** in 4 operations.",
        "",
        "| operation | count |",
        "|---|---:|",
        "| createUser | 1 |",
        "| updateUser | 1 |",
        "| updateGroup | 1 |",
        "| addMembers | 1 |",
        "",
        "| # | operation | target | change |",
        "|---:|---|---|---|",
        '| 1 | updateGroup | Engineering | displayName: "Engineering" -> "Eng" |',
        '| 2 | updateUser | 00u1@example.com | title: "Engineer" -> "Lead \\| Ops" |',
        "| 3 | createUser | 00u2@example.com |  |",
        "| 4 | addMembers | Eng | 00u2@example.com |",
      ].join("\n"),
    );
  });

  it("says so when there is nothing to do, and lists warnings", () => {
    expect(renderPlanMarkdown({ operations: [], warnings: ["skipped Okta user 00u9: no userName"] })).toBe(
      ["## okta-command-sync plan", "", "No changes: Command is in step with Okta.", "", "### Warnings (1)", "", "- skipped Okta user 00u9: no userName"].join("\n"),
    );
  });
});
