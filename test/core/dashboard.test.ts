// The dashboard issue's text: sections in order, checkboxes read back, ticks carried over, the 65,536 cut.
import { describe, expect, it } from "vitest";
import { formatPolicyErrors, resolvePolicy } from "../../src/core/policy.js";
import {
  boardActions,
  dashboardEnabled,
  DASHBOARD_MARKER,
  ISSUE_BODY_LIMIT,
  isDashboard,
  newTicks,
  readCheckboxes,
  renderDashboard,
  tickedActions,
  type DashboardAction,
} from "../../src/core/dashboard.js";
import type { BoardCell, EnvBoard } from "../../src/core/env-board.js";

function board(over: Partial<EnvBoard> = {}): EnvBoard {
  const cell = (
    component: string,
    environment: string,
    version: string,
    state: BoardCell["state"],
  ): BoardCell => ({
    component,
    environment,
    version,
    mixed: false,
    state,
    since: "2026-12-01T10:00:00Z",
    deployment: { url: `https://github.com/acme/aether-config/deployments/${environment}` },
  });
  return {
    repository: "acme/aether-config",
    installationId: 1,
    environments: [
      { name: "staging", production: false },
      { name: "production", production: true },
    ],
    components: ["roc-api", "web"],
    cells: [
      cell("roc-api", "staging", "1.3.0", "verified"),
      cell("roc-api", "production", "1.2.3", "verified"),
      { ...cell("web", "staging", "2.0.1", "failed"), failedRun: { url: "https://ci/run/3" } },
      cell("web", "production", "2.0.0", "verified"),
    ],
    waiting: [
      {
        component: "web",
        environment: "production",
        version: "2.0.1",
        reason: "verification",
        detail: "verification of 2.0.1 failed in staging",
        run: { url: "https://ci/run/3" },
      },
    ],
    releases: [
      {
        component: "roc-api",
        version: "1.3.0",
        at: "2026-12-01T09:00:00Z",
        deployPull: {
          number: 5,
          url: "https://github.com/acme/aether-config/pull/5",
          state: "merged",
        },
      },
    ],
    updatedAt: "2026-12-01T12:00:00Z",
    ...over,
  };
}

const PROMOTE: DashboardAction = {
  kind: "promote",
  component: "roc-api",
  version: "1.3.0",
  environment: "production",
};
const RETRY: DashboardAction = {
  kind: "retry",
  component: "web",
  version: "2.0.1",
  environment: "staging",
};

