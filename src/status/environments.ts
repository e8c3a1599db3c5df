// The "what runs where" view: each visible config repo's board as a component x environment matrix, filtered by the URL.
import type {
  BoardCell,
  BoardCellState,
  BoardLink,
  BoardRelease,
  BoardWait,
  BoardWaitReason,
  EnvBoard,
} from "../core/env-board.js";
import { esc, table, when } from "./html.js";
import { canSee, type StatusSnapshot } from "./snapshot.js";

export const CELL_STATES: readonly BoardCellState[] = [
  "pinned",
  "verifying",
  "soaking",
  "verified",
  "failed",
  "held",
];

/** Component rows a board shows at first, and how many each "show more" adds. */
export const ROWS_STEP = 50;
/** The most rows one page shows; past this the filters narrow the matrix. */
export const MAX_ROWS = 1000;
const MAX_WAITING = 100;
const MAX_RELEASES = 10;
/** A filter longer than this is cut: no name is that long. */
const MAX_FILTER_CHARS = 100;

/** The URL query of the view: `?repository=&environment=&component=&state=&rows=`. */
export interface EnvFilters {
  /** `owner/name` of one config repo (any case). */
  repository: string | null;
  /** One environment: the matrix keeps that column only. */
  environment: string | null;
  /** Part of a component's name (any case). */
  component: string | null;
  /** Components with a cell in that state (among the columns shown). */
  state: BoardCellState | null;
  /** Component rows shown per board. */
  rows: number;
}

export interface EnvRow {
  component: string;
  /** One per environment shown, in the board's order; null where nothing is deployed. */
  cells: Array<BoardCell | null>;
}

export interface EnvBoardView {
  repository: string;
  updatedAt: string;
  /** The environments shown (all, or the one filtered on). */
  environments: Array<{ name: string; production: boolean }>;
  rows: EnvRow[];
  /** Components that match the filters; `rows` holds the first of them. */
  matching: number;
  /** Components on the board. */
  components: number;
  /** The query of the next page (same filters, more rows); null when every match is shown. */
  more: string | null;
  /** Newest first. */
  releases: BoardRelease[];
}

export interface EnvironmentsData {
  filters: EnvFilters;
  /** What was wrong with the query (that filter is ignored); null when nothing. */
  error: string | null;
  /** Why the boards could not be read, if they could not. */
  boardsError: string | null;
  /** Values the filters can take, among the boards the viewer may see. */
  options: { repositories: string[]; environments: string[]; states: readonly BoardCellState[] };
  /** What waits and why, across the boards shown (listed first: it needs action). */
  waiting: Array<BoardWait & { repository: string }>;
  boards: EnvBoardView[];
}

/** Reads the filters; a bad value is dropped and named in `error`, so the view still shows. */
export function parseEnvFilters(query: URLSearchParams): {
  filters: EnvFilters;
  error: string | null;
} {
  const text = (name: string): string | null => {
    const v = query.get(name)?.trim().slice(0, MAX_FILTER_CHARS);
    return v ? v : null;
  };
  const errors: string[] = [];
  let state = text("state");
  if (state !== null && !(CELL_STATES as readonly string[]).includes(state)) {
    errors.push(`state "${state}" is not one of ${CELL_STATES.join(", ")}`);
    state = null;
  }
  let rows = ROWS_STEP;
  const rowsText = text("rows");
  if (rowsText !== null) {
    const n = Number(rowsText);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_ROWS) rows = n;
    else errors.push(`rows "${rowsText}" is not a whole number from 1 to ${MAX_ROWS}`);
  }
  return {
    filters: {
      repository: text("repository"),
      environment: text("environment"),
      component: text("component"),
      state: state as BoardCellState | null,
      rows,
    },
    error: errors.length ? `Ignored: ${errors.join("; ")}.` : null,
  };
}

