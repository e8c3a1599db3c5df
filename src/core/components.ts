// Components of the monorepo: discovery from VERSION files and the policy, and which of them a change affects.
import { closestName } from "./suggest.js";
import { globMatcher } from "./glob.js";
import type { ComponentDefinition, Policy } from "./policy.js";
import type { AffectedComponent, ChangedFile, Component, ComponentsReport } from "./types.js";

/** Components by folder, for finding the component a path belongs to in O(path depth). */
export type ComponentIndex = ReadonlyMap<string, Component>;

const ROOT_LABEL = "the repository root";

/** Folder holding `path` ("" for a file at the root). */
function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function lastSegment(folder: string): string {
  const slash = folder.lastIndexOf("/");
  return slash < 0 ? folder : folder.slice(slash + 1);
}

function versionFileOf(folder: string): string {
  return folder === "" ? "VERSION" : `${folder}/VERSION`;
}

function showFolder(folder: string): string {
  return folder === "" ? ROOT_LABEL : folder;
}

/** A define entry's `path` as a folder: no `./`, no leading or trailing slashes, "." is the root. */
function normalizeFolder(path: string): string {
  let p = path.trim().replace(/\\/g, "/");
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

function byNameThenPath(
  a: { name: string; path: string },
  b: { name: string; path: string },
): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return 0;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function didYouMean(name: string, known: Iterable<string>): string {
  const best = closestName(name, known);
  return best === undefined ? "" : ` Did you mean "${best}"?`;
}

interface Draft {
  name: string;
  path: string;
  versionFile: string;
  definition?: ComponentDefinition;
}

/** The VERSION files the discover globs take, one per folder (`VERSION` itself preferred). */
function discoveredFolders(paths: readonly string[], policy: Policy): Map<string, string> {
  const discover = globMatcher(policy.components.discover);
  const exclude = globMatcher(policy.components.exclude);
  const byFolder = new Map<string, string>();
  for (const path of paths) {
    if (!discover(path) || exclude(path)) continue;
    const folder = parentFolder(path);
    const taken = byFolder.get(folder);
    if (taken === undefined || preferVersionFile(path, taken)) byFolder.set(folder, path);
  }
  return byFolder;
}

function preferVersionFile(candidate: string, taken: string): boolean {
  const candidateExact = lastSegment(candidate) === "VERSION";
  const takenExact = lastSegment(taken) === "VERSION";
  if (candidateExact !== takenExact) return candidateExact;
  return candidate < taken;
}

/** A name for the suggestion in a duplicate-name error: the parent folder's name joined to it. */
function suggestedName(component: Draft, taken: ReadonlySet<string>): string {
  const parent = lastSegment(parentFolder(component.path));
  const base =
    component.path === "" || parent === "" ? component.name : `${parent}-${component.name}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  return name;
}

/**
 * Find the components among `paths` (every file path at the head of the repository): each
 * VERSION file the discover globs take (and the exclude globs do not) makes its folder a
 * component, named after the folder (the root after `repoName`); `components.define` renames,
 * configures or adds components. Problems are returned as sentences for users, never thrown.
 */
export function discoverComponents(
  paths: readonly string[],
  policy: Policy,
  repoName: string,
): { components: Component[]; errors: string[] } {
  const errors: string[] = [];
  const rootName = lastSegment(repoName.trim().replace(/\/+$/, "")) || "root";
  let pathSet: Set<string> | undefined;

  const drafts = new Map<string, Draft>();
  for (const [folder, versionFile] of discoveredFolders(paths, policy)) {
    drafts.set(folder, {
      name: folder === "" ? rootName : lastSegment(folder),
      path: folder,
      versionFile,
    });
  }

  const definitions = Object.entries(policy.components.define).sort(([a], [b]) =>
    compareStrings(a, b),
  );

  // Entries with a path first: they rename the component they point at, so entries without a
  // path are matched against the names that result.
  const definedAt = new Map<string, string>();
  for (const [name, definition] of definitions) {
    if (definition.path === undefined) continue;
    const folder = normalizeFolder(definition.path);
    if (folder.split("/").some((segment) => segment === ".." || segment === ".")) {
      errors.push(
        `components.define.${name}.path is "${definition.path}", which is not a folder inside the repository. ` +
          `Write the folder relative to the repository root, e.g. services/${name}.`,
      );
      continue;
    }
    const other = definedAt.get(folder);
    if (other !== undefined) {
      errors.push(
        `components.define.${other} and components.define.${name} both have path "${showFolder(folder)}"; ` +
          `a folder is one component. Keep one of the two entries.`,
      );
      continue;
    }
    definedAt.set(folder, name);
    const discovered = drafts.get(folder);
    if (discovered) {
      discovered.name = name;
      discovered.definition = definition;
      continue;
    }
    const versionFile = versionFileOf(folder);
    pathSet ??= new Set(paths);
    if (!pathSet.has(versionFile)) {
      errors.push(
        `components.define.${name}.path is "${showFolder(folder)}" but ${versionFile} does not exist. ` +
          `Add that VERSION file (one SemVer version, e.g. 0.1.0) or correct the path.`,
      );
    }
    drafts.set(folder, { name, path: folder, versionFile, definition });
  }

  const byName = new Map<string, Draft[]>();
  for (const draft of drafts.values()) {
    const list = byName.get(draft.name);
    if (list) list.push(draft);
    else byName.set(draft.name, [draft]);
  }

  for (const [name, definition] of definitions) {
    if (definition.path !== undefined) continue;
    const matches = byName.get(name);
    if (!matches) {
      errors.push(
        `components.define.${name} has no path and no discovered component is named "${name}".` +
          didYouMean(name, byName.keys()) +
          ` Add path: FOLDER (the folder holding the component's VERSION file), or name the entry after a discovered component.`,
      );
      continue;
    }
    for (const draft of matches) draft.definition = definition;
  }

  const allNames = new Set(byName.keys());
  for (const [name, list] of [...byName].sort(([a], [b]) => compareStrings(a, b))) {
    if (list.length < 2) continue;
    list.sort((a, b) => compareStrings(a.path, b.path));
    const where = list.map((d) => `${showFolder(d.path)} (${d.versionFile})`);
    const rename = list[list.length - 1] ?? list[0];
    if (!rename) continue;
    const suggestion = suggestedName(rename, allNames);
    const folder = rename.path === "" ? "." : rename.path;
    errors.push(
      `${list.length} components are named "${name}": ${where.join(", ")}. Component names must be unique: ` +
        `give one a distinct name with a components.define entry in .github/monobot.yml, ` +
        `e.g. components: { define: { ${suggestion}: { path: ${folder} } } }`,
    );
  }

  const components: Component[] = [];
  for (const draft of [...drafts.values()].sort(byNameThenPath)) {
    const definition = draft.definition;
    const dependsOn: string[] = [];
    for (const dependency of definition?.depends_on ?? []) {
      if (dependsOn.includes(dependency)) continue;
      if (!allNames.has(dependency)) {
        errors.push(
          `components.define.${draft.name}.depends_on names "${dependency}", which is not a component.` +
            didYouMean(dependency, allNames) +
            ` Use the name of a discovered or defined component, or remove it from depends_on.`,
        );
        continue;
      }
      dependsOn.push(dependency);
    }
    const component: Component = {
      name: draft.name,
      path: draft.path,
      versionFile: draft.versionFile,
      dependsOn,
    };
    if (definition?.image !== undefined) component.image = definition.image;
    if (definition?.chart !== undefined) component.chart = definition.chart;
    components.push(component);
  }

  for (const { cycle, others } of dependencyCycles(components)) {
    const also = others.length > 0 ? ` (${others.join(", ")} also depend on these in a loop)` : "";
    errors.push(
      `components.define: depends_on makes a cycle: ${cycle.join(" -> ")}${also}. ` +
        `A component cannot depend on itself, even through others: remove one of these depends_on entries.`,
    );
  }
  return { components, errors: [...new Set(errors)] };
}

