/**
 * A diff of two versions (or a version and the workspace), rendered from the diff JSON in five
 * tabs: Summary, Files, Schema, Stats and Rows. Rows are compared on demand (by key columns when
 * given, so changed cells can be highlighted).
 */
import { Widget } from '@lumino/widgets';

import { getDiff } from './api';
import { Child, h, replace } from './dom';
import { humanCount, humanSize, signed, valueText } from './format';
import { emptyState, errorState, loadingState } from './states';
import { IBeforeAfter, IColumnStats, IDiff, IFigure, IRowsDiff, ITableDiff } from './types';

const TABS = ['Summary', 'Files', 'Schema', 'Stats', 'Rows'] as const;
type Tab = (typeof TABS)[number];

interface ILabeledTable {
  label: string;
  table: ITableDiff;
}

export class DiffView extends Widget {
  private readonly header: HTMLElement;
  private readonly tabBar: HTMLElement;
  private readonly content: HTMLElement;
  private doc: IDiff | null = null;
  private rowsDoc: IDiff | null = null;
  private rowsError: unknown = null;
  private rowsLoading = false;
  private tab: Tab = 'Summary';
  private keyInput: HTMLInputElement;

  constructor(
    readonly a: string,
    readonly b: string | null
  ) {
    super();
    this.addClass('jp-DataVC-diff');
    this.header = h('div', { class: 'jp-DataVC-diff-header' });
    this.tabBar = h('div', { class: 'jp-DataVC-tabs', role: 'tablist' });
    this.content = h('div', { class: 'jp-DataVC-diff-content', role: 'tabpanel' });
    this.keyInput = h('input', {
      class: 'jp-mod-styled jp-DataVC-key-input',
      attrs: { type: 'text', placeholder: 'key columns, e.g. id', 'aria-label': 'Key columns' }
    });
    this.node.append(this.header, this.tabBar, this.content);
    replace(
      this.header,
      h('span', { class: 'jp-DataVC-diff-title' }, `${a} → ${b ?? 'workspace'}`)
    );
    replace(this.content, loadingState('the diff'));
    void this.load();
  }

  private async load(): Promise<void> {
    replace(this.content, loadingState('the diff'));
    try {
      this.doc = await getDiff(this.a, this.b);
    } catch (error) {
      replace(
        this.content,
        errorState('the diff', error, () => void this.load())
      );
      return;
    }
    this.keyInput.value = guessKey(this.doc).join(', ');
    this.renderHeader();
    this.renderTabs();
    this.renderTab();
  }

  private renderHeader(): void {
    const d = this.doc;
    if (!d) {
      return;
    }
    const s = d.summary;
    replace(
      this.header,
      h('span', { class: 'jp-DataVC-diff-title' }, `${d.a.label} → ${d.b.label}`),
      s.identical
        ? h('span', { class: 'jp-DataVC-badge jp-mod-same' }, 'identical')
        : h('span', { class: 'jp-DataVC-badge jp-mod-changed' }, 'changed'),
      d.same_dataset ? null : h('span', { class: 'jp-DataVC-badge' }, 'two datasets')
    );
  }

  private renderTabs(): void {
    replace(
      this.tabBar,
      ...TABS.map(t =>
        h(
          'button',
          {
            class: `jp-DataVC-tab${t === this.tab ? ' jp-mod-active' : ''}`,
            role: 'tab',
            dataset: { tab: t },
            attrs: { 'aria-selected': String(t === this.tab) },
            onclick: () => {
              this.tab = t;
              this.renderTabs();
              this.renderTab();
            }
          },
          t,
          this.tabCount(t)
        )
      )
    );
  }

  private tabCount(t: Tab): Child {
    const d = this.doc;
    if (!d) {
      return null;
    }
    const n =
      t === 'Files'
        ? d.files.length
        : t === 'Schema'
          ? d.summary.columns
            ? d.summary.columns.added +
              d.summary.columns.removed +
              d.summary.columns.type_changed +
              d.summary.columns.nullability_changed
            : 0
          : t === 'Stats'
            ? tables(d).reduce(
                (acc, x) => acc + x.table.stats.columns.filter(c => c.changed).length,
                0
              )
            : 0;
    return n ? h('span', { class: 'jp-DataVC-tab-count' }, String(n)) : null;
  }

  private renderTab(): void {
    const d = this.doc;
    if (!d) {
      return;
    }
    switch (this.tab) {
      case 'Summary':
        replace(this.content, ...summaryTab(d));
        break;
      case 'Files':
        replace(this.content, filesTab(d));
        break;
      case 'Schema':
        replace(this.content, ...perTable(d, schemaSection));
        break;
      case 'Stats':
        replace(this.content, ...perTable(d, statsSection));
        break;
      case 'Rows':
        this.renderRows();
        break;
    }
  }

