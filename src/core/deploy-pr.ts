// The deploy PR's text: branch, commit message, title and body with its hidden marker; deterministic for the same input.
import type { DeployPlan } from "./deploy-plan.js";
import { rolloutSentence } from "./deploy-environments.js";
import type { DeployPreview } from "./deploy-preview.js";
import { deployMarker, supersedesMarker, type DeployMarker } from "./pr-state.js";

export const DEPLOY_BRANCH_PREFIX = "monobot/deploy-";

/** The branch of a component's deploy PR: `monobot/deploy-{component}` (characters git refuses become `-`). */
export function deployBranch(component: string): string {
  const safe = component
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[.-]+|[.-]+$|\.lock$/g, "");
  return `${DEPLOY_BRANCH_PREFIX}${safe || "component"}`;
}

export {
  deployMarker,
  parseDeployMarker,
  parseSupersedes,
  supersedesMarker,
  type DeployMarker,
} from "./pr-state.js";

/** The trailer of monobot's deploy commits: how the workflow knows a branch tip is its own. */
export const DEPLOY_TRAILER = "Monobot-Deploy";

/** The component and version of a monobot deploy commit, from its message. */
export function parseDeployTrailer(message: string): DeployMarker | undefined {
  const m = new RegExp(`^${DEPLOY_TRAILER}: component=(\\S+) version=(\\S+)$`, "m").exec(message);
  return m ? { component: m[1] as string, version: m[2] as string } : undefined;
}

/** A commit or pull request of the monorepo between the two release tags. */
export interface MonorepoChange {
  sha: string;
  /** The commit's title (first line of its message). */
  title: string;
  author?: string;
  pr?: { number: number; title: string };
}

export interface DeployPrInput {
  component: { name: string; image?: string };
  version: { from?: string; to: string };
  monorepo: { owner: string; name: string };
  /** Release tags, for the compare link. */
  tags?: { from?: string; to: string };
  /** Commits between the release tags, oldest first. */
  changes: readonly MonorepoChange[];
  /** When `changes` are only those touching these folders: the folders, and how many others. */
  changesFilter?: { paths: readonly string[]; others: number };
  plan: DeployPlan;
  preview?: DeployPreview;
  /** Versions this PR proposed before, oldest first (from {@link parseSupersedes} and the old marker). */
  supersedes?: readonly string[];
  /** Web address of the code host, for links; https://github.com by default. */
  webUrl?: string;
}

/** GitHub's limit on a pull request body. */
const MAX_BODY = 65_000;
const MAX_LISTED = 50;

export function deployTitle(input: Pick<DeployPrInput, "component" | "version">): string {
  return `Deploy ${input.component.name} ${input.version.to}`;
}

function fromTo(from: string | undefined, to: string): string {
  return from === undefined ? to : `${from} -> ${to}`;
}

/** The commit message of the deploy commit, with the trailer that marks it as monobot's. */
export function deployCommitMessage(
  input: Pick<DeployPrInput, "component" | "version" | "plan">,
): string {
  const { component, version, plan } = input;
  const image = component.image ? ` (${component.image}:${version.to})` : "";
  const lines = [
    deployTitle(input),
    "",
    `${component.name} ${fromTo(version.from, version.to)}${image}.`,
    "",
    ...plan.edits.map((e) => `- ${e.path}: ${e.changes.join(", ")}`),
    "",
    `${DEPLOY_TRAILER}: component=${component.name} version=${version.to}`,
  ];
  return lines.join("\n");
}