/** Dependency edges by name (duplicate names merged: they are reported as an error anyway). */
function dependencyGraph(components: readonly Component[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const c of components) {
    const edges = graph.get(c.name) ?? [];
    for (const d of c.dependsOn) if (!edges.includes(d)) edges.push(d);
    graph.set(c.name, edges);
  }
  for (const edges of graph.values()) edges.sort(compareStrings);
  return graph;
}

/**
 * One cycle per group of components that depend on each other (strongly connected component,
 * or a self-dependency): the shortest cycle through the group's first name, as
 * `[a, b, c, a]`, and the group's members that cycle misses.
 */
function dependencyCycles(
  components: readonly Component[],
): { cycle: string[]; others: string[] }[] {
  const graph = dependencyGraph(components);
  const cycles: { cycle: string[]; others: string[] }[] = [];
  for (const group of stronglyConnected(graph)) {
    const first = group[0];
    if (first === undefined) continue;
    const selfLoop = graph.get(first)?.includes(first) ?? false;
    if (group.length === 1 && !selfLoop) continue;
    const members = new Set(group);
    const cycle = shortestCycle(first, graph, members);
    const inCycle = new Set(cycle);
    cycles.push({ cycle, others: group.filter((n) => !inCycle.has(n)) });
  }
  return cycles.sort((a, b) => compareStrings(a.cycle[0] ?? "", b.cycle[0] ?? ""));
}

