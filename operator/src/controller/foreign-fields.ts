import { isDeepStrictEqual } from "node:util";
import type { KubernetesObject, V1ManagedFieldsEntry } from "@kubernetes/client-node";

/** A JSON Patch operation (RFC 6902) as the API server takes it. */
export type PatchOperation = { op: "remove"; path: string } | { op: "test"; path: string; value: unknown };

/** A managedFields `fieldsV1` tree: keys `f:name`, `k:{…}`, `v:…`, `i:N` and `.` (the item itself). */
type FieldSet = { [key: string]: FieldSet };

const escapePointer = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

/** Merges the field sets of several managedFields entries into one. */
function union(sets: FieldSet[]): FieldSet {
  const merged: FieldSet = {};
  for (const set of sets)
    for (const [key, child] of Object.entries(set)) merged[key] = union([merged[key] ?? {}, child]);
  return merged;
}

/** The field set of `entries` below `scope` (e.g. spec → template → spec), or {} when they own none of it. */
function within(set: FieldSet, scope: readonly string[]): FieldSet {
  return scope.reduce<FieldSet>((node, field) => node[`f:${field}`] ?? {}, set);
}

/** Where a fieldsV1 key points in the live value: its JSON pointer segment, and the value there. */
function locate(key: string, live: unknown): { segment: string; value: unknown } | undefined {
  const colon = key.indexOf(":");
  const kind = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (kind === "f") {
    if (!live || typeof live !== "object" || Array.isArray(live) || !(rest in live)) return undefined;
    return { segment: escapePointer(rest), value: (live as Record<string, unknown>)[rest] };
  }
  if (!Array.isArray(live)) return undefined;
  let index = -1;
  if (kind === "i") index = Number(rest);
  else if (kind === "k") {
    const keyFields = JSON.parse(rest) as Record<string, unknown>;
    index = live.findIndex((item) =>
      Object.entries(keyFields).every(([k, v]) => isDeepStrictEqual((item as Record<string, unknown>)?.[k], v)),
    );
  } else if (kind === "v") {
    const wanted: unknown = JSON.parse(rest);
    index = live.findIndex((item) => isDeepStrictEqual(item, wanted));
  }
  return index >= 0 && index < live.length ? { segment: String(index), value: live[index] } : undefined;
}

function collectRemovals(foreign: FieldSet, ours: FieldSet | undefined, live: unknown, path: string, out: string[]) {
  for (const [key, child] of Object.entries(foreign)) {
    if (key === ".") continue;
    const found = locate(key, live);
    if (!found) continue; // owned but no longer there
    const at = `${path}/${found.segment}`;
    const ourChild = ours?.[key];
    // Nothing of it is ours: it goes whole. Otherwise only what below it is foreign alone.
    if (ourChild === undefined) out.push(at);
    else collectRemovals(child, ourChild, found.value, at, out);
  }
}

/** JSON pointers in descending order: a later array index is removed before an earlier one. */
function descending(a: string, b: string): number {
  const [as, bs] = [a.split("/"), b.split("/")];
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const [x, y] = [as[i] ?? "", bs[i] ?? ""];
    if (x === y) continue;
    const [nx, ny] = [Number(x), Number(y)];
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return ny - nx;
    return x < y ? 1 : -1;
  }
  return bs.length - as.length;
}

/**
 * The JSON Patch that removes from `live`, below `scope`, every field another field manager set and
 * `fieldManager` does not: server-side apply leaves other managers' fields alone, so a `hostNetwork: true`
 * added by `kubectl patch` would stay for good. Guarded by a test of the resourceVersion, so it never
 * removes from a newer object than the one it read. Empty when nothing is foreign. Pure.
 */
export function foreignFieldRemovals(
  live: KubernetesObject,
  fieldManager: string,
  scope: readonly string[],
): PatchOperation[] {
  const entries: V1ManagedFieldsEntry[] = live.metadata?.managedFields ?? [];
  const fieldsOf = (e: V1ManagedFieldsEntry) => within((e.fieldsV1 ?? {}) as FieldSet, scope);
  // Subresources (status, scale) are other controllers' by design.
  const foreign = union(entries.filter((e) => e.manager !== fieldManager && !e.subresource).map(fieldsOf));
  const ours = union(entries.filter((e) => e.manager === fieldManager).map(fieldsOf));
  const scoped = scope.reduce<unknown>((node, field) => (node as Record<string, unknown> | undefined)?.[field], live);
  const paths: string[] = [];
  collectRemovals(foreign, ours, scoped, scope.map((s) => `/${escapePointer(s)}`).join(""), paths);
  if (paths.length === 0) return [];
  return [
    { op: "test", path: "/metadata/resourceVersion", value: live.metadata?.resourceVersion },
    ...paths.sort(descending).map((path) => ({ op: "remove" as const, path })),
  ];
}