/** Text from the monorepo shown in the config repo: no @mentions, issue numbers pointing home. */
function foreign(text: string, repo: string): string {
  return text
    .replace(/\r?\n/g, " ")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/(^|[^\w/&])#(\d+)\b/g, `$1${repo}#$2`)
    .replace(/@(?=[A-Za-z0-9-])/g, "@&#8203;");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** What the release notes of a component between two versions need. */
export type ReleaseNotesInput = Pick<
  DeployPrInput,
  "component" | "version" | "monorepo" | "tags" | "changes" | "changesFilter" | "webUrl"
>;

/** The release notes: the monorepo's pull requests and commits between the two release tags. */
export function changesSection(input: ReleaseNotesInput): string[] {
  const repo = `${input.monorepo.owner}/${input.monorepo.name}`;
  const web = (input.webUrl ?? "https://github.com").replace(/\/+$/, "");
  const out: string[] = [];
  const range = input.tags?.from ? `${input.tags.from}...${input.tags.to}` : undefined;
  out.push(`### Changes in ${repo}${range ? ` (${range})` : ""}`, "");
  const pulls = new Map<number, string>();
  for (const c of input.changes) if (c.pr) pulls.set(c.pr.number, c.pr.title);
  const filter = input.changesFilter;
  if (filter) {
    const folders = filter.paths.map((p) => `\`${cell(p)}\``).join(", ");
    out.push(
      `Only the commits that touched ${input.component.name}'s folders (${folders})${
        filter.others > 0
          ? `; ${filter.others} other commit${filter.others === 1 ? "" : "s"} between the tags did not`
          : ""
      }.`,
      "",
    );
  }
  if (input.changes.length === 0) {
    out.push(
      input.version.from === undefined
        ? `The first release of ${input.component.name} that monobot deploys.`
        : filter
          ? `No commit between the two release tags touched ${input.component.name}.`
          : "No commits were listed between the two release tags.",
    );
  }
  if (pulls.size > 0) {
    out.push("Pull requests:", "");
    const sorted = [...pulls].sort(([a], [b]) => a - b);
    for (const [n, title] of sorted.slice(0, MAX_LISTED))
      out.push(`- ${repo}#${n} ${foreign(title, repo)}`);
    if (sorted.length > MAX_LISTED) out.push(`- … and ${sorted.length - MAX_LISTED} more`);
    out.push("");
  }
  if (input.changes.length > 0) {
    out.push("Commits:", "");
    for (const c of input.changes.slice(0, MAX_LISTED)) {
      const by = c.author ? ` (${foreign(c.author, repo)})` : "";
      const pr = c.pr ? ` in ${repo}#${c.pr.number}` : "";
      out.push(`- ${repo}@${c.sha.slice(0, 12)} ${foreign(c.title, repo)}${by}${pr}`);
    }
    if (input.changes.length > MAX_LISTED) {
      out.push(`- … and ${input.changes.length - MAX_LISTED} more`);
    }
    out.push("");
  }
  if (range) out.push(`[Compare ${range}](${web}/${repo}/compare/${range})`, "");
  return out;
}

function chainSection(plan: DeployPlan, valuesKeyChange: Map<string, string>): string[] {
  const out = ["### Charts", "", "| Chart | Version | Why |", "|---|---|---|"];
  for (const link of plan.chain) {
    const why =
      link.role === "chart"
        ? (valuesKeyChange.get(link.chart) ?? "the image tag")
        : link.takes
            .map(
              (t) => `packages \`${t.child}\`${t.pin ? ` (pin ${t.pin.from} -> ${t.pin.to})` : ""}`,
            )
            .join("; ");
    out.push(`| \`${cell(link.chart || ".")}\` | ${link.from} -> ${link.to} | ${cell(why)} |`);
  }
  out.push("");
  if (plan.pendingPublish.length > 0) {
    out.push("### Pending publish", "");
    for (const p of plan.pendingPublish) {
      out.push(
        `- \`${p.umbrella}\` takes \`${p.dependency}\` from ${p.repository || "a chart repository"}${p.pin ? ` (pin ${p.pin})` : ""}: ${p.admits ? `the pin admits ${p.version}` : `the pin does not admit ${p.version}`}; a follow-up pull request moves it once \`${p.chart}\` ${p.version} is published.`,
      );
    }
    out.push("");
  }
  return out;
}

/**
 * The body of the deploy PR: the hidden marker (and earlier versions), the component's old and
 * new version and image, the monorepo's changes between the release tags, the chart chain, the
 * charts pending publish, the deploy preview and the plan's notes. The same input gives the
 * same bytes, so the workflow can tell an unchanged body and leave it alone.
 */
export function deployPrBody(input: DeployPrInput): string {
  const { component, version, plan } = input;
  const marker = [deployMarker({ component: component.name, version: version.to })];
  const supersedes = (input.supersedes ?? []).filter((v) => v !== version.to);
  if (supersedes.length > 0) marker.push(supersedesMarker(supersedes));
  const values = new Map<string, string>();
  for (const e of plan.edits) {
    const folder = e.path.slice(0, e.path.lastIndexOf("/"));
    if (
      e.path.endsWith("/values.yaml") &&
      plan.chain.some((l) => l.chart === folder && l.role === "chart")
    ) {
      values.set(folder, e.changes.join(", "));
    }
  }
  const head = [
    ...marker,
    `## ${deployTitle(input)}`,
    "",
    `**${component.name}** ${version.from === undefined ? "" : `${version.from} -> `}**${version.to}**${
      component.image ? `, image \`${component.image}:${version.to}\`` : ""
    }.`,
    "",
  ];
  if (plan.environments) head.push(rolloutSentence(plan.environments), "");
  if (supersedes.length > 0) {
    head.push(
      `Supersedes ${supersedes.map((v) => `${component.name} ${v}`).join(", ")}, proposed earlier in this pull request.`,
      "",
    );
  }
  const tail: string[] = [];
  if (input.preview) {
    tail.push(
      "### Where it goes",
      "",
      input.preview.table,
      "",
      "```mermaid",
      input.preview.mermaid,
      "```",
      "",
    );
  }
  const notes = [...plan.notes, ...(input.preview?.notes ?? [])];
  if (notes.length > 0) tail.push("### Notes", "", ...notes.map((n) => `- ${n}`), "");
  tail.push(
    `<sub>monobot opened this pull request when ${component.name} ${version.to} was published, and keeps it up to date: a newer version or a move of the default branch rebuilds it as one commit. Close it to skip ${version.to}.</sub>`,
  );
  const middle = [...changesSection(input), ...chainSection(plan, values)];
  let body = [...head, ...middle, ...tail].join("\n");
  if (body.length > MAX_BODY) {
    body = [
      ...head,
      ...chainSection(plan, values),
      "The list of changes was too long for this description.",
      "",
      ...tail,
    ]
      .join("\n")
      .slice(0, MAX_BODY);
  }
  return `${body}\n`;
}
