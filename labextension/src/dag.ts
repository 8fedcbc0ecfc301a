/**
 * The lineage graph: read leniently from the lineage JSON (nodes with ids, edges source -> target),
 * and laid out in layers from upstream (left) to downstream (right).
 */
import { ILineageDoc, ILineageNodeIn } from './types';

export interface IDagNode {
  id: string;
  label: string;
  kind: string;
  ref: string | null;
  layer: number;
  x: number;
  y: number;
}

export interface IDagEdge {
  from: string;
  to: string;
}

export interface IDag {
  nodes: IDagNode[];
  edges: IDagEdge[];
  width: number;
  height: number;
}

export const NODE_W = 180;
export const NODE_H = 40;
const GAP_X = 70;
const GAP_Y = 18;
const REF_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}@v[0-9]+$/;

function nodeRef(n: ILineageNodeIn, id: string): string | null {
  if (typeof n.ref === 'string' && n.ref) {
    return n.ref;
  }
  if (typeof n.dataset === 'string' && typeof n.version === 'number') {
    return `${n.dataset}@v${n.version}`;
  }
  return REF_RE.test(id) ? id : null;
}

/** Merge lineage documents (e.g. upstream and downstream of one version) into one graph. */
export function readLineage(docs: ILineageDoc[]): {
  nodes: Map<string, IDagNode>;
  edges: IDagEdge[];
} {
  const nodes = new Map<string, IDagNode>();
  const edges = new Map<string, IDagEdge>();
  for (const doc of docs) {
    for (const n of doc.nodes ?? []) {
      const id = String(n.id ?? n.key ?? n.ref ?? '');
      if (!id || nodes.has(id)) {
        continue;
      }
      const ref = nodeRef(n, id);
      const kind = String(n.kind ?? n.type ?? (ref ? 'version' : 'node'));
      const label = String(n.label ?? n.name ?? ref ?? id);
      nodes.set(id, { id, label, kind, ref, layer: 0, x: 0, y: 0 });
    }
    for (const e of [...(doc.edges ?? []), ...(doc.links ?? [])]) {
      const from = String(e.source ?? e.from ?? '');
      const to = String(e.target ?? e.to ?? '');
      if (from && to) {
        edges.set(`${from}\u0000${to}`, { from, to });
      }
    }
  }
  for (const e of edges.values()) {
    for (const id of [e.from, e.to]) {
      if (!nodes.has(id)) {
        nodes.set(id, {
          id,
          label: id,
          kind: REF_RE.test(id) ? 'version' : 'node',
          ref: REF_RE.test(id) ? id : null,
          layer: 0,
          x: 0,
          y: 0
        });
      }
    }
  }
  return { nodes, edges: [...edges.values()] };
}

/** Layers by longest path from the sources; in each layer, order by the parents' mean position. */
export function layout(nodes: Map<string, IDagNode>, edges: IDagEdge[]): IDag {
  const parents = new Map<string, string[]>();
  for (const e of edges) {
    parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  }
  for (let round = 0; round < nodes.size; round++) {
    let moved = false;
    for (const e of edges) {
      const a = nodes.get(e.from);
      const b = nodes.get(e.to);
      if (a && b && b.layer < a.layer + 1) {
        b.layer = a.layer + 1;
        moved = true;
      }
    }
    if (!moved) {
      break; // a cycle stops after nodes.size rounds
    }
  }
  const layers: IDagNode[][] = [];
  for (const n of [...nodes.values()].sort((x, y) => x.label.localeCompare(y.label))) {
    (layers[n.layer] ??= []).push(n);
  }
  const position = new Map<string, number>();
  let tallest = 0;
  layers.forEach((layer = [], i) => {
    if (i > 0) {
      const mean = (n: IDagNode) => {
        const ps = (parents.get(n.id) ?? []).map(p => position.get(p) ?? 0);
        return ps.length ? ps.reduce((s, v) => s + v, 0) / ps.length : 0;
      };
      layer.sort((x, y) => mean(x) - mean(y));
    }
    layer.forEach((n, j) => position.set(n.id, j));
    tallest = Math.max(tallest, layer.length);
  });
  const height = Math.max(1, tallest) * (NODE_H + GAP_Y) + GAP_Y;
  layers.forEach((layer = [], i) => {
    const top = (height - layer.length * (NODE_H + GAP_Y) + GAP_Y) / 2;
    layer.forEach((n, j) => {
      n.x = GAP_X / 2 + i * (NODE_W + GAP_X);
      n.y = top + j * (NODE_H + GAP_Y);
    });
  });
  const width = Math.max(1, layers.length) * (NODE_W + GAP_X);
  return { nodes: [...nodes.values()], edges, width, height };
}
