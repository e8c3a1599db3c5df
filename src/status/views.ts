// The status page's views: each a pure function from a snapshot to JSON and one renderer of that JSON.
import type { ActivityEntry } from "../runtime/activity.js";
import {
  buildEnvironments,
  parseEnvFilters,
  renderEnvironments,
  type EnvironmentsData,
} from "./environments.js";
import { duration, esc, table, when } from "./html.js";
import {
  canSee,
  type DeployPull,
  type FreezeChange,
  type ScheduleFire,
  type StatusSnapshot,
} from "./snapshot.js";

/**
 * Who may see a view: `public` (aggregate health, no repository data), `signed-in` (filtered to
 * the viewer's repositories) or `admin` (MONOBOT_ADMINS only).
 */
export type ViewAccess = "public" | "signed-in" | "admin";

export interface StatusView<T = unknown> {
  /** Its JSON twin is `/api/monobot/status/{id}`. */
  id: string;
  title: string;
  access: ViewAccess;
  /** `query` is the page's (or the JSON request's) URL query: the filters of views that have some. */
  build(snapshot: StatusSnapshot, query?: URLSearchParams): T;
  render(data: T): string;
  /** What is wrong with the query, if anything: the JSON twin answers 400 with it. */
  check?(query: URLSearchParams): string | null;
}

/** Rows a view shows at most (the activity record keeps many more jobs). */
const ACTIVITY_ROWS = 50;

export interface HealthData {
  status: "ok" | "busy" | "failing";
  mode: string;
  startedAt: string;
  queueDepth: number;
  jobsRecorded: number;
  /** Among the last jobs shown to operators. */
  recentErrors: number;
}

const health: StatusView<HealthData> = {
  id: "health",
  title: "Health",
  access: "public",
  build(s) {
    const recent = s.activity.slice(0, ACTIVITY_ROWS);
    const recentErrors = recent.filter((e) => e.outcome === "error").length;
    const busy = (s.runtime.oldestJobAgeMs ?? 0) > 60_000;
    return {
      status:
        recentErrors > recent.length / 2 && recentErrors > 0 ? "failing" : busy ? "busy" : "ok",
      mode: s.runtime.mode,
      startedAt: s.runtime.startedAt,
      queueDepth: s.runtime.queueDepth,
      jobsRecorded: s.runtime.jobsRecorded,
      recentErrors,
    };
  },
  render(d) {
    const cls = d.status === "ok" ? "ok" : d.status === "busy" ? "wait" : "error";
    return `<dl>
<dt>Status</dt><dd class="${cls}" data-testid="health-status">${esc(d.status)}</dd>
<dt>Jobs waiting or running</dt><dd data-testid="queue-depth">${esc(d.queueDepth)}</dd>
<dt>Jobs run since start</dt><dd data-testid="jobs-recorded">${esc(d.jobsRecorded)}</dd>
<dt>Errors among the last ${ACTIVITY_ROWS}</dt><dd>${esc(d.recentErrors)}</dd>
<dt>State</dt><dd>${esc(d.mode)}</dd>
<dt>Running since</dt><dd>${when(d.startedAt)}</dd>
</dl>`;
  },
};

/** What runs where: every config repo's board the viewer may see, filtered by the URL query. */
const environments: StatusView<EnvironmentsData> = {
  id: "environments",
  title: "What runs where",
  access: "signed-in",
  build: buildEnvironments,
  render: renderEnvironments,
  check: (query) => parseEnvFilters(query).error,
};

export interface DeploysData {
  pulls: DeployPull[];
  error: string | null;
}

const deploys: StatusView<DeploysData> = {
  id: "deploys",
  title: "Open deploy and promotion PRs",
  access: "signed-in",
  build: (s) => ({
    pulls: s.deployPulls.filter((p) => canSee(s, p.repository)).slice(0, ACTIVITY_ROWS),
    error: s.deployPullsError,
  }),
  render(d) {
    const rows = d.pulls.map((p) => [
      `<a href="${esc(p.url)}">${esc(p.repository)}#${esc(p.number)}</a>`,
      esc(p.kind),
      esc(p.title),
      p.waiting.length === 0
        ? `<span class="ok">ready to merge</span>`
        : `<span class="wait">${p.waiting.map(esc).join("<br>")}</span>`,
    ]);
    const error = d.error ? `<p class="error">${esc(d.error)}</p>` : "";
    return (
      error +
      table(["PR", "kind", "title", "waits for"], rows, "No deploy or promotion PR is open.")
    );
  },
};

