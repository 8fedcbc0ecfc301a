/**
 * A diff of two versions (or a version and the workspace), rendered from the diff JSON in five
 * tabs: Summary, Files, Schema, Stats and Rows. Rows are compared on demand (by key columns when
 * given, so changed cells can be highlighted). The view fetches and switches tabs; each tab's
 * content is rendered by its own module (diffsummary, diffschema, diffstats, diffrows).
 */
import { Widget } from '@lumino/widgets';

import { getDiff } from './api';
import { guessKey, rowsResult } from './diffrows';
import { schemaSection } from './diffschema';
import { statsSection } from './diffstats';
import { filesTab, summaryTab } from './diffsummary';
import { perTable, tables } from './difftables';
import { Child, h, replace } from './dom';
import { emptyState, errorState, loadingState } from './states';
import { IDiff } from './types';

const TABS = ['Summary', 'Files', 'Schema', 'Stats', 'Rows'] as const;
type Tab = (typeof TABS)[number];

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
      body = rowsResult(this.rowsDoc);
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
