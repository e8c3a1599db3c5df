// The one client factory: finds a repository's installation, caches installation clients, and is
// the only place that builds the GitHub ports, so an event in one repository can act on another.
import { GitHubActionsSecrets } from "./actions-secrets.js";
import { GitHubConfigRepo } from "./config-repo.js";
import { GitHubRepo } from "./github.js";
import { GitHubReleaseHistory } from "./release-history.js";
import type { Octokit } from "./octokit.js";

/** What the factory needs of Probot: app-level and installation-level authentication. */
export interface AppAuth {
  /** No id: a client authenticated as the App (JWT); an id: as that installation. */
  auth(installationId?: number): Promise<unknown>;
}

export interface ClientFactoryOptions {
  /** The App's bot login (`slug[bot]`), when known; otherwise asked once from GitHub. */
  botLogin?: string;
  /** Installation clients kept (least recently used dropped beyond this). */
  maxClients?: number;
}

/**
 * Clients built here carry their installation id as their throttle id (Probot's `auth(id)` sets
 * it), so each installation has its own write lane while GitHub's per-installation spacing holds;
 * the event clients Probot hands to webhook handlers share one lane for the whole process.
 */
export class ClientFactory {
  readonly #clients = new Map<number, Promise<Octokit>>();
  readonly #installations = new Map<string, Promise<number>>();
  readonly #maxClients: number;
  #botLogin: Promise<string> | undefined;

  constructor(
    private readonly app: AppAuth,
    options: ClientFactoryOptions = {},
  ) {
    this.#maxClients = options.maxClients ?? 500;
    if (options.botLogin) this.#botLogin = Promise.resolve(options.botLogin);
  }

  /** The ports of `owner/repo`, acting as its installation (looked up when not given). */
  async forRepo(owner: string, repo: string, installationId?: number): Promise<GitHubRepo> {
    const id = installationId ?? (await this.installationOf(owner, repo));
    return new GitHubRepo(await this.#installationClient(id), owner, repo);
  }

  /** The config repo's port (deploy PRs: heads, files, branches, pull requests). */
  async configRepo(
    owner: string,
    repo: string,
    installationId?: number,
  ): Promise<GitHubConfigRepo> {
    const id = installationId ?? (await this.installationOf(owner, repo));
    return new GitHubConfigRepo(await this.#installationClient(id), owner, repo);
  }

  /** A monorepo's release history (release tags, compare, pull requests of commits). */
  async releaseHistory(
    owner: string,
    repo: string,
    installationId?: number,
  ): Promise<GitHubReleaseHistory> {
    const id = installationId ?? (await this.installationOf(owner, repo));
    return new GitHubReleaseHistory(await this.#installationClient(id), owner, repo);
  }

  /** A repository's Actions secrets port (public keys, encrypted writes). */
  async actionsSecrets(
    owner: string,
    repo: string,
    installationId?: number,
  ): Promise<GitHubActionsSecrets> {
    const id = installationId ?? (await this.installationOf(owner, repo));
    return new GitHubActionsSecrets(await this.#installationClient(id), owner, repo);
  }

  /** The installation of the App on `owner/repo` (one request per repository, then cached). */
  installationOf(owner: string, repo: string): Promise<number> {
    const key = `${owner}/${repo}`.toLowerCase();
    let found = this.#installations.get(key);
    if (!found) {
      found = (async () => {
        const appClient = (await this.app.auth()) as Octokit;
        const { data } = await appClient.rest.apps.getRepoInstallation({ owner, repo });
        return data.id;
      })();
      // A failed lookup (not installed, GitHub down) is asked again next time.
      found.catch(() => this.#installations.delete(key));
      this.#installations.set(key, found);
    }
    return found;
  }

  /** Every repository of every installation (for start-up registration; paginated). */
  async installedRepositories(): Promise<
    { owner: string; repo: string; defaultBranch: string; installationId: number }[]
  > {
    const appClient = (await this.app.auth()) as Octokit;
    const installations = await appClient.paginate(appClient.rest.apps.listInstallations, {
      per_page: 100,
    });
    const out = [];
    for (const inst of installations) {
      const client = await this.#installationClient(inst.id);
      const repos = await client.paginate(client.rest.apps.listReposAccessibleToInstallation, {
        per_page: 100,
      });
      for (const r of repos) {
        out.push({
          owner: r.owner.login,
          repo: r.name,
          defaultBranch: r.default_branch,
          installationId: inst.id,
        });
      }
    }
    return out;
  }

  /** The App's own login, so only its own comments are read back as state (asked once). */
  botLogin(): Promise<string> {
    this.#botLogin ??= (async () => {
      const appClient = (await this.app.auth()) as Octokit;
      const { data } = await appClient.rest.apps.getAuthenticated();
      return `${data?.slug ?? "monobot"}[bot]`;
    })();
    this.#botLogin.catch(() => (this.#botLogin = undefined));
    return this.#botLogin;
  }

  #installationClient(id: number): Promise<Octokit> {
    let client = this.#clients.get(id);
    if (client) {
      // Most recently used last, so the oldest is dropped first.
      this.#clients.delete(id);
    } else {
      client = this.app.auth(id) as Promise<Octokit>;
      client.catch(() => this.#clients.delete(id));
    }
    this.#clients.set(id, client);
    if (this.#clients.size > this.#maxClients) {
      const oldest = this.#clients.keys().next().value;
      if (oldest !== undefined) this.#clients.delete(oldest);
    }
    return client;
  }
}
