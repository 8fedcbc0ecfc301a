/**
 * A dataset's version timeline: newest first, fetched a page at a time and virtualized (only the
 * rows in view are in the DOM), so a dataset with thousands of versions opens at once. Ticking two
 * versions (or one, against the workspace) opens a diff; clicking one shows its details.
 */
import { CommandRegistry } from '@lumino/commands';
import { caretLeftIcon, copyIcon, tagIcon } from '@jupyterlab/ui-components';

import { getVersionSummary, listVersions } from './api';
import { CommandIDs } from './commands';
import { h, replace } from './dom';
import { fullTime, humanCount, humanSize, relativeTime, signed } from './format';
import { emptyState, errorState, loadingState } from './states';
import { IDatasetSummary, IVersionInfo, IVersionSummary } from './types';

export const ROW_HEIGHT = 64;
const PAGE_SIZE = 200;
const OVERSCAN = 6;

export class Timeline {
  readonly node: HTMLElement;
  private readonly title: HTMLElement;
  private readonly count: HTMLElement;
  private readonly compareBar: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly detail: HTMLElement;
  private dataset: IDatasetSummary | null = null;
  private total = 0;
  private pages = new Map<number, IVersionInfo[]>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  private selected: IVersionInfo[] = [];
  private current: IVersionInfo | null = null;
  private frame = 0;
  private state: 'loading' | 'ready' | 'error' = 'loading';

