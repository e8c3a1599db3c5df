// Builds small real git repositories in a temp folder for CLI and local-forge tests.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface TempRepo {
  dir: string;
  git(...args: string[]): string;
  /** Writes files (null deletes) and commits them; returns the new commit's SHA. */
  commit(
    files: Record<string, string | null>,
    message?: string,
    author?: { name: string; email: string },
  ): string;
  remove(): void;
}

export function tempRepo(name = "monorepo"): TempRepo {
  const root = mkdtempSync(join(tmpdir(), "monobot-git-"));
  const dir = join(root, name);
  mkdirSync(dir);
  const env = {
    ...process.env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_AUTHOR_DATE: "2026-01-01T00:00:00Z",
    GIT_COMMITTER_DATE: "2026-01-01T00:00:00Z",
  };
  const git = (...args: string[]) =>
    execFileSync(
      "git",
      [
        "-c",
        "user.name=Dev",
        "-c",
        "user.email=dev@example.com",
        "-c",
        "commit.gpgsign=false",
        ...args,
      ],
      {
        cwd: dir,
        env,
        encoding: "utf8",
      },
    );
  git("init", "-q", "-b", "main");
  return {
    dir,
    git,
    commit(files, message = "change", author) {
      for (const [path, content] of Object.entries(files)) {
        const full = join(dir, path);
        if (content === null) rmSync(full, { force: true });
        else {
          mkdirSync(dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git("add", "-A");
      git(
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
        ...(author ? [`--author=${author.name} <${author.email}>`] : []),
      );
      return git("rev-parse", "HEAD").trim();
    },
    remove() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}
