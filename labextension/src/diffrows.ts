/**
 * The Rows tab of a diff: rows added, removed and (when matched by key columns) changed, with the
 * changed cells highlighted.
 */
import { Child, h } from './dom';
import { tables } from './difftables';
import { humanCount, valueText } from './format';
import { emptyState } from './states';
import { IDiff, IRowsDiff } from './types';

/** A key to match rows by: `id`, or a column ending in `_id`, present on both sides. */
export function guessKey(d: IDiff): string[] {
  const t = tables(d);
  if (t.length !== 1) {
    return [];
  }
  const before = new Set(t[0].table.schema.before.map(c => c.name));
  const common = t[0].table.schema.after.map(c => c.name).filter(n => before.has(n));
  const pick = common.find(n => n.toLowerCase() === 'id') ?? common.find(n => /(^|_)id$/i.test(n));
  return pick ? [pick] : [];
}

/** The compared rows of every table, or why they could not be compared. */
export function rowsResult(d: IDiff): HTMLElement {
  const found = tables(d).filter(t => t.table.rows);
  return found.length
    ? h('div', {}, ...found.map(t => rowsSection(t.label, t.table.rows as IRowsDiff)))
    : emptyState(
        null,
        'Rows could not be compared',
        ...d.messages.map(m => h('div', {}, m.message))
      );
}

function rowsSection(label: string, r: IRowsDiff): HTMLElement {
  const c = r.counts;
  const facts =
    `${humanCount(c.before)} → ${humanCount(c.after)} rows: ${humanCount(c.added)} added, ${humanCount(c.removed)} removed` +
    (c.changed !== null ? `, ${humanCount(c.changed)} changed` : '') +
    `, ${humanCount(c.unchanged)} unchanged`;
  const parts: Child[] = [
    h(
      'h3',
      {},
      label,
      h(
        'span',
        { class: 'jp-DataVC-badge' },
        r.mode === 'key' ? `by key ${(r.key ?? []).join(', ')}` : 'whole rows'
      )
    ),
    h('div', { class: 'jp-DataVC-rows-counts' }, facts)
  ];
  if (r.ignored_columns.length) {
    parts.push(
      h(
        'div',
        { class: 'jp-DataVC-hint' },
        `Not compared: ${r.ignored_columns.map(i => `${i.name} (${i.reason})`).join(', ')}`
      )
    );
  }
  if (r.changed.rows.length) {
    const keyCols = r.key ?? [];
    const changedCols = r.columns.filter(
      col => !keyCols.includes(col) && r.changed.rows.some(row => col in row.cells)
    );
    parts.push(
      h('h4', {}, `Changed rows${r.changed.truncated ? ` (first ${r.changed.rows.length})` : ''}`),
      h(
        'table',
        { class: 'jp-DataVC-table jp-DataVC-rows-changed' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...keyCols.map(k => h('th', { class: 'jp-DataVC-key' }, k)),
            ...changedCols.map(col => h('th', {}, col))
          )
        ),
        h(
          'tbody',
          {},
          ...r.changed.rows.map(row =>
            h(
              'tr',
              {},
              ...keyCols.map(k => h('td', { class: 'jp-DataVC-key' }, valueText(row.key[k]))),
              ...changedCols.map(col => {
                const cell = row.cells[col];
                return cell
                  ? h(
                      'td',
                      { class: 'jp-DataVC-cell-changed' },
                      h('span', { class: 'jp-DataVC-before' }, valueText(cell.before)),
                      ' → ',
                      h('span', { class: 'jp-DataVC-after' }, valueText(cell.after))
                    )
                  : h('td', { class: 'jp-DataVC-cell-same' }, '');
              })
            )
          )
        )
      )
    );
  }
  for (const kind of ['added', 'removed'] as const) {
    const sample = r[kind];
    if (sample.rows.length) {
      parts.push(
        h(
          'h4',
          {},
          `${kind === 'added' ? 'Added' : 'Removed'} rows${sample.truncated ? ` (first ${sample.rows.length})` : ''}`
        ),
        h(
          'table',
          { class: `jp-DataVC-table jp-DataVC-rows-${kind}` },
          h('thead', {}, h('tr', {}, ...sample.columns.map(col => h('th', {}, col)))),
          h(
            'tbody',
            {},
            ...sample.rows.map(row =>
              h('tr', { class: `jp-mod-${kind}` }, ...row.map(v => h('td', {}, valueText(v))))
            )
          )
        )
      );
    }
  }
  if (!c.added && !c.removed && !(c.changed ?? 0)) {
    parts.push(emptyState(null, 'Same rows on both sides'));
  }
  return h('section', { class: 'jp-DataVC-section' }, ...parts);
}
