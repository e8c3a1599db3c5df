// Hand-built environment boards for tests and benchmarks: what the dashboard's computation would produce.
import type {
  BoardCell,
  BoardCellState,
  BoardRelease,
  BoardSource,
  BoardWait,
  EnvBoard,
} from "../../src/core/env-board.js";

/** A cell by its version, or with its state and details spelled out. */
export type CellSpec =
  string | (Partial<Omit<BoardCell, "component" | "environment">> & { version?: string });

export interface BoardSpec {
  repository: string;
  installationId?: number;
  /** In promotion order; the last is production unless `production` says otherwise. */
  environments?: string[];
  production?: string[];
  /** component -> environment -> cell; an environment left out has no cell (nothing deployed). */
  components: Record<string, Record<string, CellSpec>>;
  waiting?: BoardWait[];
  releases?: BoardRelease[];
  updatedAt?: string;
}

const ENVIRONMENTS = ["dev", "staging", "production"];

/** A board as the dashboard's computation would produce it; a string cell is a verified version. */
export function buildBoard(spec: BoardSpec): EnvBoard {
  const environments = spec.environments ?? ENVIRONMENTS;
  const production = spec.production ?? environments.slice(-1);
  const components = Object.keys(spec.components);
  const cells: BoardCell[] = [];
  for (const component of components) {
    const row = spec.components[component] ?? {};
    for (const environment of environments) {
      const c = row[environment];
      if (c === undefined) continue;
      const detail = typeof c === "string" ? { version: c } : c;
      cells.push({
        component,
        environment,
        mixed: false,
        state: "verified" satisfies BoardCellState,
        since: "2026-12-01T10:00:00.000Z",
        ...detail,
      });
    }
  }
  return {
    repository: spec.repository,
    installationId: spec.installationId ?? 1,
    environments: environments.map((name) => ({ name, production: production.includes(name) })),
    components,
    cells,
    waiting: spec.waiting ?? [],
    releases: spec.releases ?? [],
    updatedAt: spec.updatedAt ?? "2026-12-05T12:00:00.000Z",
  };
}

/** A board store a test changes as a merge would: a new board object with a later `updatedAt`. */
export class BoardStore implements BoardSource {
  readonly #boards = new Map<string, EnvBoard>();

  boards(): readonly EnvBoard[] {
    return [...this.#boards.values()];
  }

  put(board: EnvBoard): void {
    this.#boards.set(board.repository.toLowerCase(), board);
  }

  /** Replaces one cell, as the record of a merged deploy or promotion PR would. */
  update(repository: string, component: string, environment: string, cell: CellSpec): void {
    const board = this.#boards.get(repository.toLowerCase());
    if (!board) throw new Error(`no board for ${repository}`);
    const others = board.cells.filter(
      (c) => c.component !== component || c.environment !== environment,
    );
    const detail = typeof cell === "string" ? { version: cell } : cell;
    const next: BoardCell = { component, environment, mixed: false, state: "verifying", ...detail };
    // Later than the board it replaces, so caches keyed by update time see the change.
    const at = new Date(Math.max(Date.parse(board.updatedAt) + 1000, Date.now())).toISOString();
    this.put({ ...board, cells: [...others, next], updatedAt: at });
  }
}

/** A large board: `count` components, each in every environment, some waiting, failed or held. */
export function largeBoard(repository: string, count: number): EnvBoard {
  const components: BoardSpec["components"] = {};
  const waiting: BoardWait[] = [];
  for (let i = 0; i < count; i++) {
    const name = `svc-${String(i).padStart(4, "0")}`;
    const v = `1.${i % 40}.${i % 7}`;
    const state: BoardCellState =
      i % 50 === 0 ? "failed" : i % 33 === 0 ? "held" : i % 9 === 0 ? "soaking" : "verified";
    components[name] = {
      dev: {
        version: `1.${(i % 40) + 1}.0`,
        state: "verifying",
        deployment: { url: `https://github.com/${repository}/deployments/dev` },
        pull: { number: 1000 + i, url: `https://github.com/${repository}/pull/${1000 + i}` },
      },
      staging: { version: v, state, pull: { number: i + 1, url: `https://x.test/p/${i + 1}` } },
      production: { version: `1.${i % 40}.0`, state: "verified" },
    };
    if (state === "failed")
      waiting.push({
        component: name,
        environment: "production",
        version: v,
        reason: "verification",
        detail: `verification of ${name} ${v} failed in staging`,
        run: { url: `https://github.com/${repository}/actions/runs/${i}` },
      });
  }
  return buildBoard({ repository, components, waiting });
}