  constructor(
    private readonly commands: CommandRegistry,
    private readonly onBack: () => void
  ) {
    this.title = h('span', { class: 'jp-DataVC-timeline-name' });
    this.count = h('span', { class: 'jp-DataVC-timeline-count' });
    const back = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-DataVC-back',
        title: 'Back to datasets',
        attrs: { 'aria-label': 'Back to datasets' },
        onclick: () => this.onBack()
      },
      caretLeftIcon.element({ className: 'jp-DataVC-button-icon' })
    );
    this.compareBar = h('div', { class: 'jp-DataVC-compare' });
    this.spacer = h('div', { class: 'jp-DataVC-spacer', role: 'list' });
    this.scroller = h('div', { class: 'jp-DataVC-scroller' }, this.spacer);
    this.scroller.addEventListener('scroll', () => this.schedule());
    this.detail = h('div', { class: 'jp-DataVC-detail' });
    this.node = h(
      'div',
      { class: 'jp-DataVC-view jp-DataVC-timeline' },
      h('div', { class: 'jp-DataVC-timeline-header' }, back, this.title, this.count),
      this.compareBar,
      this.scroller,
      this.detail
    );
  }

  get name(): string | null {
    return this.dataset?.name ?? null;
  }

  /** Show `dataset`'s versions from the newest. */
  async open(dataset: IDatasetSummary): Promise<void> {
    this.dataset = dataset;
    this.selected = [];
    this.current = null;
    replace(this.title, dataset.name);
    this.title.title = dataset.name;
    replace(this.detail);
    this.scroller.scrollTop = 0;
    this.state = 'loading';
    replace(this.spacer, loadingState('versions'));
    this.spacer.style.height = '';
    this.renderCompareBar();
    await this.reload();
  }

  /** Fetch again (a version was added or tagged); keeps the scroll position and the selection. */
  async reload(): Promise<void> {
    const dataset = this.dataset;
    if (!dataset) {
      return;
    }
    const generation = ++this.generation;
    try {
      const first = await listVersions(dataset.name, 0, PAGE_SIZE);
      if (generation !== this.generation) {
        return;
      }
      this.total = first.total;
      this.pages = new Map([[0, first.versions]]);
      this.pending = new Map();
      this.state = 'ready';
      replace(this.count, `${humanCount(this.total)} version${this.total === 1 ? '' : 's'}`);
      this.render();
      if (this.current) {
        const fresh = first.versions.find(v => v.number === this.current?.number);
        if (fresh && fresh.tags.join() !== this.current.tags.join()) {
          void this.showDetail(fresh);
        }
      }
    } catch (error) {
      if (generation !== this.generation) {
        return;
      }
      this.state = 'error';
      this.spacer.style.height = '';
      replace(
        this.spacer,
        errorState('versions', error, () => void this.reload())
      );
    }
  }

  /** Re-render after the panel was shown or resized. */
  layout(): void {
    this.schedule();
  }

  private schedule(): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
  }

  private versionAt(index: number): IVersionInfo | undefined {
    const page = Math.floor(index / PAGE_SIZE);
    const rows = this.pages.get(page);
    if (!rows) {
      this.fetchPage(page);
      return undefined;
    }
    return rows[index - page * PAGE_SIZE];
  }

  private fetchPage(page: number): void {
    const dataset = this.dataset;
    if (!dataset || this.pending.has(page)) {
      return;
    }
    const generation = this.generation;
    const done = listVersions(dataset.name, page * PAGE_SIZE, PAGE_SIZE)
      .then(result => {
        if (generation === this.generation) {
          this.pages.set(page, result.versions);
          this.schedule();
        }
      })
      .catch(() => {
        this.pending.delete(page); // tried again when the rows come into view again
      });
    this.pending.set(page, done);
  }

  private render(): void {
    if (this.state !== 'ready') {
      return;
    }
    if (this.total === 0) {
      this.spacer.style.height = '';
      replace(this.spacer, emptyState(null, 'No versions'));
      return;
    }
    this.spacer.style.height = `${this.total * ROW_HEIGHT}px`;
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.total, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      rows.push(this.row(i, this.versionAt(i)));
    }
    replace(this.spacer, ...rows);
  }

  private row(index: number, v: IVersionInfo | undefined): HTMLElement {
    const style = `top:${index * ROW_HEIGHT}px;height:${ROW_HEIGHT}px`;
    if (!v) {
      return h('div', {
        class: 'jp-DataVC-version jp-DataVC-version-placeholder',
        attrs: { style }
      });
    }
    const isSelected = this.selected.some(s => s.number === v.number);
    const box = h('input', {
      class: 'jp-DataVC-version-check',
      title: 'Select to compare',
      attrs: { type: 'checkbox', 'aria-label': `Select ${v.ref} to compare` }
    });
    box.checked = isSelected;
    box.addEventListener('click', event => {
      event.stopPropagation();
      this.toggle(v);
    });
    const deltas = [signed(v.size_change, 'bytes'), signed(v.rows_change, 'rows')].filter(Boolean);
    const isCurrent = this.current?.number === v.number;
    return h(
      'div',
      {
        class:
          'jp-DataVC-version' +
          (isSelected ? ' jp-mod-selected' : '') +
          (isCurrent ? ' jp-mod-current' : ''),
        role: 'listitem',
        dataset: { ref: v.ref, number: String(v.number) },
        attrs: { style, tabindex: '0' },
        onclick: () => void this.showDetail(v)
      },
      box,
      h(
        'div',
        { class: 'jp-DataVC-version-main' },
        h(
          'div',
          { class: 'jp-DataVC-version-line' },
          h('span', { class: 'jp-DataVC-version-number' }, `v${v.number}`),
          h('span', { class: 'jp-DataVC-hash', title: v.manifest }, v.short),
          ...v.tags.map(t => h('span', { class: 'jp-DataVC-tag' }, t)),
          h('span', { class: 'jp-DataVC-spring' }),
          h(
            'span',
            { class: 'jp-DataVC-version-meta', title: fullTime(v.time) },
            relativeTime(v.time)
          )
        ),
        h(
          'div',
          { class: 'jp-DataVC-version-message', title: v.message },
          v.message || '(no message)'
        ),
        h(
          'div',
          { class: 'jp-DataVC-version-line jp-DataVC-version-sub' },
          h('span', { class: 'jp-DataVC-version-author', title: v.author }, v.author),
          h('span', { class: 'jp-DataVC-spring' }),
          ...deltas.map(d =>
            h(
              'span',
              { class: `jp-DataVC-delta ${d.startsWith('-') ? 'jp-mod-minus' : 'jp-mod-plus'}` },
              d
            )
          )
        )
      )
    );
  }

  private toggle(v: IVersionInfo): void {
    if (this.selected.some(s => s.number === v.number)) {
      this.selected = this.selected.filter(s => s.number !== v.number);
    } else {
      this.selected = [...this.selected, v].slice(-2);
    }
    this.renderCompareBar();
    this.render();
  }

  private renderCompareBar(): void {
    const chosen = [...this.selected].sort((x, y) => x.number - y.number);
    const openDiff = (a: string, b: string | null) =>
      void this.commands.execute(CommandIDs.openDiff, b ? { a, b } : { a });
    if (chosen.length === 2) {
      replace(
        this.compareBar,
        h(
          'button',
          {
            class: 'jp-Button jp-mod-styled jp-mod-accept jp-DataVC-compare-button',
            onclick: () => openDiff(chosen[0].ref, chosen[1].ref)
          },
          `Compare v${chosen[0].number} → v${chosen[1].number}`
        ),
        h(
          'button',
          { class: 'jp-Button jp-mod-styled jp-mod-reject', onclick: () => this.clearSelection() },
          'Clear'
        )
      );
    } else if (chosen.length === 1) {
      const canWorkspace = chosen[0].path !== null;
      replace(
        this.compareBar,
        h(
          'button',
          {
            class: 'jp-Button jp-mod-styled jp-mod-accept jp-DataVC-compare-button',
            title: canWorkspace
              ? ''
              : 'This version was added from a table: it has no workspace files',
            onclick: () => openDiff(chosen[0].ref, null)
          },
          `Compare v${chosen[0].number} → workspace`
        ),
        h(
          'button',
          { class: 'jp-Button jp-mod-styled jp-mod-reject', onclick: () => this.clearSelection() },
          'Clear'
        )
      );
      (this.compareBar.firstChild as HTMLButtonElement).disabled = !canWorkspace;
    } else {
      replace(
        this.compareBar,
        h(
          'span',
          { class: 'jp-DataVC-compare-hint' },
          'Tick two versions to compare them, or one to compare with the workspace.'
        )
      );
    }
  }

  private clearSelection(): void {
    this.selected = [];
    this.renderCompareBar();
    this.render();
  }

  private async showDetail(v: IVersionInfo): Promise<void> {
    this.current = v;
    this.render();
    replace(this.detail, loadingState(v.ref));
    try {
      const summary = await getVersionSummary(v.dataset, `v${v.number}`);
      if (this.current?.number === v.number && this.dataset?.name === v.dataset) {
        replace(this.detail, ...this.detailBody(summary));
      }
    } catch (error) {
      replace(
        this.detail,
        errorState(v.ref, error, () => void this.showDetail(v))
      );
    }
  }

  private detailBody(s: IVersionSummary): HTMLElement[] {
    const v = s.version;
    const run = (id: string, args: { [k: string]: string }) => () =>
      void this.commands.execute(id, args);
    const button = (label: string, title: string, onclick: () => void, extra = '') =>
      h(
        'button',
        { class: `jp-Button jp-mod-styled jp-DataVC-action ${extra}`, title, onclick },
        label
      );
    const facts: [string, string][] = [
      ['hash', v.manifest],
      ['time', fullTime(v.time)],
      ['author', v.author],
      [
        'size',
        `${humanSize(s.size)}${v.size_change ? ` (${signed(v.size_change, 'bytes')})` : ''}`
      ],
      [
        'rows',
        s.rows !== null
          ? `${humanCount(s.rows)}${v.rows_change ? ` (${signed(v.rows_change, 'rows')})` : ''}`
          : '—'
      ],
      ['files', humanCount(s.files_total)],
      ['path', v.path ?? '(added from a table)']
    ];
    const parts: HTMLElement[] = [
      h(
        'div',
        { class: 'jp-DataVC-detail-head' },
        h('span', { class: 'jp-DataVC-detail-ref' }, v.ref),
        ...v.tags.map(t =>
          h(
            'span',
            { class: 'jp-DataVC-tag' },
            tagIcon.element({ className: 'jp-DataVC-tag-icon' }),
            t
          )
        ),
        h('span', { class: 'jp-DataVC-spring' }),
        h(
          'button',
          {
            class: 'jp-Button jp-mod-minimal jp-DataVC-copy',
            title: `Copy ${v.ref}`,
            attrs: { 'aria-label': `Copy ${v.ref}` },
            onclick: run(CommandIDs.copyRef, { ref: v.ref })
          },
          copyIcon.element({ className: 'jp-DataVC-button-icon' })
        )
      ),
      h('div', { class: 'jp-DataVC-detail-message' }, v.message || '(no message)'),
      h(
        'dl',
        { class: 'jp-DataVC-facts' },
        ...facts.flatMap(([k, val]) => [h('dt', {}, k), h('dd', { title: val }, val)])
      ),
      h(
        'div',
        { class: 'jp-DataVC-actions' },
        button(
          'Insert checkout',
          `Insert "%dv checkout ${v.ref}" into the active notebook cell`,
          run(CommandIDs.insertSnippet, { ref: v.ref, mode: 'checkout' }),
          'jp-DataVC-insert-checkout'
        ),
        button(
          'Insert load',
          `Insert "df = %dv load ${v.ref}" into the active notebook cell`,
          run(CommandIDs.insertSnippet, { ref: v.ref, mode: 'load' }),
          'jp-DataVC-insert-load'
        ),
        v.parent !== null
          ? button(
              'Diff with v' + v.parent,
              `Compare ${v.dataset}@v${v.parent} with ${v.ref}`,
              run(CommandIDs.openDiff, { a: `${v.dataset}@v${v.parent}`, b: v.ref }),
              'jp-DataVC-diff-parent'
            )
          : null,
        v.path !== null
          ? button(
              'Diff with workspace',
              `Compare ${v.ref} with the files in ${v.path}`,
              run(CommandIDs.openDiff, { a: v.ref }),
              'jp-DataVC-diff-workspace'
            )
          : null,
        button(
          'Lineage',
          `Show what ${v.ref} came from and what was made from it`,
          run(CommandIDs.openLineage, { rev: v.ref }),
          'jp-DataVC-lineage-button'
        )
      )
    ];
    if (s.schema) {
      parts.push(
        h('div', { class: 'jp-DataVC-detail-section' }, `Schema · ${s.schema.length} columns`),
        h(
          'ul',
          { class: 'jp-DataVC-schema' },
          ...s.schema.map(c =>
            h(
              'li',
              {},
              h('span', { class: 'jp-DataVC-col-name' }, c.name),
              h('span', { class: 'jp-DataVC-col-type' }, c.type)
            )
          )
        )
      );
    }
    if (s.kind === 'dir') {
      parts.push(
        h('div', { class: 'jp-DataVC-detail-section' }, `Files · ${humanCount(s.files_total)}`),
        h(
          'ul',
          { class: 'jp-DataVC-files' },
          ...s.files
            .slice(0, 50)
            .map(f =>
              h(
                'li',
                { title: f.path },
                h('span', { class: 'jp-DataVC-file-path' }, f.path),
                h('span', { class: 'jp-DataVC-file-size' }, humanSize(f.size))
              )
            ),
          s.files_total > 50
            ? h('li', { class: 'jp-DataVC-more' }, `and ${humanCount(s.files_total - 50)} more`)
            : null
        )
      );
    }
    return parts;
  }
}
