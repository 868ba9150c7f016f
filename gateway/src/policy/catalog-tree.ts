/**
 * The field catalog as a tree the redactor walks alongside a document: one node per catalogued
 * path, `item` for list items. Built once per catalog (cached), so a redaction never splits or
 * concatenates template paths.
 *
 * Lists of primitives (`subject.dobs`, `match.matchedOn`) have no `[]` entry in the catalog; their
 * item node is synthesised with the list's type and tags, so `subject.dobs[]` may carry a rule.
 */
import type { FieldCatalog, FieldInfo, FieldType } from './types.js';
import { TRANSFER_BUNDLE_FIELDS } from './transfer-bundle.js';
import { MINUTES_FIELDS } from './minutes-fields.js';

export interface CatalogNode {
  /** Dense id, index into per-plan arrays. */
  readonly id: number;
  /** Template path (`health.edAttendances12m[].date`); '' for the root. */
  readonly path: string;
  readonly info: FieldInfo;
  readonly parent: CatalogNode | undefined;
  /** Object properties. */
  readonly children: Map<string, CatalogNode>;
  /** List item. */
  item: CatalogNode | undefined;
  /** Allowed values when the catalog gives an enum (for strings and primitive list items). */
  readonly enumSet: ReadonlySet<string | number> | undefined;
}

export interface CatalogTree {
  readonly root: CatalogNode;
  readonly nodes: readonly CatalogNode[];
  byPath(path: string): CatalogNode | undefined;
}

const PATH_RE = /^[A-Za-z][A-Za-z0-9]*(\[\])?(\.[A-Za-z][A-Za-z0-9]*(\[\])?)*$/;

export function isValidPathSyntax(path: string): boolean {
  return PATH_RE.test(path);
}

const PRIMITIVE: ReadonlySet<FieldType> = new Set(['string', 'date', 'date-time', 'number', 'integer', 'boolean']);
export function isPrimitiveType(t: FieldType | undefined): boolean {
  return t !== undefined && PRIMITIVE.has(t);
}

const trees = new WeakMap<FieldCatalog, CatalogTree>();

/** The catalog plus the transfer-bundle fields (R10) and the minutes fields (MARAC_ACTION_REVIEW) when the catalog does not define them. */
export function catalogTree(catalog: FieldCatalog): CatalogTree {
  let t = trees.get(catalog);
  if (!t) {
    t = buildTree(catalog);
    trees.set(catalog, t);
  }
  return t;
}

function buildTree(catalog: FieldCatalog): CatalogTree {
  const nodes: CatalogNode[] = [];
  const byPath = new Map<string, CatalogNode>();
  const make = (path: string, info: FieldInfo, parent: CatalogNode | undefined): CatalogNode => {
    const enumSet = info.enum && (isPrimitiveType(info.type) || isPrimitiveType(info.itemType))
      ? new Set(info.enum) : undefined;
    const node: CatalogNode = { id: nodes.length, path, info, parent, children: new Map(), item: undefined, enumSet };
    nodes.push(node);
    byPath.set(path, node);
    return node;
  };
  const root = make('', { path: '', type: 'object', sensitivity: [], clinicalNarrative: false }, undefined);

  const infos = new Map<string, FieldInfo>();
  for (const p of catalog.paths()) {
    const info = catalog.get(p);
    if (info && isValidPathSyntax(p)) infos.set(p, info);
  }
  for (const f of TRANSFER_BUNDLE_FIELDS) if (!infos.has(f.path)) infos.set(f.path, f);
  for (const f of MINUTES_FIELDS) if (!infos.has(f.path)) infos.set(f.path, f);

  // Parents before children: sort by segment count, then name.
  const ordered = [...infos.keys()].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const path of ordered) {
    const info = infos.get(path)!;
    const parentNode = parentOf(path, byPath);
    if (!parentNode) continue; // orphan path: ignore, nothing can reach it
    const key = lastKey(path);
    const node = make(path, info, parentNode);
    parentNode.children.set(key, node);
    if (info.type === 'array') {
      // Items of object lists inherit the list's tags; their fields come as `path[].x` entries.
      const itemInfo: FieldInfo = {
        path: `${path}[]`,
        type: info.itemType ?? 'object',
        sensitivity: info.sensitivity,
        clinicalNarrative: info.clinicalNarrative,
        ...(info.enum && isPrimitiveType(info.itemType) ? { enum: info.enum } : {}),
      };
      node.item = make(`${path}[]`, itemInfo, node);
    }
  }
  return { root, nodes, byPath: (p) => byPath.get(p) };
}

function depth(path: string): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) if (path.charCodeAt(i) === 46) n++;
  return n;
}

function lastKey(path: string): string {
  const i = path.lastIndexOf('.');
  return i < 0 ? path : path.slice(i + 1);
}

/** `a.b[].c` → node for `a.b[]`; `a.b` → node for `a`; `a` → root. */
function parentOf(path: string, byPath: Map<string, CatalogNode>): CatalogNode | undefined {
  const i = path.lastIndexOf('.');
  if (i < 0) return byPath.get('');
  return byPath.get(path.slice(0, i));
}

/** True when `path` is `prefix` or lies below it (`prefix.x`, `prefix[]...`). */
export function isAtOrBelow(path: string, prefix: string): boolean {
  if (path === prefix) return true;
  if (!path.startsWith(prefix)) return false;
  const c = path.charCodeAt(prefix.length);
  return c === 46 /* . */ || c === 91 /* [ */;
}
