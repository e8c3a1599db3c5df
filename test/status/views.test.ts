// The views are pure: a snapshot in, JSON out, rendered as escaped HTML; access per view.
import { describe, expect, it } from "vitest";
import type { StatusSnapshot } from "../../src/status/snapshot.js";
import { mayOpen, renderViews, VIEWS } from "../../src/status/views.js";

function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    now: "2026-12-05T12:00:00.000Z",
    viewer: { login: "carol", admin: false },
    signInAvailable: true,
    visible: new Set(["carol/notes"]),
    runtime: {
      mode: "journal",
      startedAt: "2026-12-05T11:00:00.000Z",
      queueDepth: 2,
      oldestJobAgeMs: 1500,
      jobsRecorded: 7,
    },
    activity: [],
    schedules: [
      {
        repository: "carol/notes",
        job: "backup",
        component: "notes",
        at: "2026-12-06T03:00:00.000Z",
        cron: "0 3 * * *",
        timezone: "UTC",
      },
      {
        repository: "dave/tools",
        job: "lint",
        component: "tools",
        at: "2026-12-07T03:00:00.000Z",
        cron: "0 3 * * 1",
        timezone: "UTC",
      },
    ],
    freezes: [],
    deployPulls: [
      {
        repository: "carol/notes",
        number: 4,
        title: "<script>alert(1)</script>",
        url: "https://x/4",
        branch: "monobot/deploy-a",
        kind: "deploy",
        waiting: [],
      },
      {
        repository: "dave/tools",
        number: 5,
        title: "theirs",
        url: "https://x/5",
        branch: "monobot/deploy-b",
        kind: "deploy",
        waiting: ["ci pending"],
      },
    ],
    deployPullsError: null,
    installations: [{ id: 1, repositories: 2 }],
    boards: [],
    boardsError: null,
    ...over,
  };
}

const view = (id: string) => {
  const v = VIEWS.find((x) => x.id === id);
  if (!v) throw new Error(id);
  return v;
};

describe("status views", () => {
  it("filter repository data to what the viewer can read", () => {
    const s = snapshot();
    expect(view("deploys").build(s)).toMatchObject({ pulls: [{ repository: "carol/notes" }] });
    expect(view("schedule").build(s)).toMatchObject({ fires: [{ repository: "carol/notes" }] });
    expect(view("deploys").build(snapshot({ visible: "all" }))).toMatchObject({
      pulls: [{ repository: "carol/notes" }, { repository: "dave/tools" }],
    });
  });

  it("escape what GitHub returns", () => {
    const html = renderViews(snapshot());
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("render only the views the viewer may open", () => {
    const ids = (s: StatusSnapshot) =>
      [...renderViews(s).matchAll(/data-view="([a-z]+)"/g)].map((m) => m[1]);
    expect(ids(snapshot({ viewer: null }))).toEqual(["health"]);
    expect(ids(snapshot())).toEqual(["health", "deploys", "environments", "schedule"]);
    expect(ids(snapshot({ viewer: { login: "opal", admin: true }, visible: "all" }))).toEqual([
      "health",
      "deploys",
      "environments",
      "schedule",
      "activity",
      "queue",
    ]);
  });

  it.each([
    ["public", null, true],
    ["signed-in", null, 401],
    ["signed-in", { login: "c", admin: false }, true],
    ["admin", { login: "c", admin: false }, 403],
    ["admin", { login: "o", admin: true }, true],
  ] as const)("access %s for %o", (access, viewer, expected) => {
    const r = mayOpen({ access }, viewer);
    expect(r.ok ? true : r.status).toBe(expected);
  });

  it("say that no environment board is kept yet", () => {
    expect(view("environments").build(snapshot())).toMatchObject({ boards: [], waiting: [] });
    expect(renderViews(snapshot())).toContain("No environment board yet");
  });
});