describe("renderDashboard", () => {
  it("the marker, then what waits, then the actions, the matrix and the releases", () => {
    const text = renderDashboard(board());
    expect(text.startsWith(DASHBOARD_MARKER)).toBe(true);
    expect(isDashboard(text)).toBe(true);
    const order = ["## Waiting", "## Actions", "## What runs where", "## Recent releases"].map(
      (h) => text.indexOf(h),
    );
    expect(order.every((at) => at > 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(text).toContain(
      "- **web 2.0.1 → production** (verification): verification of 2.0.1 failed in staging ([failed run](https://ci/run/3))",
    );
    expect(text).toContain("- [ ] promote roc-api 1.3.0 to production");
    expect(text).toContain("- [ ] retry verification of web 2.0.1 in staging");
    expect(text).toContain("| component | staging | production |");
    expect(text).toContain(
      "| roc-api | [1.3.0](https://github.com/acme/aether-config/deployments/staging) verified since 2026-12-01 10:00 UTC |",
    );
    expect(text).toContain(
      "- roc-api 1.3.0 (2026-12-01 09:00 UTC): deploy PR [#5](https://github.com/acme/aether-config/pull/5) merged",
    );
    // No clock in the text: the same board renders the same text (no write when nothing changed).
    expect(renderDashboard({ ...board(), updatedAt: "2027-01-01T00:00:00Z" })).toBe(text);
  });

  it("offers promote only for a version verified upstream that the target lacks and is not held", () => {
    expect(boardActions(board())).toEqual([PROMOTE, RETRY]);
    const held = board();
    (held.cells[1] as BoardCell).state = "held";
    expect(boardActions(held)).toEqual([RETRY]);
  });

  it("a hold's reason cannot open HTML or a link", () => {
    const b = board({
      waiting: [
        {
          component: "roc-api",
          environment: "production",
          version: "1.3.0",
          reason: "hold",
          detail: "on hold by @eve: <img src=x> [click](https://evil)",
        },
      ],
    });
    const text = renderDashboard(b);
    // Escaped, so GitHub shows the characters instead of an image or a link.
    expect(text).toContain("\\<img src=x\\> \\[click\\](https://evil)");
    expect(text).not.toMatch(/[^\\]<img|[^\\]\[click\]/);
  });
});

describe("checkboxes", () => {
  const rendered = renderDashboard(board());

  it("reads the boxes back, ticked with x or X, CRLF or not", () => {
    const edited = rendered
      .replace("- [ ] promote roc-api", "- [X] promote roc-api")
      .replace(/\n/g, "\r\n");
    expect(readCheckboxes(edited)).toEqual([
      { action: PROMOTE, ticked: true },
      { action: RETRY, ticked: false },
    ]);
  });

  it("newTicks: only boxes ticked by this edit, each once", () => {
    const one = rendered.replace("- [ ] promote", "- [x] promote");
    const two = one.replace("- [ ] retry", "- [x] retry");
    expect(newTicks(rendered, one)).toEqual([PROMOTE]);
    expect(newTicks(one, two)).toEqual([RETRY]);
    expect(newTicks(two, one)).toEqual([]);
    expect(newTicks(one, `${one}\n- [x] promote roc-api 1.3.0 to production`)).toEqual([]);
  });

  it("a box whose words were altered is no action", () => {
    expect(tickedActions("- [x] promote roc-api 1.3.0 to production; rm -rf /")).toEqual([]);
    expect(tickedActions("- [x] promote roc-api 1.3.0")).toEqual([]);
  });

  it("ticks carried over: a box ticked in the current body stays ticked in the new text", () => {
    const text = renderDashboard(board(), { ticked: [RETRY] });
    expect(text).toContain("- [x] retry verification of web 2.0.1 in staging");
    expect(text).toContain("- [ ] promote roc-api 1.3.0 to production");
    expect(tickedActions(text)).toEqual([RETRY]);
  });
});

describe("GitHub's limit", () => {
  it("1,000 components x 3 environments fit in 65,536 characters, with a line saying what was left out", () => {
    const envs = ["dev", "staging", "production"];
    const components = Array.from({ length: 1000 }, (_, i) => `component-with-a-long-name-${i}`);
    const cells: BoardCell[] = components.flatMap((component) =>
      envs.map((environment) => ({
        component,
        environment,
        version: "10.20.30",
        mixed: false,
        state: "verified" as const,
        since: "2026-12-01T10:00:00Z",
        deployment: { url: `https://github.com/acme/aether-config/deployments/${environment}` },
        pull: { number: 1234, url: "https://github.com/acme/aether-config/pull/1234" },
      })),
    );
    const big = board({
      environments: envs.map((name) => ({ name, production: name === "production" })),
      components,
      cells,
    });
    const text = renderDashboard(big);
    expect(text.length).toBeLessThanOrEqual(ISSUE_BODY_LIMIT);
    expect(text).toMatch(/\n\d+ more components left out to fit GitHub's limit/);
    // The sections after the matrix are still there.
    expect(text).toContain("## Recent releases");
    expect(text).toContain("- roc-api 1.3.0");
    const shown = text.split("\n").filter((l) => l.startsWith("| component-with")).length;
    const left = Number(/(\d+) more components left out/.exec(text)?.[1]);
    expect(shown + left).toBe(1000);
  });

  it("a small limit still keeps every heading and says what each section left out", () => {
    const text = renderDashboard(board(), { limit: 700 });
    expect(text.length).toBeLessThanOrEqual(700);
    expect(text).toContain("## Waiting");
    expect(text).toContain("left out");
  });
});

describe("deploy.dashboard", () => {
  const policy = (text: string) => resolvePolicy([{ file: ".github/monobot.yml", text }]);
  const ENVS =
    'deploy:\n  environments:\n    - name: staging\n      pins: [{ file: envs/staging/values.yaml, key: "{chart_name}.image.tag" }]\n';
  it.each([
    ["no environments, unset: off", "", false],
    ["environments, unset: on", ENVS, true],
    ["environments, false: off", `${ENVS}  dashboard: false\n`, false],
    ["no environments, true: on", "deploy:\n  dashboard: true\n", true],
  ])("%s", (_name, text, on) => {
    const r = policy(text);
    if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
    expect(dashboardEnabled(r.policy)).toBe(on);
  });

  it("anything but true or false is a configuration error on its line", () => {
    const r = policy("deploy:\n  dashboard: sometimes\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatPolicyErrors(r.errors)).toMatch(/monobot\.yml:2:.*dashboard/);
  });
});
