// The dashboard issue's text: rendered from a board (what waits first, then what runs where, then releases), its checkboxes read back, cut to GitHub's limit.
import type { BoardCell, EnvBoard } from "./env-board.js";
import { environmentList } from "./environments.js";
import type { Policy } from "./policy.js";

/** The hidden marker that finds the dashboard issue among the bot's issues. */
export const DASHBOARD_MARKER = "<!-- monobot:dashboard -->";
export const DASHBOARD_TITLE = "Deployments dashboard";
/** GitHub refuses an issue body longer than this. */
export const ISSUE_BODY_LIMIT = 65_536;

/** Whether the config repo has a dashboard: `deploy.dashboard`, or on when environments are declared. */
export function dashboardEnabled(policy: Pick<Policy, "deploy">): boolean {
  return policy.deploy.dashboard ?? environmentList(policy.deploy.environments).length > 0;
}

/** What a checkbox of the dashboard does when ticked. */
export type DashboardAction =
  | { kind: "promote"; component: string; version: string; environment: string }
  | { kind: "retry"; component: string; version: string; environment: string };

/** The checkbox's words, which are also how a tick is recognised. */
export function actionText(a: DashboardAction): string {
  return a.kind === "promote"
    ? `promote ${a.component} ${a.version} to ${a.environment}`
    : `retry verification of ${a.component} ${a.version} in ${a.environment}`;
}

const WORD = "([A-Za-z0-9][A-Za-z0-9._+-]{0,127})";
const BOX = new RegExp(
  `^- \\[([ xX])\\] (?:promote ${WORD} ${WORD} to ${WORD}|retry verification of ${WORD} ${WORD} in ${WORD})\\s*$`,
);

/** The checkboxes of a body, ticked or not, in order. */
export function readCheckboxes(
  body: string | null | undefined,
): { action: DashboardAction; ticked: boolean }[] {
  const out: { action: DashboardAction; ticked: boolean }[] = [];
  for (const line of (body ?? "").split(/\r?\n/)) {
    const m = BOX.exec(line);
    if (!m) continue;
    const ticked = m[1] !== " ";
    const action: DashboardAction =
      m[2] !== undefined
        ? { kind: "promote", component: m[2], version: m[3] as string, environment: m[4] as string }
        : {
            kind: "retry",
            component: m[5] as string,
            version: m[6] as string,
            environment: m[7] as string,
          };
    out.push({ action, ticked });
  }
  return out;
}

/** The actions ticked in `body`. */
export function tickedActions(body: string | null | undefined): DashboardAction[] {
  return readCheckboxes(body)
    .filter((b) => b.ticked)
    .map((b) => b.action);
}

