// What GitHub says about the sealed secrets file's targets, for monobot/secrets on a pull request: bounded, and cached per event.
import type { Policy } from "../core/policy.js";
import { secretSourceRefusal } from "../core/secret-sources.js";
import { checkSecretsFile, targetsOf, type SecretTarget } from "../core/secrets-file.js";
import { contentKey, type ChangeSnapshot, type SecretTargetStatus } from "../core/types.js";
import type { ClientFactory } from "../forge/factory.js";
import { keyIdsOf, type KeyRing } from "../secrets/sealing.js";
import type { SealedSecretsFacts } from "./evaluate-change.js";
import type { Services } from "./job-context.js";

/**
 * Targets looked up per event, at most. Each costs up to four requests the first time its
 * repository is seen (installation, existence, policy, environment), so one pull request cannot
 * make monobot spend its rate limit; the rest are named in the check's summary as not looked up.
 */
export const SECRET_TARGET_LOOKUPS_PER_EVENT = 20;

/** What the lookups need from GitHub; small, so tests can fake it. */
export interface SecretTargetsPort {
  /** monobot's installation on `owner/repo`, or null when it is not installed there (404). */
  installationOf(owner: string, repo: string): Promise<number | null>;
  /** Whether the repository exists as far as monobot can see (public, or in an installation). */
  repositoryExists(owner: string, repo: string): Promise<boolean>;
  environmentExists(
    owner: string,
    repo: string,
    installationId: number,
    environment: string,
  ): Promise<boolean>;
  /** The repository's policy on its default branch; null when it is invalid. */
  policyOf(
    owner: string,
    repo: string,
    installationId: number,
  ): Promise<Pick<Policy, "deploy"> | null>;
}

export interface TargetLookups {
  /** Target key (`owner/repo[@environment]`, lower-case) -> what GitHub said. */
  statuses: Map<string, SecretTargetStatus>;
  /** Targets (as written) not looked up: past the bound, or GitHub failed to answer. */
  notChecked: string[];
}

function status(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

interface RepoFacts {
  exists: boolean;
  installationId: number | null;
  refusal?: string;
}

/**
 * Looks up at most `limit` distinct targets, each repository once: whether it exists, whether
 * monobot is installed there, whether its policy takes sealed secrets from `source`, and whether
 * a named environment exists.
 */
export async function lookupSecretTargets(
  port: SecretTargetsPort,
  source: { owner: string; name: string },
  targets: readonly SecretTarget[],
  limit = SECRET_TARGET_LOOKUPS_PER_EVENT,
): Promise<TargetLookups> {
  const repos = new Map<string, Promise<RepoFacts>>();
  const repoFacts = (t: SecretTarget): Promise<RepoFacts> => {
    let facts = repos.get(t.repoKey);
    if (!facts) {
      facts = (async () => {
        const installationId = await port.installationOf(t.owner, t.repo);
        if (installationId === null) {
          return { exists: await port.repositoryExists(t.owner, t.repo), installationId };
        }
        const policy = await port.policyOf(t.owner, t.repo, installationId);
        const refusal = secretSourceRefusal({ source, target: t, targetPolicy: policy });
        return { exists: true, installationId, ...(refusal ? { refusal } : {}) };
      })();
      repos.set(t.repoKey, facts);
    }
    return facts;
  };
  const out: TargetLookups = { statuses: new Map(), notChecked: [] };
  const looked = targets.slice(0, limit);
  out.notChecked.push(...targets.slice(limit).map((t) => t.text));
  const answers = await Promise.all(
    looked.map(async (t): Promise<SecretTargetStatus | undefined> => {
      try {
        const facts = await repoFacts(t);
        const s: SecretTargetStatus = {
          exists: facts.exists,
          installed: facts.installationId !== null,
        };
        if (facts.refusal) s.refusal = facts.refusal;
        if (t.environment !== undefined && facts.installationId !== null) {
          s.environment = await port.environmentExists(
            t.owner,
            t.repo,
            facts.installationId,
            t.environment,
          );
        }
        return s;
      } catch {
        // GitHub did not answer (5xx, rate limit): unknown, so not a verdict either way.
        return undefined;
      }
    }),
  );
  looked.forEach((t, i) => {
    const s = answers[i];
    if (s) out.statuses.set(t.key, s);
    else out.notChecked.push(t.text);
  });
  return out;
}

/** The lookups over the client factory: monobot's own installations, seen from the source's. */
export function clientSecretTargetsPort(
  clients: ClientFactory,
  sourceInstallationId: number,
): SecretTargetsPort {
  return {
    async installationOf(owner, repo) {
      try {
        return await clients.installationOf(owner, repo);
      } catch (e) {
        if (status(e) === 404) return null;
        throw e;
      }
    },
    async repositoryExists(owner, repo) {
      // Seen with the source's installation: a public repository is visible to it.
      const port = await clients.actionsSecrets(owner, repo, sourceInstallationId);
      try {
        await port.repositoryId();
        return true;
      } catch (e) {
        if (status(e) === 404) return false;
        throw e;
      }
    },
    async environmentExists(owner, repo, installationId, environment) {
      const port = await clients.actionsSecrets(owner, repo, installationId);
      return port.environmentExists(environment);
    },
    async policyOf(owner, repo, installationId) {
      const port = await clients.forRepo(owner, repo, installationId);
      const loaded = await port.loadPolicy();
      return loaded.result.ok ? loaded.result.policy : null;
    },
  };
}

/**
 * The snapshot's sealed-secrets facts for a change of the policy's secrets file: the key ids of
 * monobot's key ring and the targets' statuses. Nothing is looked up when the file is untouched.
 */
export function sealedSecretsFacts(deps: {
  port: SecretTargetsPort;
  source: { owner: string; name: string };
  keys: KeyRing | undefined;
  limit?: number;
}): SealedSecretsFacts {
  return async (snapshot: ChangeSnapshot, policy: Policy) => {
    const path = policy.secrets.file;
    if (!snapshot.files.some((f) => f.path === path && f.status !== "removed")) return undefined;
    const facts: NonNullable<ChangeSnapshot["sealedSecrets"]> = {};
    if (deps.keys) facts.keyIds = keyIdsOf(deps.keys);
    const text = snapshot.contents.get(contentKey("head", path));
    if (typeof text !== "string") return facts;
    const file = checkSecretsFile(text);
    if (!file.readable) return facts;
    const found = await lookupSecretTargets(deps.port, deps.source, targetsOf(file), deps.limit);
    facts.targets = found.statuses;
    if (found.notChecked.length > 0) facts.notChecked = found.notChecked;
    return facts;
  };
}

/** The facts of a pull request's verification in `repo`, from the process's services. */
export function sealedSecretsOfServices(
  services: Pick<Services, "clients" | "sealingKeys">,
  repo: { owner: string; name: string },
  installationId: number,
): SealedSecretsFacts {
  return sealedSecretsFacts({
    port: clientSecretTargetsPort(services.clients, installationId),
    source: { owner: repo.owner, name: repo.name },
    keys: services.sealingKeys(),
  });
}
