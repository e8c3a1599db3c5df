// buildEnvBoard: each cell's state from its Deployments and holds, what waits and why, the releases.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  buildEnvBoard,
  type BoardPromotionPull,
  type BoardPull,
  type EnvBoardInput,
} from "../../src/core/env-board.js";
import type { EnvCell } from "../../src/core/env-matrix.js";
import type { DeploymentRecord } from "../../src/core/env-record.js";
import { formatPolicyErrors, resolvePolicy } from "../../src/core/policy.js";

const ROOT = fileURLToPath(new URL("../../examples/config-repo-fleet/", import.meta.url));

function policy() {
  const text = readFileSync(`${ROOT}.github/monobot.yml`, "utf8");
  const r = resolvePolicy([{ file: ".github/monobot.yml", text }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

const ENVS = [
  { name: "staging", production: false },
  { name: "production", production: true },
];

function matrix(rows: Record<string, [string | undefined, string | undefined]>) {
  const components = Object.keys(rows).map((name) => ({ name, chart: `charts/${name}` }));
  const cells: EnvCell[] = Object.entries(rows).flatMap(([component, versions]) =>
    ENVS.map((e, i) => ({
      environment: e.name,
      component,
      kind: "image" as EnvCell["kind"],
      mixed: false,
      pins: [],
      ...(versions[i] !== undefined ? { version: versions[i] } : {}),
    })),
  );
  return { environments: ENVS, components: components as never, cells };
}

let ids = 1;
function deploy(
  environment: string,
  component: string,
  version: string,
  state: DeploymentRecord["state"],
  extra: Partial<DeploymentRecord> = {},
): DeploymentRecord {
  const id = ids++;
  return {
    id,
    environment,
    sha: "a".repeat(40),
    ref: "main",
    task: "deploy",
    payload: { component, version },
    createdAt: `2026-12-01T10:${String(id).padStart(2, "0")}:00Z`,
    state,
    ...extra,
  };
}

function hold(environment: string, component: string, held: boolean): DeploymentRecord {
  const id = ids++;
  return {
    id,
    environment,
    sha: "a".repeat(40),
    ref: "main",
    task: "monobot:hold",
    payload: { component, hold: held, reason: "bad memory profile", by: "alice" },
    createdAt: `2026-12-01T11:${String(id).padStart(2, "0")}:00Z`,
    state: "success",
  };
}

// A Wednesday: no freeze. A Saturday: production's weekend freeze (Fri 15:00 to Mon 08:00 Berlin).
const WEDNESDAY = new Date("2026-12-02T12:00:00Z");
const SATURDAY = new Date("2026-12-05T12:00:00Z");

function input(over: Partial<EnvBoardInput>): EnvBoardInput {
  return {
    repository: "acme/aether-config",
    installationId: 1,
    matrix: matrix({ "roc-api": ["1.3.0", "1.2.3"] }),
    deploy: policy().deploy,
    records: [],
    pulls: [],
    promotions: [],
    now: WEDNESDAY,
    ...over,
  };
}

const VERIFIED_BOTH = [
  deploy("production", "roc-api", "1.2.3", "success"),
  deploy("staging", "roc-api", "1.3.0", "success"),
];

const promotion = (over: Partial<BoardPromotionPull> = {}): BoardPromotionPull => ({
  component: "roc-api",
  environment: "production",
  version: "1.3.0",
  number: 7,
  url: "https://github.com/acme/aether-config/pull/7",
  ...over,
});

describe("buildEnvBoard: what waits and why", () => {
  const cases: {
    name: string;
    over: Partial<EnvBoardInput>;
    staging: string;
    production: string;
    waiting: { reason: string; detail: RegExp; until?: string; pull?: number; run?: string }[];
  }[] = [
    {
      name: "verified upstream, open gate, no PR: nothing waits (the box offers the promotion)",
      over: { records: VERIFIED_BOTH },
      staging: "verified",
      production: "verified",
      waiting: [],
    },
    {
      name: "no deployment recorded yet: pinned, nothing waits",
      over: {},
      staging: "pinned",
      production: "pinned",
      waiting: [],
    },
    {
      name: "verification running upstream",
      over: { records: [deploy("staging", "roc-api", "1.3.0", "in_progress")] },
      staging: "verifying",
      production: "pinned",
      waiting: [{ reason: "verification", detail: /being verified in staging/ }],
    },
    {
      name: "soaking upstream, with its end",
      over: {
        records: [
          deploy("staging", "roc-api", "1.3.0", "in_progress", {
            description: "verified; soaking until 2026-12-02T12:30:00.000Z",
          }),
        ],
      },
      staging: "soaking",
      production: "pinned",
      waiting: [{ reason: "soak", detail: /soaks in staging/, until: "2026-12-02T12:30:00.000Z" }],
    },
    {
      name: "verification failed upstream: which run",
      over: {
        records: [
          deploy("staging", "roc-api", "1.3.0", "failure", { logUrl: "https://ci.example/run/9" }),
        ],
      },
      staging: "failed",
      production: "pinned",
      waiting: [
        {
          reason: "verification",
          detail: /failed in staging/,
          run: "https://ci.example/run/9",
        },
      ],
    },
    {
      name: "a hold on the target: by whom and why",
      over: { records: [...VERIFIED_BOTH, hold("production", "roc-api", true)] },
      staging: "verified",
      production: "held",
      waiting: [{ reason: "hold", detail: /on hold by @alice: bad memory profile/ }],
    },
    {
      name: "a released hold holds nothing",
      over: {
        records: [
          ...VERIFIED_BOTH,
          hold("production", "roc-api", true),
          hold("production", "roc-api", false),
        ],
      },
      staging: "verified",
      production: "verified",
      waiting: [],
    },
    {
      name: "production's freeze window: until when",
      over: { records: VERIFIED_BOTH, now: SATURDAY, promotions: [promotion()] },
      staging: "verified",
      production: "verified",
      waiting: [
        {
          reason: "freeze",
          detail: /no production deploys into the weekend.*Mon 2026-12-07 08:00 Europe\/Berlin/,
          until: "2026-12-07T07:00:00.000Z",
          pull: 7,
        },
      ],
    },
    {
      name: "the promotion PR misses approvals (from monobot/access)",
      over: {
        records: VERIFIED_BOTH,
        promotions: [
          promotion({ missingApprovals: "production: 0 of 1 approvals from @acme/sre" }),
        ],
      },
      staging: "verified",
      production: "verified",
      waiting: [{ reason: "approvals", detail: /0 of 1 approvals from @acme\/sre/, pull: 7 }],
    },
    {
      name: "the promotion PR fails other required checks: named",
      over: { records: VERIFIED_BOTH, promotions: [promotion({ failingChecks: ["ci/lint"] })] },
      staging: "verified",
      production: "verified",
      waiting: [{ reason: "approvals", detail: /failing checks: ci\/lint/, pull: 7 }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const board = buildEnvBoard(input(c.over));
      expect(board.cells.map((x) => `${x.environment}:${x.state}`)).toEqual([
        `staging:${c.staging}`,
        `production:${c.production}`,
      ]);
      expect(board.waiting).toHaveLength(c.waiting.length);
      c.waiting.forEach((w, i) => {
        const got = board.waiting[i];
        expect(got).toMatchObject({
          component: "roc-api",
          environment: "production",
          version: "1.3.0",
          reason: w.reason,
        });
        expect(got?.detail).toMatch(w.detail);
        expect(got?.until).toBe(w.until);
        expect(got?.pull?.number).toBe(w.pull);
        expect(got?.run?.url).toBe(w.run);
      });
    });
  }

  it("a version already in the next environment waits for nothing", () => {
    const board = buildEnvBoard(
      input({
        matrix: matrix({ web: ["2.0.1", "2.0.1"] }),
        records: [deploy("staging", "web", "2.0.1", "failure")],
      }),
    );
    expect(board.waiting).toEqual([]);
  });
});

describe("buildEnvBoard: cells and releases", () => {
  it("a cell links its deployment and the merged pull request that brought it, since its creation", () => {
    const pulls: BoardPull[] = [
      {
        component: "roc-api",
        version: "1.2.3",
        environment: "production",
        number: 4,
        url: "https://github.com/acme/aether-config/pull/4",
        state: "merged",
        kind: "promotion",
        at: "2026-11-30T10:00:00Z",
      },
    ];
    const board = buildEnvBoard(input({ records: VERIFIED_BOTH, pulls }));
    const prod = board.cells.find((c) => c.environment === "production");
    expect(prod).toMatchObject({
      version: "1.2.3",
      since: VERIFIED_BOTH[0]?.createdAt,
      deployment: { url: "https://github.com/acme/aether-config/deployments/production" },
      pull: { number: 4 },
    });
    expect(board.cells.find((c) => c.environment === "staging")?.pull).toBeUndefined();
  });

  it("releases: the deploy PRs, newest first, at most the number asked", () => {
    const pull = (number: number, at: string, state: BoardPull["state"]): BoardPull => ({
      component: "web",
      version: `2.${number}.0`,
      number,
      url: `https://github.com/acme/aether-config/pull/${number}`,
      state,
      kind: "deploy",
      at,
    });
    const board = buildEnvBoard(
      input({
        releases: 2,
        pulls: [
          pull(1, "2026-11-01T00:00:00Z", "merged"),
          pull(3, "2026-11-03T00:00:00Z", "open"),
          pull(2, "2026-11-02T00:00:00Z", "closed"),
        ],
      }),
    );
    expect(board.releases.map((r) => [r.version, r.deployPull?.state])).toEqual([
      ["2.3.0", "open"],
      ["2.2.0", "closed"],
    ]);
  });
});
