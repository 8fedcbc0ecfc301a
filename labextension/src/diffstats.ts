/**
 * The Stats tab of a diff: figures per column (nulls, range, mean, distinct values, …) before and
 * after, marked when estimated.
 */
import { h } from './dom';
import { ILabeledTable } from './difftables';
import { valueText } from './format';
import { IColumnStats, IFigure } from './types';

const FIGURES = ['null_count', 'min', 'max', 'mean', 'std', 'distinct', 'avg_length'];

function figureCell(f: IFigure | undefined, side: 'before' | 'after'): HTMLElement {
  const v = f?.[side];
  if (!v) {
    return h('td', {}, '—');
  }
  return h(
    'td',
    {
      class: side === 'after' && f?.changed ? 'jp-DataVC-cell-changed' : '',
      title: `${v.source}${v.exact ? '' : ', estimated'}`
    },
    `${v.exact ? '' : '≈'}${valueText(v.value)}`
  );
}

export function statsSection({ label, table }: ILabeledTable): HTMLElement {
  const st = table.stats;
  const cols = st.columns;
  return h(
    'section',
    { class: 'jp-DataVC-section' },
    h('h3', {}, label),
    h(
      'div',
      { class: 'jp-DataVC-hint' },
      st.computed
        ? 'Figures computed from the data.'
        : 'Figures from the manifest and Parquet footers (no data read).'
    ),
    h(
      'table',
      { class: 'jp-DataVC-table jp-DataVC-stats-table' },
      h(
        'thead',
        {},
        h('tr', {}, ...['column', 'figure', 'before', 'after', 'change'].map(c => h('th', {}, c)))
      ),
      h('tbody', {}, statRow('(table)', 'rows', st.rows), ...cols.flatMap(c => columnRows(c)))
    )
  );
}

function statRow(column: string, name: string, f: IFigure, first = true, span = 1): HTMLElement {
  return h(
    'tr',
    { class: f.changed ? 'jp-DataVC-changed-row' : '' },
    first
      ? h('td', { class: 'jp-DataVC-col-name', attrs: { rowspan: String(span) } }, column)
      : null,
    h('td', {}, name),
    figureCell(f, 'before'),
    figureCell(f, 'after'),
    h(
      'td',
      {},
      f.change === null || f.change === 0 ? '' : `${f.change > 0 ? '+' : ''}${valueText(f.change)}`
    )
  );
}

function columnRows(c: IColumnStats): HTMLElement[] {
  const names = FIGURES.filter(n => c.figures[n]);
  const label = c.status === 'common' ? c.name : `${c.name} (${c.status})`;
  if (!names.length) {
    return [
      h(
        'tr',
        {},
        h('td', { class: 'jp-DataVC-col-name' }, label),
        h('td', { attrs: { colspan: '4' } }, 'no figures')
      )
    ];
  }
  return names.map((n, i) => statRow(label, n, c.figures[n], i === 0, names.length));
}
