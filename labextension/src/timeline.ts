/**
 * A dataset's version timeline: newest first, fetched a page at a time and virtualized (only the
 * rows in view are in the DOM), so a dataset with thousands of versions opens at once. Ticking two
 * versions (or one, against the workspace) opens a diff; clicking one shows its details. The
 * windowing is in virtuallist, a row in versionrow and the details in versiondetail.
 */
import { CommandRegistry } from '@lumino/commands';
import { caretLeftIcon } from '@jupyterlab/ui-components';

import { getVersionSummary, listVersions } from './api';
import { CommandIDs } from './commands';
import { h, replace } from './dom';
import { humanCount } from './format';
import { emptyState, errorState, loadingState } from './states';
import { IDatasetSummary, IVersionInfo } from './types';
import { versionDetail } from './versiondetail';
import { placeholderRow, versionRow } from './versionrow';
import { VirtualList } from './virtuallist';

export const ROW_HEIGHT = 64;
const PAGE_SIZE = 200;
const OVERSCAN = 6;

export class Timeline {
  readonly node: HTMLElement;
  private readonly title: HTMLElement;
  private readonly count: HTMLElement;
  private readonly compareBar: HTMLElement;
  private readonly list: VirtualList;
  private readonly detail: HTMLElement;
  private dataset: IDatasetSummary | null = null;
  private total = 0;
  private pages = new Map<number, IVersionInfo[]>();
  private pending = new Map<number, Promise<void>>();
  private generation = 0;
  private selected: IVersionInfo[] = [];
  private current: IVersionInfo | null = null;

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
    this.list = new VirtualList(ROW_HEIGHT, OVERSCAN, index => this.row(index));
    this.detail = h('div', { class: 'jp-DataVC-detail' });
    this.node = h(
      'div',
      { class: 'jp-DataVC-view jp-DataVC-timeline' },
      h('div', { class: 'jp-DataVC-timeline-header' }, back, this.title, this.count),
      this.compareBar,
      this.list.node,
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
    this.list.scrollToTop();
    this.list.showState(loadingState('versions'));
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
      replace(this.count, `${humanCount(this.total)} version${this.total === 1 ? '' : 's'}`);
      if (this.total === 0) {
        this.list.showState(emptyState(null, 'No versions'));
      } else {
        this.list.setCount(this.total);
      }
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
      this.list.showState(errorState('versions', error, () => void this.reload()));
    }
  }

  /** Re-render after the panel was shown or resized. */
  layout(): void {
    this.list.schedule();
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
          this.list.schedule();
        }
      })
      .catch(() => {
        this.pending.delete(page); // tried again when the rows come into view again
      });
    this.pending.set(page, done);
  }

  private row(index: number): HTMLElement {
    const v = this.versionAt(index);
    if (!v) {
      return placeholderRow();
    }
    return versionRow(v, {
      selected: this.selected.some(s => s.number === v.number),
      current: this.current?.number === v.number,
      onToggle: () => this.toggle(v),
      onOpen: () => void this.showDetail(v)
    });
  }

  private toggle(v: IVersionInfo): void {
    if (this.selected.some(s => s.number === v.number)) {
      this.selected = this.selected.filter(s => s.number !== v.number);
    } else {
      this.selected = [...this.selected, v].slice(-2);
    }
    this.renderCompareBar();
    this.list.render();
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
    this.list.render();
  }

  private async showDetail(v: IVersionInfo): Promise<void> {
    this.current = v;
    this.list.render();
    replace(this.detail, loadingState(v.ref));
    try {
      const summary = await getVersionSummary(v.dataset, `v${v.number}`);
      if (this.current?.number === v.number && this.dataset?.name === v.dataset) {
        replace(this.detail, ...versionDetail(summary, this.commands));
      }
    } catch (error) {
      replace(
        this.detail,
        errorState(v.ref, error, () => void this.showDetail(v))
      );
    }
  }
}