export interface ScheduleData {
  fires: ScheduleFire[];
  freezes: FreezeChange[];
}

const schedule: StatusView<ScheduleData> = {
  id: "schedule",
  title: "Next schedule fires and freeze changes",
  access: "signed-in",
  build: (s) => ({
    fires: s.schedules.filter((f) => canSee(s, f.repository)).slice(0, ACTIVITY_ROWS),
    freezes: s.freezes.filter((f) => canSee(s, f.repository)).slice(0, ACTIVITY_ROWS),
  }),
  render(d) {
    const fires = d.fires.map((f) => [
      when(f.at),
      esc(f.repository),
      `${esc(f.job)} / ${esc(f.component)}`,
      `<code>${esc(f.cron)}</code> ${esc(f.timezone)}`,
    ]);
    const freezes = d.freezes.map((f) => [
      esc(f.local),
      esc(f.repository),
      f.frozen ? `<span class="wait">freeze begins</span>` : `<span class="ok">freeze ends</span>`,
      esc(f.window),
    ]);
    return (
      `<h3>Scheduled jobs</h3>` +
      table(["next fire", "repository", "job / component", "schedule"], fires, "No schedule.") +
      `<h3>Deploy gate</h3>` +
      table(["when", "repository", "change", "window"], freezes, "No freeze window ahead.")
    );
  },
};

export interface ActivityData {
  entries: ActivityEntry[];
}

const activity: StatusView<ActivityData> = {
  id: "activity",
  title: "Recent deliveries and jobs",
  access: "admin",
  build: (s) => ({ entries: s.activity.slice(0, ACTIVITY_ROWS) }),
  render(d) {
    const rows = d.entries.map((e) => [
      when(e.at),
      esc(e.event),
      esc(e.repository ?? "–"),
      `<span class="${e.outcome === "success" ? "ok" : "error"}">${esc(e.outcome)}</span>`,
      esc(duration(e.durationMs)),
      esc(e.error ?? ""),
    ]);
    return table(
      ["finished", "event", "repository", "outcome", "took", "error"],
      rows,
      "No job has run since start-up.",
    );
  },
};

export interface QueueData {
  depth: number;
  oldestJobAgeMs: number | null;
  mode: string;
  installations: { id: number; repositories: number }[];
}

const queue: StatusView<QueueData> = {
  id: "queue",
  title: "Queue and installations",
  access: "admin",
  build: (s) => ({
    depth: s.runtime.queueDepth,
    oldestJobAgeMs: s.runtime.oldestJobAgeMs,
    mode: s.runtime.mode,
    installations: [...s.installations],
  }),
  render(d) {
    const rows = d.installations.map((i) => [esc(i.id), esc(i.repositories)]);
    return `<dl>
<dt>Depth</dt><dd>${esc(d.depth)}</dd>
<dt>Oldest waiting job</dt><dd>${esc(duration(d.oldestJobAgeMs))}</dd>
<dt>Queue</dt><dd>${esc(d.mode)}</dd>
</dl>${table(["installation", "repositories scheduled"], rows, "No installation seen yet.")}`;
  },
};

/** Every view, in page order; a new view is one more entry. */
export const VIEWS: readonly StatusView[] = [
  health,
  deploys,
  environments,
  schedule,
  activity,
  queue,
] as StatusView[];

/** Whether a viewer may open a view; the reason is what a refused request says. */
export function mayOpen(
  view: Pick<StatusView, "access">,
  viewer: StatusSnapshot["viewer"],
): { ok: true } | { ok: false; status: 401 | 403; reason: string } {
  if (view.access === "public") return { ok: true };
  if (!viewer) return { ok: false, status: 401, reason: "sign in with GitHub to see this view" };
  if (view.access === "admin" && !viewer.admin)
    return { ok: false, status: 403, reason: "this view is for operators (MONOBOT_ADMINS) only" };
  return { ok: true };
}

/** The views a viewer may open, rendered as page sections. */
export function renderViews(
  snapshot: StatusSnapshot,
  query: URLSearchParams = new URLSearchParams(),
): string {
  return VIEWS.filter((v) => mayOpen(v, snapshot.viewer).ok)
    .map(
      (v) =>
        `<section id="view-${esc(v.id)}" data-view="${esc(v.id)}"><h2>${esc(v.title)}` +
        ` <a href="/api/monobot/status/${esc(v.id)}">JSON</a></h2>\n${v.render(v.build(snapshot, query))}</section>`,
    )
    .join("\n");
}