/** The boxes ticked in `after` that were not ticked in `before` (an edit's new ticks). */
export function newTicks(
  before: string | null | undefined,
  after: string | null | undefined,
): DashboardAction[] {
  const old = new Set(tickedActions(before).map(actionText));
  const seen = new Set<string>();
  return tickedActions(after).filter((a) => {
    const k = actionText(a);
    if (old.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function isDashboard(body: string | null | undefined): boolean {
  return (body ?? "").includes(DASHBOARD_MARKER);
}

/** The actions the board offers: promote what is verified upstream, retry what failed. */
export function boardActions(board: EnvBoard): DashboardAction[] {
  const at = new Map(board.cells.map((c) => [`${c.component}\n${c.environment}`, c]));
  const out: DashboardAction[] = [];
  for (const component of board.components) {
    board.environments.forEach((env, i) => {
      const cell = at.get(`${component}\n${env.name}`);
      if (cell?.state === "failed" && cell.version !== undefined) {
        out.push({ kind: "retry", component, version: cell.version, environment: env.name });
      }
      const previous = board.environments[i - 1];
      const upstream = previous && at.get(`${component}\n${previous.name}`);
      if (!upstream || upstream.state !== "verified" || upstream.version === undefined) return;
      if (cell?.version === upstream.version || cell?.state === "held") return;
      out.push({ kind: "promote", component, version: upstream.version, environment: env.name });
    });
  }
  return out;
}

/** User text (a hold's reason) on one line, unable to open HTML, links or table cells. */
function plain(text: string, max = 200): string {
  const one = text.replace(/\s+/g, " ").trim();
  const cut = one.length > max ? `${one.slice(0, max - 1)}…` : one;
  return cut.replace(/[<>`|[\]\\*_]/g, (c) => `\\${c}`);
}

/** `2026-12-05 20:50 UTC` from an ISO time. */
export function shortTime(iso: string | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function link(text: string, url: string | undefined): string {
  return url ? `[${text}](${url})` : text;
}

const STATE_WORDS: Record<BoardCell["state"], string> = {
  pinned: "pinned",
  verifying: "verifying",
  soaking: "soaking",
  verified: "verified",
  failed: "**failed**",
  held: "**on hold**",
};

function cellText(c: BoardCell | undefined): string {
  if (!c) return "";
  if (c.mixed) return "pins disagree";
  if (c.version === undefined) return "—";
  const parts = [link(c.version, c.deployment?.url), STATE_WORDS[c.state]];
  if (c.state === "soaking" && c.soakUntil) parts.push(`until ${shortTime(c.soakUntil)}`);
  if (c.state === "failed" && c.failedRun) parts.push(link("run", c.failedRun.url));
  if (c.since) parts.push(`since ${shortTime(c.since)}`);
  if (c.pull?.number !== undefined) parts.push(link(`#${c.pull.number}`, c.pull.url));
  return parts.join(" ");
}

/** A section: its heading, its lines, and how to say what was left out of it. */
interface Section {
  head: string[];
  items: string[];
  empty?: string;
  omitted: (n: number) => string;
}

function sections(board: EnvBoard, ticked: ReadonlySet<string>): Section[] {
  const waiting = board.waiting.map((w) => {
    const extra = [
      w.pull ? link(`#${w.pull.number}`, w.pull.url) : "",
      w.run ? link("failed run", w.run.url) : "",
    ].filter((x) => x !== "");
    return `- **${w.component} ${w.version} → ${w.environment}** (${w.reason}): ${plain(w.detail, 300)}${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`;
  });
  const actions = boardActions(board).map((a) => {
    const text = actionText(a);
    return `- [${ticked.has(text) ? "x" : " "}] ${text}`;
  });
  const at = new Map(board.cells.map((c) => [`${c.component}\n${c.environment}`, c]));
  const rows = board.components.map(
    (component) =>
      `| ${component} | ${board.environments.map((e) => cellText(at.get(`${component}\n${e.name}`))).join(" | ")} |`,
  );
  // "production (production)" says nothing twice: the mark only when the name does not say it.
  const envHead = board.environments.map((e) =>
    e.production && !/prod/i.test(e.name) ? `${e.name} (production)` : e.name,
  );
  const releases = board.releases.map((r) => {
    const pr = r.deployPull
      ? `: deploy PR ${link(`#${r.deployPull.number}`, r.deployPull.url)} ${r.deployPull.state}`
      : "";
    return `- ${r.component} ${r.version} (${shortTime(r.at)})${pr}`;
  });
  return [
    {
      head: ["## Waiting", ""],
      items: waiting,
      empty: "Nothing waits.",
      omitted: (n) => `- … and ${n} more waiting, left out to fit GitHub's limit.`,
    },
    {
      head: [
        "",
        "## Actions",
        "",
        "Tick a box to run it as you (the same rules as the comment commands).",
      ],
      items: actions,
      empty: "Nothing to promote or retry.",
      omitted: (n) => `- … and ${n} more actions, left out to fit GitHub's limit.`,
    },
    {
      head: [
        "",
        "## What runs where",
        "",
        `| component | ${envHead.join(" | ")} |`,
        `|---|${board.environments.map(() => "---|").join("")}`,
      ],
      items: rows,
      omitted: (n) =>
        `\n${n} more components left out to fit GitHub's limit (\`monobot envs\` and the status page show every one).`,
    },
    {
      head: ["", "## Recent releases", ""],
      items: releases,
      empty: "No deploy pull requests yet.",
      omitted: (n) => `- … and ${n} more releases, left out to fit GitHub's limit.`,
    },
  ];
}

/**
 * The dashboard's body. `ticked`: the boxes to render ticked (ticks a person made since the last
 * render, carried over so none is lost). At most `limit` characters: what does not fit is left
 * out, section by section from the end of each, with a line saying how much.
 */
export function renderDashboard(
  board: EnvBoard,
  options: { ticked?: readonly DashboardAction[]; limit?: number } = {},
): string {
  const limit = options.limit ?? ISSUE_BODY_LIMIT;
  const ticked = new Set((options.ticked ?? []).map(actionText));
  const intro = [
    DASHBOARD_MARKER,
    `What runs where in ${board.repository}, what waits and why. monobot keeps this issue up to date; edit only the checkboxes.`,
    "",
  ];
  const parts = sections(board, ticked);
  // Each section keeps room for its heading, its "left out" line, and the headings after it.
  const reserve = (from: number) =>
    parts
      .slice(from)
      .reduce((n, s) => n + s.head.join("\n").length + 1 + s.omitted(999_999).length + 1, 0);
  const lines = [...intro];
  let used = intro.join("\n").length + 1;
  parts.forEach((s, i) => {
    lines.push(...s.head);
    used += s.head.join("\n").length + 1;
    if (s.items.length === 0 && s.empty) {
      lines.push(s.empty);
      used += s.empty.length + 1;
      return;
    }
    const budget = limit - reserve(i + 1) - s.omitted(999_999).length - 1;
    let kept = 0;
    for (const item of s.items) {
      if (used + item.length + 1 > budget) break;
      lines.push(item);
      used += item.length + 1;
      kept += 1;
    }
    if (kept < s.items.length) {
      const note = s.omitted(s.items.length - kept);
      lines.push(note);
      used += note.length + 1;
    }
  });
  const text = `${lines.join("\n")}\n`;
  return text.length <= limit ? text : text.slice(0, limit);
}
