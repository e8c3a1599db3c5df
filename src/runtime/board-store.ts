// The latest board of each config repo, kept in memory: the dashboard workflow fills it, the status page reads it.
import type { BoardSource, EnvBoard } from "../core/env-board.js";

/** A {@link BoardSource} the dashboard workflow writes to each time it computes a board. */
export class BoardStore implements BoardSource {
  readonly #boards = new Map<string, EnvBoard>();

  /** Keeps `board` as its repository's latest (an older one computed later does not replace it). */
  put(board: EnvBoard): void {
    const key = board.repository.toLowerCase();
    const known = this.#boards.get(key);
    if (known && known.updatedAt > board.updatedAt) return;
    this.#boards.set(key, board);
  }

  /** Forgets a repository's board (its dashboard was turned off, or the App left it). */
  forget(repository: string): void {
    this.#boards.delete(repository.toLowerCase());
  }

  boards(): readonly EnvBoard[] {
    return [...this.#boards.values()].sort((a, b) => a.repository.localeCompare(b.repository));
  }
}

/** Creates the process's board store: app.ts passes it to the dashboard workflow and to the status page. */
export function createBoardStore(): BoardStore {
  return new BoardStore();
}