  private renderRows(): void {
    const d = this.doc;
    if (!d) {
      return;
    }
    if (!tables(d).length) {
      replace(
        this.content,
        emptyState(
          null,
          'No tables to compare',
          'Rows are compared for tabular files (Parquet, CSV, Arrow, JSON Lines).'
        )
      );
      return;
    }
    const run = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-accept jp-DataVC-rows-run',
        onclick: () => void this.loadRows()
      },
      'Compare rows'
    );
    const controls = h(
      'div',
      { class: 'jp-DataVC-rows-controls' },
      h('label', {}, 'Match rows by ', this.keyInput),
      run,
      h(
        'span',
        { class: 'jp-DataVC-hint' },
        'Leave empty to compare whole rows (added and removed only).'
      )
    );
    let body: Child;
    if (this.rowsLoading) {
      body = loadingState('rows');
    } else if (this.rowsError !== null) {
      body = errorState('rows', this.rowsError, () => void this.loadRows());
    } else if (this.rowsDoc) {
      const found = tables(this.rowsDoc).filter(t => t.table.rows);
      body = found.length
        ? h('div', {}, ...found.map(t => rowsSection(t.label, t.table.rows as IRowsDiff)))
        : emptyState(
            null,
            'Rows could not be compared',
            ...this.rowsDoc.messages.map(m => h('div', {}, m.message))
          );
    } else {
      body = null;
      if (!this.rowsLoading) {
        void this.loadRows(); // first visit: compare at once with the guessed key
        return;
      }
    }
    replace(this.content, controls, body);
  }

  private async loadRows(): Promise<void> {
    const key = this.keyInput.value
      .split(',')
      .map(k => k.trim())
      .filter(Boolean);
    this.rowsLoading = true;
    this.rowsError = null;
    this.renderRows();
    try {
      this.rowsDoc = await getDiff(this.a, this.b, {
        rows: true,
        key: key.length ? key : undefined,
        limit: 50
      });
    } catch (error) {
      this.rowsError = error;
    }
    this.rowsLoading = false;
    if (this.tab === 'Rows') {
      this.renderRows();
    }
  }
}

function tables(d: IDiff): ILabeledTable[] {
  if (d.table) {
    return [{ label: d.same_dataset ? d.a.dataset : 'dataset', table: d.table }];
  }
  return d.files.filter(f => f.table).map(f => ({ label: f.path, table: f.table as ITableDiff }));
}

/** A key to match rows by: `id`, or a column ending in `_id`, present on both sides. */
function guessKey(d: IDiff): string[] {
  const t = tables(d);
  if (t.length !== 1) {
    return [];
  }
  const before = new Set(t[0].table.schema.before.map(c => c.name));
  const common = t[0].table.schema.after.map(c => c.name).filter(n => before.has(n));
  const pick = common.find(n => n.toLowerCase() === 'id') ?? common.find(n => /(^|_)id$/i.test(n));
  return pick ? [pick] : [];
}

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
  return h(
    'span',
    {},
    `${fmt(ba.before)} → ${fmt(ba.after)}`,
    delta
      ? h(
          'span',
          { class: `jp-DataVC-delta ${delta.startsWith('-') ? 'jp-mod-minus' : 'jp-mod-plus'}` },
          delta
        )
      : null
  );
}

function summaryTab(d: IDiff): HTMLElement[] {
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

function filesTab(d: IDiff): HTMLElement {
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

function perTable(d: IDiff, section: (t: ILabeledTable) => HTMLElement): HTMLElement[] {
  const t = tables(d);
  if (!t.length) {
    return [
      emptyState(
        null,
        'No tables',
        'Schemas and statistics are shown for tabular files (Parquet, CSV, Arrow, JSON Lines).'
      )
    ];
  }
  return t.map(section);
}

function schemaSection({ label, table }: ILabeledTable): HTMLElement {
  const s = table.schema;
  const added = new Set(s.added.map(c => c.name));
  const removed = new Set(s.removed.map(c => c.name));
  const typed = new Map(s.type_changed.map(c => [c.name, c]));
  const nulls = new Map(s.nullability_changed.map(c => [c.name, c]));
  const before = new Map(s.before.map(c => [c.name, c]));
  const names = [...s.after.map(c => c.name), ...s.removed.map(c => c.name)];
  const after = new Map(s.after.map(c => [c.name, c]));
  return h(
    'section',
    { class: 'jp-DataVC-section' },
    h(
      'h3',
      {},
      label,
      s.changed ? null : h('span', { class: 'jp-DataVC-badge jp-mod-same' }, 'same schema')
    ),
    s.order_changed ? h('div', { class: 'jp-DataVC-hint' }, 'Column order changed.') : null,
    h(
      'table',
      { class: 'jp-DataVC-table jp-DataVC-schema-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'column'),
          h('th', {}, 'before'),
          h('th', {}, 'after'),
          h('th', {}, 'change')
        )
      ),
      h(
        'tbody',
        {},
        ...names.map(n => {
          const status = added.has(n)
            ? 'added'
            : removed.has(n)
              ? 'removed'
              : typed.has(n)
                ? 'type changed'
                : nulls.has(n)
                  ? 'nullability changed'
                  : '';
          const col = (c: { type: string; nullable: boolean } | undefined) =>
            c ? `${c.type}${c.nullable ? '' : ' not null'}` : '—';
          return h(
            'tr',
            { class: status ? 'jp-DataVC-changed-row' : '' },
            h('td', { class: 'jp-DataVC-col-name' }, n),
            h('td', {}, col(before.get(n))),
            h(
              'td',
              { class: status && status !== 'removed' ? 'jp-DataVC-cell-changed' : '' },
              col(after.get(n))
            ),
            h(
              'td',
              {},
              status
                ? h('span', { class: `jp-DataVC-status jp-mod-${status.split(' ')[0]}` }, status)
                : ''
            )
          );
        })
      )
    )
  );
}

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

function statsSection({ label, table }: ILabeledTable): HTMLElement {
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