function shortestCycle(start: string, graph: Map<string, string[]>, within: Set<string>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as string;
    for (const next of graph.get(node) ?? []) {
      if (!within.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (
          let at: string | undefined = node;
          at !== undefined && at !== start;
          at = previous.get(at)
        ) {
          path.push(at);
        }
        path.push(start);
        // Built backwards along the edges; `a -> b` reads "a depends on b".
        return [start, ...path.slice(1, -1).reverse(), start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** Tarjan's algorithm without recursion (dependency chains may be thousands long); groups sorted. */
function stronglyConnected(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: string[][] = [];
  let counter = 0;
  for (const root of [...graph.keys()].sort(compareStrings)) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: string; edge: number };
      const edges = graph.get(frame.node) ?? [];
      if (frame.edge < edges.length) {
        const next = edges[frame.edge++] as string;
        if (!graph.has(next)) continue;
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          stack.push(next);
          onStack.add(next);
          work.push({ node: next, edge: 0 });
        } else if (onStack.has(next)) {
          low.set(frame.node, Math.min(low.get(frame.node) ?? 0, index.get(next) ?? 0));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent)
        low.set(parent.node, Math.min(low.get(parent.node) ?? 0, low.get(frame.node) ?? 0));
      if (low.get(frame.node) === index.get(frame.node)) {
        const group: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop();
          if (member === undefined) break;
          onStack.delete(member);
          group.push(member);
        } while (member !== frame.node);
        groups.push(group.sort(compareStrings));
      }
    }
  }
  return groups;
}

/** Index components by folder, once per event. */
export function indexComponents(components: readonly Component[]): ComponentIndex {
  const index = new Map<string, Component>();
  for (const c of components) if (!index.has(c.path)) index.set(c.path, c);
  return index;
}

/** The component whose folder is the deepest one holding `path`, if any. */
export function componentForPath(index: ComponentIndex, path: string): Component | undefined {
  let folder = path;
  while (folder !== "") {
    folder = parentFolder(folder);
    const component = index.get(folder);
    if (component) return component;
  }
  return undefined;
}

/**
 * Which components a change touches. Each changed path (both sides of a rename) belongs to the
 * deepest component folder holding it, or to `outside`. A component with an own change (a path
 * not matching `versions.ignore`) makes its dependants affected too, transitively, with `via`
 * naming the chain of dependencies; ignored-only changes do not propagate.
 */
export function affectedComponents(
  components: readonly Component[],
  changed: readonly ChangedFile[],
  policy: Policy,
): Omit<ComponentsReport, "components" | "errors"> {
  const index = indexComponents(components);
  const ignored = globMatcher(policy.versions.ignore);
  const touched = new Map<Component, { files: Set<string>; ownChange: boolean }>();
  const outside = new Set<string>();

  const take = (path: string): void => {
    const component = componentForPath(index, path);
    if (!component) {
      outside.add(path);
      return;
    }
    let entry = touched.get(component);
    if (!entry) {
      entry = { files: new Set(), ownChange: false };
      touched.set(component, entry);
    }
    entry.files.add(path);
    if (!entry.ownChange && !ignored(path)) entry.ownChange = true;
  };

  for (const file of changed) {
    if (file.status === "unchanged") continue;
    take(file.path);
    if (file.previousPath !== undefined && file.previousPath !== file.path) take(file.previousPath);
  }

  const via = propagate(components, touched);

  const affected: AffectedComponent[] = [];
  for (const component of [...components].sort(byNameThenPath)) {
    const entry = touched.get(component);
    const chain = entry?.ownChange ? undefined : via.get(component.name);
    if (!entry && !chain) continue;
    const result: AffectedComponent = {
      component,
      files: entry ? [...entry.files].sort(compareStrings) : [],
      ownChange: entry?.ownChange ?? false,
    };
    if (chain) result.via = chain;
    affected.push(result);
  }
  return { affected, outside: [...outside].sort(compareStrings) };
}

/**
 * Breadth-first from every component with an own change along reversed `depends_on` edges, so
 * each dependant gets a shortest chain; ties go to the first names in sort order.
 */
function propagate(
  components: readonly Component[],
  touched: ReadonlyMap<Component, { ownChange: boolean }>,
): Map<string, string[]> {
  const dependants = new Map<string, string[]>();
  for (const c of components) {
    for (const d of c.dependsOn) {
      const list = dependants.get(d);
      if (list) list.push(c.name);
      else dependants.set(d, [c.name]);
    }
  }
  for (const list of dependants.values()) list.sort(compareStrings);

  const chains = new Map<string, string[]>();
  const queue: string[] = [];
  const sources = [...touched]
    .filter(([, entry]) => entry.ownChange)
    .map(([c]) => c.name)
    .sort(compareStrings);
  for (const name of sources) {
    if (chains.has(name)) continue;
    chains.set(name, []);
    queue.push(name);
  }
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i] as string;
    const chain = chains.get(name) ?? [];
    for (const dependant of dependants.get(name) ?? []) {
      if (chains.has(dependant)) continue;
      chains.set(dependant, [...chain, name]);
      queue.push(dependant);
    }
  }
  for (const name of sources) chains.delete(name);
  return chains;
}

/** Discovery and affected components in one report, as the checks and the CLI show them. */
export function componentReport(
  paths: readonly string[],
  changed: readonly ChangedFile[],
  policy: Policy,
  repoName: string,
): ComponentsReport {
  const { components, errors } = discoverComponents(paths, policy, repoName);
  const { affected, outside } = affectedComponents(components, changed, policy);
  return { components, affected, outside, errors };
}
