/** The Summary and Files tabs of a diff: what changed overall, and the table of changed files. */
import { Child, deltaBadge, h } from './dom';
import { humanCount, humanSize, signed } from './format';
import { emptyState } from './states';
import { IBeforeAfter, IDiff } from './types';

function change(ba: IBeforeAfter, unit: 'bytes' | 'rows' | 'count'): HTMLElement {
  const fmt = (n: number | null) =>
    n === null ? '—' : unit === 'bytes' ? humanSize(n) : humanCount(n);
  const delta =
    unit === 'count'
      ? ba.change
        ? ba.change > 0
          ? `+${ba.change}`
          : String(ba.change)
        : ''
      : signed(ba.change, unit === 'bytes' ? 'bytes' : 'rows');
  return h('span', {}, `${fmt(ba.before)} → ${fmt(ba.after)}`, delta ? deltaBadge(delta) : null);
}

export function summaryTab(d: IDiff): HTMLElement[] {
  const s = d.summary;
  const f = s.files;
  const rows: [string, Child][] = [
    [
      'Files',
      h(
        'span',
        {},
        ...(['added', 'removed', 'modified', 'renamed'] as const).map(k =>
          f[k] ? h('span', { class: `jp-DataVC-count jp-mod-${k}` }, `${f[k]} ${k}`) : null
        ),
        h('span', { class: 'jp-DataVC-count' }, `${f.unchanged} unchanged`)
      )
    ],
    ['Size', change(s.size, 'bytes')],
    ['Rows', change(s.rows, 'rows')]
  ];
  if (s.columns) {
    const c = s.columns;
    const bits = [
      c.added ? `${c.added} added` : '',
      c.removed ? `${c.removed} removed` : '',
      c.type_changed ? `${c.type_changed} type changed` : '',
      c.nullability_changed ? `${c.nullability_changed} nullability changed` : '',
      c.order_changed ? 'order changed' : ''
    ].filter(Boolean);
    rows.push(['Columns', bits.length ? bits.join(', ') : 'no change']);
  }
  if (s.row_changes) {
    rows.push([
      'Row changes',
      `${s.row_changes.added} added, ${s.row_changes.removed} removed, ${s.row_changes.changed} changed`
    ]);
  }
  const sides = h(
    'table',
    { class: 'jp-DataVC-table jp-DataVC-sides' },
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'before'), h('th', {}, 'after'))),
    h(
      'tbody',
      {},
      h('tr', {}, h('th', {}, 'side'), h('td', {}, d.a.label), h('td', {}, d.b.label)),
      h(
        'tr',
        {},
        h('th', {}, 'hash'),
        h('td', { class: 'jp-DataVC-mono' }, d.a.manifest ?? '—'),
        h('td', { class: 'jp-DataVC-mono' }, d.b.manifest ?? '—')
      ),
      h(
        'tr',
        {},
        h('th', {}, 'files'),
        h('td', {}, humanCount(d.a.files)),
        h('td', {}, humanCount(d.b.files))
      )
    )
  );
  return [
    h(
      'dl',
      { class: 'jp-DataVC-facts jp-DataVC-summary' },
      ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])
    ),
    messages(d),
    sides
  ];
}

function messages(d: IDiff): HTMLElement {
  return h(
    'ul',
    { class: 'jp-DataVC-messages' },
    ...d.messages.map(m =>
      h(
        'li',
        { class: `jp-DataVC-message jp-mod-${m.level}` },
        h('span', { class: 'jp-DataVC-level' }, m.level),
        m.file ? `${m.file}: ` : '',
        m.message
      )
    )
  );
}

export function filesTab(d: IDiff): HTMLElement {
  if (!d.files.length) {
    return emptyState(
      null,
      'No file changed',
      `${humanCount(d.summary.files.unchanged)} files are the same on both sides.`
    );
  }
  return h(
    'table',
    { class: 'jp-DataVC-table jp-DataVC-files-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['status', 'path', 'size', 'change', 'format', 'lines'].map(c => h('th', {}, c))
      )
    ),
    h(
      'tbody',
      {},
      ...d.files.map(f =>
        h(
          'tr',
          { class: `jp-mod-${f.status}` },
          h('td', {}, h('span', { class: `jp-DataVC-status jp-mod-${f.status}` }, f.status)),
          h('td', { class: 'jp-DataVC-path' }, f.old_path ? `${f.old_path} → ${f.path}` : f.path),
          h(
            'td',
            {},
            `${f.size.before === null ? '—' : humanSize(f.size.before)} → ${f.size.after === null ? '—' : humanSize(f.size.after)}`
          ),
          h('td', {}, signed(f.size.change, 'bytes')),
          h('td', {}, f.format ?? ''),
          h('td', {}, f.lines ? `+${f.lines.added} −${f.lines.removed}` : '')
        )
      )
    )
  );
}
