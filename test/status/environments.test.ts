// The "what runs where" view: boards filtered per viewer and by the URL, rendered as a matrix, waits first.
import { describe, expect, it } from "vitest";
import type { EnvBoard } from "../../src/core/env-board.js";
import { silentLog } from "../../src/log.js";
import { ActivityLog } from "../../src/runtime/activity.js";
import { StatusSource } from "../../src/status/collect.js";
import {
  buildEnvironments,
  filterQuery,
  MAX_ROWS,
  parseEnvFilters,
  renderEnvironments,
  ROWS_STEP,
} from "../../src/status/environments.js";
import type { StatusSnapshot } from "../../src/status/snapshot.js";
import { VIEWS } from "../../src/status/views.js";
import { BoardStore, buildBoard, largeBoard } from "../helpers/env-boards.js";
import { acmeBoard } from "./world.js";

const carolBoard = buildBoard({
  repository: "carol/notes",
  environments: ["staging", "production"],
  components: { notes: { staging: "0.9.0", production: "0.8.0" } },
});

function snapshot(
  boards: readonly EnvBoard[],
  visible: StatusSnapshot["visible"] = new Set(["acme/config"]),
): StatusSnapshot {
  return {
    now: "2026-12-05T12:00:00.000Z",
    viewer: { login: "alice", admin: visible === "all" },
    signInAvailable: true,
    visible,
    runtime: {
      mode: "memory",
      startedAt: "",
      queueDepth: 0,
      oldestJobAgeMs: null,
      jobsRecorded: 0,
    },
    activity: [],
    schedules: [],
    freezes: [],
    deployPulls: [],
    deployPullsError: null,
    installations: [],
    boards,
    boardsError: null,
  };
}

const q = (s: string) => new URLSearchParams(s);
const versions = (d: ReturnType<typeof buildEnvironments>, i = 0) =>
  d.boards[i]?.rows.map((r) => [r.component, ...r.cells.map((c) => c?.version ?? null)]);

