// Moving an environment's pins, and reading which pins a change moved: `{path, edit}` lists for one writer, and the pin changes that feed `monobot/promotion` and the Deployments recorded after a merge.
import type { EditResult } from "./edits.js";
import type { EnvPin } from "./env-matrix.js";
import type { PinKind } from "./env-layout.js";
import { bumpUmbrellaVersion, openPinFile, readPinIn, writePin } from "./env-pins.js";

/**
 * One file's edit, release-please style: a pure `content -> result` function that one writer
 * applies to the file's current text (the base branch's, so an umbrella's own version goes up
 * once), with the same `EditResult` as edits.ts.
 */
export interface PinEdit {
  path: string;
  edit: (content: string) => EditResult;
}

/**
 * The edits that move `environment`'s pins of `component` to `version` (an image tag, or a
 * chart version for umbrella pins): one per file, all of that file's pins at once, an umbrella's
 * own version raised once when its pins changed. Empty when the environment pins nothing of it.
 */
export function planPinMove(
  pins: readonly EnvPin[],
  move: { environment: string; component: string; version: string },
): PinEdit[] {
  const byFile = new Map<string, EnvPin[]>();
  for (const pin of pins) {
    if (pin.environment !== move.environment || pin.component !== move.component) continue;
    const list = byFile.get(pin.file);
    if (list) list.push(pin);
    else byFile.set(pin.file, [pin]);
  }
  return [...byFile].map(([path, filePins]) => ({
    path,
    edit: (content: string): EditResult => {
      let text = content;
      let changed = false;
      for (const pin of filePins) {
        const r = writePin(text, pin.layout, pin.steps, move.version, { bumpUmbrella: false });
        if (!r.ok) return { ok: false, reason: `${path}: ${r.reason}` };
        text = r.content;
        changed ||= r.changed;
      }
      if (changed && filePins[0]?.layout === "umbrella") {
        const bumped = bumpUmbrellaVersion(text);
        if (!bumped.ok) return { ok: false, reason: `${path}: ${bumped.reason}` };
        text = bumped.content;
      }
      return { ok: true, content: text, changed };
    },
  }));
}

/** Every edit applied to `files`: the new texts of the files that changed, or the first refusal. */
export function applyPinEdits(
  files: ReadonlyMap<string, string>,
  edits: readonly PinEdit[],
): { ok: true; changed: Map<string, string> } | { ok: false; path: string; reason: string } {
  const changed = new Map<string, string>();
  for (const { path, edit } of edits) {
    const current = changed.get(path) ?? files.get(path);
    if (current === undefined) {
      return { ok: false, path, reason: `${path} does not exist; add the pin by hand once` };
    }
    const r = edit(current);
    if (!r.ok) return { ok: false, path, reason: r.reason };
    if (r.changed) changed.set(path, r.content);
  }
  return { ok: true, changed };
}

/** A file of a change, with its text before and after (undefined: added or deleted). */
export interface ChangedFile {
  path: string;
  before?: string;
  after?: string;
}

/** One pin a change moved: which environment and component, from which version to which. */
export interface PinChange {
  environment: string;
  component: string;
  chart: string;
  kind: PinKind;
  file: string;
  key: string;
  /** Line of the pin after the change (before it, when the change removed it). */
  line: number;
  /** Undefined when the pin held no version before (added) or after (removed). */
  from?: string;
  to?: string;
}

function valueIn(text: string | undefined, pin: EnvPin): { value?: string; line?: number } {
  if (text === undefined) return {};
  const file = openPinFile(text);
  if (!("doc" in file)) return {};
  const read = readPinIn(file, pin.layout, pin.steps);
  return read.ok && read.found ? { value: read.value, line: read.line } : {};
}

/**
 * The pins whose version `changes` move, in the order of `pins` (environment, then component):
 * what `monobot/promotion` judges and what a merge records as Deployments. A file that does not
 * parse on either side moves nothing here (validateEnvironmentPins reports it).
 */
export function changedPins(pins: readonly EnvPin[], changes: readonly ChangedFile[]): PinChange[] {
  const byPath = new Map(changes.map((c) => [c.path, c]));
  const out: PinChange[] = [];
  for (const pin of pins) {
    const change = byPath.get(pin.file);
    if (!change || change.before === change.after) continue;
    const before = valueIn(change.before, pin);
    const after = valueIn(change.after, pin);
    if (before.value === after.value) continue;
    const row: PinChange = {
      environment: pin.environment,
      component: pin.component,
      chart: pin.chart,
      kind: pin.kind,
      file: pin.file,
      key: pin.key,
      line: after.line ?? before.line ?? 1,
    };
    if (before.value !== undefined) row.from = before.value;
    if (after.value !== undefined) row.to = after.value;
    out.push(row);
  }
  return out;
}

/** The environments whose pins `moved` touches, each once, in the order given. */
export function touchedEnvironments(moved: readonly PinChange[]): string[] {
  return [...new Set(moved.map((m) => m.environment))];
}