/** The query string of a filtered view (`?...`, or "" with no filter). */
export function filterQuery(f: EnvFilters): string {
  const q = new URLSearchParams();
  for (const k of ["repository", "environment", "component", "state"] as const) {
    const v = f[k];
    if (v) q.set(k, v);
  }
  if (f.rows !== ROWS_STEP) q.set("rows", String(f.rows));
  const s = q.toString();
  return s ? `?${s}` : "";
}

interface PreparedRow {
  component: string;
  lower: string;
  cells: Map<string, BoardCell>;
}

/** A board indexed once per update: every poll of every viewer filters the same index. */
interface Prepared {
  updatedAt: string;
  rows: PreparedRow[];
  releases: BoardRelease[];
  /** Rendered matrices of this board version, by filter query. */
  fragments: Map<string, string>;
}

/** Rendered matrices kept per board version: polls with the same filters cost a lookup. */
const MAX_FRAGMENTS = 64;
/** Links a board's view to its rendered fragments without showing up in the JSON. */
const FRAGMENTS = Symbol("fragments");

const prepared = new WeakMap<EnvBoard, Prepared>();

function prepare(board: EnvBoard): Prepared {
  const cached = prepared.get(board);
  if (cached && cached.updatedAt === board.updatedAt) return cached;
  const byName = new Map<string, PreparedRow>();
  const row = (component: string): PreparedRow => {
    let r = byName.get(component);
    if (!r) {
      r = { component, lower: component.toLowerCase(), cells: new Map() };
      byName.set(component, r);
    }
    return r;
  };
  for (const c of board.components) row(c);
  for (const cell of board.cells) row(cell.component).cells.set(cell.environment, cell);
  const value: Prepared = {
    updatedAt: board.updatedAt,
    rows: [...byName.values()],
    releases: [...board.releases].sort((a, b) => b.at.localeCompare(a.at)).slice(0, MAX_RELEASES),
    fragments: new Map(),
  };
  prepared.set(board, value);
  return value;
}

function boardView(board: EnvBoard, f: EnvFilters): EnvBoardView {
  const p = prepare(board);
  const environments = f.environment
    ? board.environments.filter((e) => e.name === f.environment)
    : board.environments;
  const names = environments.map((e) => e.name);
  const needle = f.component?.toLowerCase() ?? null;
  const rows: EnvRow[] = [];
  let matching = 0;
  if (environments.length > 0) {
    for (const r of p.rows) {
      if (needle !== null && !r.lower.includes(needle)) continue;
      if (f.state !== null && !names.some((n) => r.cells.get(n)?.state === f.state)) continue;
      matching++;
      if (rows.length < f.rows)
        rows.push({ component: r.component, cells: names.map((n) => r.cells.get(n) ?? null) });
    }
  }
  const next = Math.min(f.rows + ROWS_STEP, MAX_ROWS);
  const view: EnvBoardView = {
    repository: board.repository,
    updatedAt: board.updatedAt,
    environments,
    rows,
    matching,
    components: p.rows.length,
    more: matching > rows.length && next > f.rows ? filterQuery({ ...f, rows: next }) : null,
    releases: needle === null ? p.releases : p.releases.filter((r) => matches(r, needle)),
  };
  Object.defineProperty(view, FRAGMENTS, { value: p.fragments, enumerable: false });
  return view;
}

const matches = (x: { component: string }, needle: string): boolean =>
  x.component.toLowerCase().includes(needle);

