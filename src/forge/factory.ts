// The one client factory: finds a repository's installation, caches installation clients, and is
// the only place that builds the GitHub ports, so an event in one repository can act on another.
import { GitHubActionsSecrets } from "./actions-secrets.js";
import { GitHubConfigRepo } from "./config-repo.js";
import { GitHubRepo } from "./github.js";
import type { Octokit } from "./octokit.js";
import type { LoadedPolicy } from "./policy-loader.js";
import { GitHubReleaseHistory } from "./release-history.js";

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
  /** Policy reads kept for the deliveries of recent events (oldest dropped beyond this). */
  maxPolicies?: number;
}

/** What every view of one factory shares: clients, installations, the bot's login, policy reads. */
interface FactoryState {
  clients: Map<number, Promise<Octokit>>;
  installations: Map<string, Promise<number>>;
  botLogin: Promise<string> | undefined;
  /** `{delivery}\n{owner/repo}\n{ref}` -> the policy read for that event. */
  policies: Map<string, Promise<LoadedPolicy>>;
  maxClients: number;
  maxPolicies: number;
}

/**
 * A repository client that reads the policy once per event: the jobs one delivery fans out to
 * (the pull request's verification and its deployment gate, a merge and its secrets sync) share it.
 */
class EventRepo extends GitHubRepo {
  constructor(
    octokit: Octokit,
    owner: string,
    repo: string,
    private readonly state: FactoryState,
    private readonly delivery: string,
  ) {
    super(octokit, owner, repo);
  }

  override loadPolicy(ref?: string): Promise<LoadedPolicy> {
    const key = `${this.delivery}\n${this.owner}/${this.repo}`.toLowerCase() + `\n${ref ?? ""}`;
    const { policies } = this.state;
    let loaded = policies.get(key);
    if (!loaded) {
      loaded = super.loadPolicy(ref);
      // A failed read (GitHub down) is asked again by the next job.
      loaded.catch(() => policies.delete(key));
      policies.set(key, loaded);
      if (policies.size > this.state.maxPolicies) {
        const oldest = policies.keys().next().value;
        if (oldest !== undefined) policies.delete(oldest);
      }
    }
    return loaded;
  }
}

/**
 * Clients built here carry their installation id as their throttle id (Probot's `auth(id)` sets
 * it), so each installation has its own write lane while GitHub's per-installation spacing holds;
 * the event clients Probot hands to webhook handlers share one lane for the whole process.
 */
export class ClientFactory {
  readonly #state: FactoryState;
  /** The event this view serves, when it serves one: its policy reads are shared. */
  readonly #delivery: string | undefined;

  constructor(
    private readonly app: AppAuth,
    options: ClientFactoryOptions = {},
    shared?: { state: FactoryState; delivery: string },
  ) {
    this.#state = shared?.state ?? {
      clients: new Map(),
      installations: new Map(),
      botLogin: options.botLogin ? Promise.resolve(options.botLogin) : undefined,
      policies: new Map(),
      maxClients: options.maxClients ?? 500,
      maxPolicies: options.maxPolicies ?? 500,
    };
    this.#delivery = shared?.delivery;
  }

  /**
   * The same factory for the jobs of one event (`delivery`: the webhook's delivery id): each
   * repository's policy at a ref is read once for all of them, as the design asks.
   */
  forDelivery(delivery: string): ClientFactory {
    return new ClientFactory(this.app, {}, { state: this.#state, delivery });
  }

  /** The ports of `owner/repo`, acting as its installation (looked up when not given). */
  async forRepo(owner: string, repo: string, installationId?: number): Promise<GitHubRepo> {
    const id = installationId ?? (await this.installationOf(owner, repo));
    const client = await this.#installationClient(id);
    return this.#delivery === undefined
      ? new GitHubRepo(client, owner, repo)
      : new EventRepo(client, owner, repo, this.#state, this.#delivery);
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
    const installations = this.#state.installations;
    let found = installations.get(key);
    if (!found) {
      found = (async () => {
        const appClient = (await this.app.auth()) as Octokit;
        const { data } = await appClient.rest.apps.getRepoInstallation({ owner, repo });
        return data.id;
      })();
      // A failed lookup (not installed, GitHub down) is asked again next time.
      found.catch(() => installations.delete(key));
      installations.set(key, found);
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
    const state = this.#state;
    if (!state.botLogin) {
      const asked = (async () => {
        const appClient = (await this.app.auth()) as Octokit;
        const { data } = await appClient.rest.apps.getAuthenticated();
        return `${data?.slug ?? "monobot"}[bot]`;
      })();
      asked.catch(() => {
        if (state.botLogin === asked) state.botLogin = undefined;
      });
      state.botLogin = asked;
    }
    return state.botLogin;
  }

  #installationClient(id: number): Promise<Octokit> {
    const clients = this.#state.clients;
    let client = clients.get(id);
    if (client) {
      // Most recently used last, so the oldest is dropped first.
      clients.delete(id);
    } else {
      client = this.app.auth(id) as Promise<Octokit>;
      client.catch(() => clients.delete(id));
    }
    clients.set(id, client);
    if (clients.size > this.#state.maxClients) {
      const oldest = clients.keys().next().value;
      if (oldest !== undefined) clients.delete(oldest);
    }
    return client;
  }
}
