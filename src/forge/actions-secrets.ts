// The Actions secrets port: a repository's (or one of its environments') public key, and writing, listing and deleting secrets.
import type { Octokit } from "./github.js";

/** A repository's or environment's Actions public key, as GitHub serves it. */
export interface ActionsPublicKey {
  keyId: string;
  /** Base64 of the 32-byte X25519 public key. */
  key: string;
}

/**
 * What the sync workflow needs of one repository. `environment` absent: the repository's own
 * secrets. Failures reject with an error carrying the HTTP `status` (422 for a stale `key_id`,
 * 404 for a missing repository or environment), as Octokit's errors do.
 */
export interface ActionsSecretsPort {
  publicKey(environment?: string): Promise<ActionsPublicKey>;
  /** Creates or replaces a secret with a value sealed to the public key `keyId`. */
  putSecret(
    name: string,
    encryptedValue: string,
    keyId: string,
    environment?: string,
  ): Promise<void>;
  /** Names of the secrets set (upper-case, as GitHub stores them). */
  listSecretNames(environment?: string): Promise<string[]>;
  /** Deletes a secret; false when there was none of that name. */
  deleteSecret(name: string, environment?: string): Promise<boolean>;
  /** The repository's numeric id (to check pinned ids: a re-created repository has another). */
  repositoryId(): Promise<number>;
}

/** Whether a repository has an environment (the PR check of the secrets file's targets). */
export interface EnvironmentsPort {
  /** False when GitHub answers 404 (no such environment); other failures reject. */
  environmentExists(environment: string): Promise<boolean>;
}

function status(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

/** The port over GitHub's REST API for one repository, with an installation's Octokit. */
export class GitHubActionsSecrets implements ActionsSecretsPort, EnvironmentsPort {
  constructor(
    private readonly octokit: Octokit,
    private readonly owner: string,
    private readonly repo: string,
  ) {}

  async publicKey(environment?: string): Promise<ActionsPublicKey> {
    const { owner, repo } = this;
    const { data } =
      environment === undefined
        ? await this.octokit.rest.actions.getRepoPublicKey({ owner, repo })
        : await this.octokit.rest.actions.getEnvironmentPublicKey({
            owner,
            repo,
            environment_name: environment,
          });
    return { keyId: data.key_id, key: data.key };
  }

  async putSecret(
    name: string,
    encryptedValue: string,
    keyId: string,
    environment?: string,
  ): Promise<void> {
    const common = {
      owner: this.owner,
      repo: this.repo,
      secret_name: name,
      encrypted_value: encryptedValue,
      key_id: keyId,
    };
    if (environment === undefined) await this.octokit.rest.actions.createOrUpdateRepoSecret(common);
    else
      await this.octokit.rest.actions.createOrUpdateEnvironmentSecret({
        ...common,
        environment_name: environment,
      });
  }

  async listSecretNames(environment?: string): Promise<string[]> {
    const { owner, repo } = this;
    const secrets =
      environment === undefined
        ? await this.octokit.paginate(this.octokit.rest.actions.listRepoSecrets, {
            owner,
            repo,
            per_page: 100,
          })
        : await this.octokit.paginate(this.octokit.rest.actions.listEnvironmentSecrets, {
            owner,
            repo,
            environment_name: environment,
            per_page: 100,
          });
    return secrets.map((s) => s.name.toUpperCase());
  }

  async deleteSecret(name: string, environment?: string): Promise<boolean> {
    const { owner, repo } = this;
    try {
      if (environment === undefined)
        await this.octokit.rest.actions.deleteRepoSecret({ owner, repo, secret_name: name });
      else
        await this.octokit.rest.actions.deleteEnvironmentSecret({
          owner,
          repo,
          environment_name: environment,
          secret_name: name,
        });
      return true;
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
  }

  async environmentExists(environment: string): Promise<boolean> {
    try {
      await this.octokit.rest.repos.getEnvironment({
        owner: this.owner,
        repo: this.repo,
        environment_name: environment,
      });
      return true;
    } catch (e) {
      if (status(e) === 404) return false;
      throw e;
    }
  }

  async repositoryId(): Promise<number> {
    const { data } = await this.octokit.rest.repos.get({ owner: this.owner, repo: this.repo });
    return data.id;
  }
}