export function buildEnvironments(
  s: StatusSnapshot,
  query: URLSearchParams = new URLSearchParams(),
): EnvironmentsData {
  const { filters: f, error } = parseEnvFilters(query);
  const visible = s.boards
    .filter((b) => canSee(s, b.repository))
    .sort((a, b) => a.repository.localeCompare(b.repository));
  const environments: string[] = [];
  for (const b of visible)
    for (const e of b.environments) if (!environments.includes(e.name)) environments.push(e.name);
  const repo = f.repository?.toLowerCase();
  const shown = repo ? visible.filter((b) => b.repository.toLowerCase() === repo) : visible;
  const needle = f.component?.toLowerCase() ?? null;
  const waiting: EnvironmentsData["waiting"] = [];
  for (const b of shown) {
    for (const w of b.waiting) {
      if (waiting.length >= MAX_WAITING) break;
      if (f.environment && w.environment !== f.environment) continue;
      if (needle !== null && !matches(w, needle)) continue;
      waiting.push({ repository: b.repository, ...w });
    }
  }
  return {
    filters: f,
    error,
    boardsError: s.boardsError,
    options: {
      repositories: visible.map((b) => b.repository),
      environments,
      states: CELL_STATES,
    },
    waiting,
    boards: shown.map((b) => boardView(b, f)),
  };
}

// ---- HTML ----

const WAIT_WORDS: Record<BoardWaitReason, string> = {
  freeze: "frozen",
  approvals: "needs approvals",
  verification: "verification failed",
  hold: "on hold",
  soak: "soaking",
};

const STATE_WORDS: Record<BoardCellState, string> = {
  pinned: "pinned",
  verifying: "verifying",
  soaking: "soaking",
  verified: "verified",
  failed: "failed",
  held: "on hold",
};

const STATE_TITLES: Record<BoardCellState, string> = {
  pinned: "pinned in git, no deployment recorded",
  verifying: "deployed, verification running",
  soaking: "verified, waiting for the soak time",
  verified: "verified and soaked",
  failed: "verification failed",
  held: "on hold: not promoted automatically",
};

