// Which repository may write a target's Actions secrets: the target itself, or the config repo its own policy names.
import type { Policy } from "./policy.js";

/**
 * Anyone may seal a value with monobot's public key, so a sealed entry proves nothing about who
 * wants it written. What makes a write legitimate is where the entry was merged: the config repo
 * whose reviews the target's owners trust. A target names that repository itself, in its own
 * policy (`deploy.config_repo`), so a secrets file pushed to any other repository where monobot
 * is installed cannot overwrite the target's secrets.
 *
 * Returns why `target` refuses sealed secrets from `source`, or undefined when it takes them.
 * `targetPolicy` null: the target's policy is invalid, so its wish is unknown.
 */
export function secretSourceRefusal(input: {
  source: { owner: string; name: string };
  target: { owner: string; repo: string };
  targetPolicy: Pick<Policy, "deploy"> | null;
}): string | undefined {
  const source = `${input.source.owner}/${input.source.name}`;
  const target = `${input.target.owner}/${input.target.repo}`;
  if (source.toLowerCase() === target.toLowerCase()) return undefined;
  if (input.targetPolicy === null)
    return `${target}'s .github/monobot.yml is invalid, so monobot cannot tell whether it takes sealed secrets from ${source}: fix that file (its deploy.config_repo must be ${source})`;
  const named = input.targetPolicy.deploy.config_repo.trim();
  if (named.toLowerCase() === source.toLowerCase()) return undefined;
  if (named === "")
    return `${target} does not take sealed secrets from ${source}: its .github/monobot.yml names no config repo; set \`deploy: {config_repo: ${source}}\` there`;
  return `${target} takes sealed secrets only from its config repo ${named} (deploy.config_repo in its .github/monobot.yml), not from ${source}`;
}