describe("environments view: data", () => {
  it("shows only the boards of repositories the viewer can read; operators see all", () => {
    const boards = [acmeBoard(), carolBoard];
    const alice = buildEnvironments(snapshot(boards));
    expect(alice.boards.map((b) => b.repository)).toEqual(["acme/config"]);
    expect(alice.options.repositories).toEqual(["acme/config"]);
    const carol = buildEnvironments(snapshot(boards, new Set(["carol/notes"])));
    expect(carol.boards.map((b) => b.repository)).toEqual(["carol/notes"]);
    expect(carol.waiting).toEqual([]);
    // Naming another's repository in the URL shows nothing of it.
    expect(
      buildEnvironments(snapshot(boards, new Set(["carol/notes"])), q("repository=acme/config")),
    ).toMatchObject({ boards: [], waiting: [] });
    const ops = buildEnvironments(snapshot(boards, "all"));
    expect(ops.boards.map((b) => b.repository)).toEqual(["acme/config", "carol/notes"]);
    expect(ops.options.environments).toEqual(["dev", "staging", "production"]);
  });

  it("lays out a component x environment matrix, null where nothing is deployed", () => {
    const d = buildEnvironments(snapshot([acmeBoard()]));
    expect(d.boards[0]?.environments.map((e) => e.name)).toEqual(["dev", "staging", "production"]);
    expect(d.boards[0]?.environments.map((e) => e.production)).toEqual([false, false, true]);
    expect(versions(d)).toEqual([
      ["web", "1.3.0", "1.2.0", "1.2.0"],
      ["api", "2.0.1", "2.0.1", "2.0.0"],
      ["search", "0.4.0", null, null],
    ]);
    expect(d.waiting.map((w) => [w.repository, w.component, w.reason])).toEqual([
      ["acme/config", "web", "freeze"],
      ["acme/config", "api", "verification"],
    ]);
  });

  it.each([
    [
      "environment=production",
      [
        ["web", "1.2.0"],
        ["api", "2.0.0"],
        ["search", null],
      ],
      ["web", "api"],
    ],
    ["component=AP", [["api", "2.0.1", "2.0.1", "2.0.0"]], ["api"]],
    ["state=failed", [["api", "2.0.1", "2.0.1", "2.0.0"]], ["web", "api"]],
    ["state=held&environment=dev", [["search", "0.4.0"]], []],
    ["repository=ACME/config&component=web", [["web", "1.3.0", "1.2.0", "1.2.0"]], ["web"]],
    ["environment=qa", [], []],
  ])("filters by %s", (query, rows, waiting) => {
    const d = buildEnvironments(snapshot([acmeBoard()]), q(query));
    expect(versions(d)).toEqual(rows);
    expect(d.waiting.map((w) => w.component)).toEqual(waiting);
    expect(d.error).toBeNull();
  });

  it("names a bad filter, ignores it, and the JSON twin refuses it", () => {
    const d = buildEnvironments(snapshot([acmeBoard()]), q("state=broken&rows=0"));
    expect(d.error).toBe(
      'Ignored: state "broken" is not one of pinned, verifying, soaking, verified, failed, held; rows "0" is not a whole number from 1 to 1000.',
    );
    expect(d.boards[0]?.rows).toHaveLength(3);
    const view = VIEWS.find((v) => v.id === "environments");
    expect(view?.check?.(q("state=broken"))).toContain('state "broken"');
    expect(view?.check?.(q("state=held"))).toBeNull();
  });

  it("caps a large matrix and offers the next rows with the same filters", () => {
    const big = largeBoard("acme/config", 1000);
    const first = buildEnvironments(snapshot([big]), q("environment=staging"));
    const b = first.boards[0];
    expect(b?.rows).toHaveLength(ROWS_STEP);
    expect(b?.matching).toBe(1000);
    expect(b?.more).toBe(`?environment=staging&rows=${2 * ROWS_STEP}`);
    const next = buildEnvironments(snapshot([big]), q((b?.more ?? "").slice(1)));
    expect(next.boards[0]?.rows).toHaveLength(2 * ROWS_STEP);
    const all = buildEnvironments(snapshot([big]), q(`rows=${MAX_ROWS}`));
    expect(all.boards[0]?.rows).toHaveLength(1000);
    expect(all.boards[0]?.more).toBeNull();
    const failed = buildEnvironments(snapshot([big]), q("state=failed"));
    expect(failed.boards[0]?.matching).toBe(20);
    expect(failed.boards[0]?.more).toBeNull();
  });

  it("writes back the filters it read", () => {
    const { filters } = parseEnvFilters(q("component=web&rows=100&state=held&x=1"));
    expect(filterQuery(filters)).toBe("?component=web&state=held&rows=100");
    expect(filterQuery(parseEnvFilters(q("")).filters)).toBe("");
  });
});

describe("environments view: reading the boards", () => {
  const source = (boards: { boards(): readonly EnvBoard[] }) =>
    new StatusSource({
      activity: new ActivityLog(),
      queue: { size: () => 0 },
      scheduler: { loaded: () => [] },
      mode: "memory",
      signInAvailable: true,
      boards,
      log: silentLog,
    });

  it("reads no board for a signed-out viewer, the latest for a signed-in one", async () => {
    const store = new BoardStore();
    store.put(acmeBoard());
    const s = source(store);
    expect((await s.snapshot(null, new Set())).boards).toEqual([]);
    store.update("acme/config", "api", "production", "2.0.1");
    const seen = await s.snapshot({ login: "alice", admin: false }, new Set(["acme/config"]));
    expect(versions(buildEnvironments(seen))?.[1]).toEqual(["api", "2.0.1", "2.0.1", "2.0.1"]);
  });

  it("says so when the boards cannot be read, and still shows the page", async () => {
    const s = source({
      boards: () => {
        throw new Error("store is gone");
      },
    });
    const snap = await s.snapshot({ login: "alice", admin: false }, new Set(["acme/config"]));
    expect(snap.boardsError).toBe("Could not read the environment boards; see the log.");
    expect(renderEnvironments(buildEnvironments(snap))).toContain(
      "Could not read the environment boards; see the log.",
    );
  });
});