/** Only web links: a board's URL never becomes a script or data link. */
function link(l: BoardLink | undefined, text: string): string {
  if (!l || !/^https?:\/\//i.test(l.url)) return "";
  return `<a href="${esc(l.url)}">${esc(text)}</a>`;
}

function badge(state: BoardCellState): string {
  return `<span class="badge st-${state}" title="${esc(STATE_TITLES[state])}">${esc(STATE_WORDS[state])}</span>`;
}

function cellHtml(c: BoardCell | null): string {
  if (!c) return `<td class="cell none">not deployed</td>`;
  const version = c.mixed
    ? `<span class="version error">pins disagree</span>`
    : `<span class="version">${esc(c.version ?? "–")}</span>`;
  const lines = [`${version} ${badge(c.state)}`];
  if (c.state === "soaking" && c.soakUntil) lines.push(`soaks until ${when(c.soakUntil)}`);
  if (c.state === "held" && c.hold)
    lines.push(`<span class="hold">${esc(c.hold.reason)} (@${esc(c.hold.by)})</span>`);
  if (c.since) lines.push(`since ${when(c.since)}`);
  const links = [
    link(c.deployment, "deployment"),
    link(c.pull, c.pull?.number !== undefined ? `PR #${c.pull.number}` : "PR"),
    c.state === "failed" ? link(c.failedRun, "failed run") : "",
  ].filter(Boolean);
  if (links.length) lines.push(`<span class="links">${links.join(" · ")}</span>`);
  return `<td class="cell" data-env="${esc(c.environment)}" data-state="${c.state}">${lines.join("<br>")}</td>`;
}

function select(
  name: string,
  label: string,
  values: readonly string[],
  current: string | null,
): string {
  const opts = [`<option value="">all</option>`]
    .concat(
      values.map(
        (v) => `<option value="${esc(v)}"${v === current ? " selected" : ""}>${esc(v)}</option>`,
      ),
    )
    .join("");
  return `<label>${esc(label)} <select name="${name}">${opts}</select></label>`;
}

function filterForm(d: EnvironmentsData): string {
  const f = d.filters;
  return (
    `<form class="filters" method="get" action="/" data-filters>` +
    select("repository", "Repository", d.options.repositories, f.repository) +
    select("environment", "Environment", d.options.environments, f.environment) +
    `<label>Component <input type="search" name="component" value="${esc(f.component)}" placeholder="name contains"></label>` +
    select("state", "State", d.options.states, f.state) +
    `<button type="submit">Filter</button> <a href="/#view-environments">Clear</a></form>`
  );
}

function waitingTable(waiting: EnvironmentsData["waiting"]): string {
  const rows = waiting.map((w) => [
    esc(w.repository),
    `${esc(w.component)} <span class="version">${esc(w.version)}</span> &rarr; ${esc(w.environment)}`,
    `<span class="badge wait-${w.reason}">${esc(WAIT_WORDS[w.reason])}</span> ${esc(w.detail)}`,
    w.until ? when(w.until) : "&ndash;",
    [link(w.pull, w.pull?.number !== undefined ? `PR #${w.pull.number}` : "PR"), link(w.run, "run")]
      .filter(Boolean)
      .join(" · ") || "&ndash;",
  ]);
  return table(["config repo", "what", "why", "until", "links"], rows, "Nothing waits.");
}

function matrix(b: EnvBoardView, f: EnvFilters): string {
  const fragments = (b as { [FRAGMENTS]?: Map<string, string> })[FRAGMENTS];
  const key = filterQuery(f);
  const hit = fragments?.get(key);
  if (hit !== undefined) return hit;
  const head =
    `<th>component</th>` +
    b.environments
      .map(
        (e) =>
          `<th>${esc(e.name)}${e.production && !/prod/i.test(e.name) ? ` <span class="prod">production</span>` : ""}</th>`,
      )
      .join("");
  const body = b.rows
    .map(
      (r) =>
        `<tr data-component="${esc(r.component)}"><th scope="row">${esc(r.component)}</th>${r.cells.map(cellHtml).join("")}</tr>`,
    )
    .join("\n");
  const shown =
    b.matching === 0
      ? `<p class="empty">No component matches these filters.</p>`
      : `<table class="matrix" data-repository="${esc(b.repository)}"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  const count =
    b.matching > b.rows.length
      ? `<p class="more">Showing ${b.rows.length} of ${b.matching} components${
          b.more
            ? `. <a href="/${esc(b.more)}#view-environments" data-testid="show-more">Show more</a>`
            : "; narrow the filters to see the rest."
        }</p>`
      : "";
  const releases = b.releases.length
    ? `<details><summary>Recent releases (${b.releases.length})</summary>${table(
        ["component", "version", "released", "deploy PR"],
        b.releases.map((r) => [
          esc(r.component),
          esc(r.version),
          when(r.at),
          r.deployPull
            ? `${link(r.deployPull, `#${r.deployPull.number ?? ""}`)} ${esc(r.deployPull.state)}`
            : "&ndash;",
        ]),
        "",
      )}</details>`
    : "";
  const html =
    `<h3 class="board">${esc(b.repository)} <span class="meta">${b.components} component${b.components === 1 ? "" : "s"} · updated ${when(b.updatedAt)}</span></h3>` +
    shown +
    count +
    releases;
  if (fragments) {
    if (fragments.size >= MAX_FRAGMENTS) fragments.delete(fragments.keys().next().value ?? "");
    fragments.set(key, html);
  }
  return html;
}

export function renderEnvironments(d: EnvironmentsData): string {
  const notes = [d.error, d.boardsError]
    .filter((x): x is string => x !== null)
    .map((x) => `<p class="error">${esc(x)}</p>`)
    .join("");
  if (d.options.repositories.length === 0)
    return (
      notes +
      `<p class="empty">No environment board yet: monobot keeps one per config repo (<code>deploy.config_repo</code> with <code>deploy.environments</code>) that you can read.</p>`
    );
  const boards = d.boards.length
    ? d.boards.map((b) => matrix(b, d.filters)).join("\n")
    : `<p class="empty">No config repo matches these filters.</p>`;
  return (
    filterForm(d) +
    notes +
    `<h3>What waits and why</h3>` +
    `<div data-testid="waiting">${waitingTable(d.waiting)}</div>` +
    boards
  );
}
