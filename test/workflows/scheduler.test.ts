import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../src/core/policy.js";
import { silentLog } from "../../src/log.js";
import type { CommitStatus } from "../../src/forge/port.js";
import {
  FileFireStore,
  MemoryFireStore,
  Scheduler,
  type ScheduledRepo,
} from "../../src/workflows/scheduler.js";

const policy = mergePolicy(
  defaultPolicyObject(),
  parse(`
jobs:
  templates:
    nightly:
      on: schedule
      cron: "0 2 * * *"
      timezone: Europe/Berlin
      backend: { type: github-actions, workflow: nightly.yml }
      inputs: { component: "{component}" }
`),
) as Policy;

const target: ScheduledRepo = {
  owner: "acme",
  repo: "mono",
  defaultBranch: "main",
  installationId: 1,
};
const HEAD = "a".repeat(40);

function setup(store = new MemoryFireStore()) {
  const dispatched: { route: string; params: Record<string, unknown> }[] = [];
  const statuses: CommitStatus[] = [];
  let loads = 0;
  const scheduler = new Scheduler({
    source: {
      load: async () => {
        loads++;
        return { policy, paths: ["services/api/VERSION", "services/web/VERSION"], headSha: HEAD };
      },
      port: async () => ({
        statuses: async () => [],
        setStatus: async (_sha, s) => void statuses.push(s),
        requester: () => ({
          request: async (route: string, params: Record<string, unknown>) => {
            dispatched.push({ route, params });
            return { status: 204, data: "" };
          },
        }),
      }),
    },
    store,
    backend: { env: {} },
    log: silentLog,
  });
  scheduler.register(target);
  return { scheduler, dispatched, statuses, loads: () => loads };
}

describe("Scheduler", () => {
  it("fires a due schedule once per component, and not again until the next day", async () => {
    const s = setup();
    // First sight of the schedule: remembered from now, nothing fired retroactively.
    expect((await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"))).fired).toEqual([]);
    expect((await s.scheduler.tick(new Date("2026-03-10T00:59:00Z"))).fired).toEqual([]);
    // 02:00 in Berlin is 01:00 UTC in March (before DST).
    const fired = await s.scheduler.tick(new Date("2026-03-10T01:00:30Z"));
    expect(fired.fired).toEqual([
      "acme/mono api/nightly@2026-03-10T01:00:00.000Z",
      "acme/mono web/nightly@2026-03-10T01:00:00.000Z",
    ]);
    expect(
      s.dispatched.map((d) => [d.route, (d.params.inputs as Record<string, string>).component]),
    ).toEqual([
      ["POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "api"],
      ["POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "web"],
    ]);
    expect(s.statuses.map((x) => [x.context, x.state])).toEqual([
      ["ci/api/nightly", "pending"],
      ["ci/web/nightly", "pending"],
    ]);
    expect((await s.scheduler.tick(new Date("2026-03-10T12:00:00Z"))).fired).toEqual([]);
    expect(s.loads()).toBe(1);
  });

  it("after a restart, a fire missed while down runs once, never twice", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "monobot-sched-")), "state", "schedule.json");
    const first = setup(new FileFireStore(path));
    await first.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    // Down for two days: the restarted scheduler reads the file and runs the latest fire once.
    const second = setup(new FileFireStore(path));
    const after = await second.scheduler.tick(new Date("2026-03-12T03:00:00Z"));
    expect(after.fired).toHaveLength(2);
    expect(after.fired[0]).toContain("2026-03-12T01:00:00.000Z");
    const third = setup(new FileFireStore(path));
    expect((await third.scheduler.tick(new Date("2026-03-12T03:05:00Z"))).fired).toEqual([]);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")) as object)).toHaveLength(2);
  });

  it("reads the policy again after the default branch moved", async () => {
    const s = setup();
    await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    s.scheduler.invalidate(target);
    await s.scheduler.tick(new Date("2026-03-10T00:01:00Z"));
    expect(s.loads()).toBe(2);
  });
});