describe("environments view: HTML", () => {
  it("puts what waits and why before the matrix, with words on every badge", () => {
    const html = renderEnvironments(buildEnvironments(snapshot([acmeBoard()])));
    const waits = html.indexOf("What waits and why");
    expect(waits).toBeGreaterThan(-1);
    expect(waits).toBeLessThan(html.indexOf('<table class="matrix"'));
    expect(html).toContain('<span class="badge wait-freeze">frozen</span>');
    expect(html).toContain("frozen by holiday freeze until 2027-01-04 00:00 UTC");
    expect(html).toMatch(/data-state="failed">.*failed<\/span>/);
    expect(html).toContain('<a href="https://github.com/acme/mono/actions/runs/77">failed run</a>');
    expect(html).toContain('<a href="https://github.com/acme/config/pull/41">PR #41</a>');
    expect(html).toContain("reindexing (@alice)");
    expect(html).toContain(">on hold</span>");
    expect(html).toContain('<td class="cell none">not deployed</td>');
    expect(html).toContain('<option value="acme/config">acme/config</option>');
  });

  it("marks production columns whose name does not say so already", () => {
    const board = buildBoard({
      repository: "acme/config",
      environments: ["qa", "live", "production"],
      production: ["live", "production"],
      components: { web: { qa: "1.0.0" } },
    });
    const html = renderEnvironments(buildEnvironments(snapshot([board])));
    expect(html).toContain(
      '<th>qa</th><th>live <span class="prod">production</span></th><th>production</th>',
    );
  });

  it("keeps the chosen filters in the form and the next page's link", () => {
    const big = largeBoard("acme/config", 300);
    const html = renderEnvironments(
      buildEnvironments(snapshot([big]), q("environment=staging&component=svc")),
    );
    expect(html).toContain('<option value="staging" selected>staging</option>');
    expect(html).toContain('name="component" value="svc"');
    expect(html).toContain("Showing 50 of 300 components");
    expect(html).toContain(
      'href="/?environment=staging&amp;component=svc&amp;rows=100#view-environments"',
    );
  });

  it("escapes board text and links only to web addresses", () => {
    const evil = buildBoard({
      repository: "acme/config",
      components: {
        "<img src=x>": {
          dev: {
            version: '1.0.0"><script>',
            pull: { number: 1, url: "javascript:alert(1)" },
            deployment: { url: "https://ok.test/d" },
          },
        },
      },
    });
    const html = renderEnvironments(buildEnvironments(snapshot([evil])));
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("javascript:");
    expect(html).toContain('<a href="https://ok.test/d">deployment</a>');
  });

  it("writes text beyond Latin-1 as character references (the page stays one byte a character)", () => {
    const board = buildBoard({
      repository: "acme/config",
      components: {
        web: {
          dev: { version: "1.0.0", hold: { reason: "wait 🚧 → Monday", by: "zoë" }, state: "held" },
        },
      },
      waiting: [
        {
          component: "web",
          environment: "staging",
          version: "1.0.0",
          reason: "hold",
          detail: "on hold — ask ops",
        },
      ],
    });
    const html = renderEnvironments(buildEnvironments(snapshot([board])));
    expect(html).toContain("wait &#128679; &#8594; Monday (@zoë)");
    expect(html).toContain("on hold &#8212; ask ops");
    expect(html).toContain("&rarr; staging");
    expect(html).not.toMatch(/[\u0100-\u{10ffff}]/u);
  });

  it("says why the matrix is empty", () => {
    expect(
      renderEnvironments(buildEnvironments(snapshot([acmeBoard()]), q("component=zzz"))),
    ).toContain("No component matches these filters.");
    expect(renderEnvironments(buildEnvironments(snapshot([carolBoard])))).toContain(
      "No environment board yet",
    );
    expect(
      renderEnvironments(buildEnvironments(snapshot([acmeBoard()]), q("state=nope"))),
    ).toContain("Ignored: state &quot;nope&quot;");
  });

  it("renders a board again when the store replaces it (cache keyed by update time)", () => {
    const store = new BoardStore();
    store.put(acmeBoard());
    const render = () => renderEnvironments(buildEnvironments(snapshot(store.boards())));
    expect(render()).not.toContain("1.4.0");
    store.update("acme/config", "web", "dev", "1.4.0");
    const html = render();
    expect(html).toMatch(
      /data-component="web"><th scope="row">web<\/th><td class="cell" data-env="dev" data-state="verifying"><span class="version">1\.4\.0/,
    );
  });
});
