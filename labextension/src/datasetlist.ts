/** The searchable list of datasets: name, latest version, size, rows and last change. */
import { searchIcon } from '@jupyterlab/ui-components';

import { APIError } from './api';
import { h, replace } from './dom';
import { fullTime, humanCount, humanSize, relativeTime } from './format';
import { datasetIcon } from './icons';
import { code, emptyState, errorState, loadingState } from './states';
import { IDatasetList, IDatasetSummary } from './types';

export class DatasetList {
  readonly node: HTMLElement;
  private readonly search: HTMLInputElement;
  private readonly list: HTMLElement;
  private data: IDatasetList | null = null;
  private error: unknown = null;

  constructor(
    private readonly onOpen: (dataset: IDatasetSummary) => void,
    private readonly onRetry: () => void
  ) {
    this.search = h('input', {
      class: 'jp-mod-styled jp-DataVC-search-input',
      attrs: { type: 'search', placeholder: 'Search datasets', 'aria-label': 'Search datasets' }
    });
    this.search.addEventListener('input', () => this.render());
    this.list = h('div', { class: 'jp-DataVC-datasets', role: 'list' });
    this.node = h(
      'div',
      { class: 'jp-DataVC-view jp-DataVC-datasetview' },
      h(
        'div',
        { class: 'jp-DataVC-search' },
        searchIcon.element({ className: 'jp-DataVC-search-icon' }),
        this.search
      ),
      this.list
    );
    replace(this.list, loadingState('datasets'));
  }

  setData(data: IDatasetList): void {
    this.data = data;
    this.error = null;
    this.render();
  }

  setError(error: unknown): void {
    this.error = error;
    this.render();
  }

  private render(): void {
    if (this.error !== null) {
      const noRepo = this.error instanceof APIError && this.error.reason === 'RepoNotFound';
      replace(
        this.list,
        noRepo
          ? emptyState(
              datasetIcon,
              'No datavc repository here',
              'Version a dataset from a notebook: ',
              code('%load_ext jupyter_datavc'),
              ' then ',
              code('%dv add data.parquet'),
              '.'
            )
          : errorState('datasets', this.error, this.onRetry)
      );
      return;
    }
    if (this.data === null) {
      replace(this.list, loadingState('datasets'));
      return;
    }
    const all = this.data.datasets;
    if (!all.length) {
      replace(
        this.list,
        emptyState(
          datasetIcon,
          'No datasets yet',
          'Add one from a notebook: ',
          code('%dv add data.parquet'),
          '.'
        )
      );
      return;
    }
    const needle = this.search.value.trim().toLowerCase();
    const shown = needle
      ? all.filter(
          d => d.name.toLowerCase().includes(needle) || d.message.toLowerCase().includes(needle)
        )
      : all;
    if (!shown.length) {
      replace(this.list, emptyState(null, `No dataset matches “${this.search.value.trim()}”`));
      return;
    }
    replace(this.list, ...shown.map(d => this.item(d)));
  }

  private item(d: IDatasetSummary): HTMLElement {
    const facts = [
      `v${d.latest}`,
      humanSize(d.size),
      d.rows !== null
        ? `${humanCount(d.rows)} rows`
        : `${humanCount(d.files)} file${d.files === 1 ? '' : 's'}`
    ];
    const el = h(
      'div',
      {
        class: 'jp-DataVC-dataset',
        role: 'listitem',
        title: `${d.ref} — ${d.message || 'no message'}`,
        dataset: { name: d.name },
        attrs: { tabindex: '0' },
        onclick: () => this.onOpen(d)
      },
      datasetIcon.element({ className: 'jp-DataVC-dataset-icon' }),
      h(
        'div',
        { class: 'jp-DataVC-dataset-main' },
        h(
          'div',
          { class: 'jp-DataVC-dataset-line' },
          h('span', { class: 'jp-DataVC-dataset-name' }, d.name),
          h(
            'span',
            { class: 'jp-DataVC-dataset-time', title: fullTime(d.time) },
            relativeTime(d.time)
          )
        ),
        h('div', { class: 'jp-DataVC-dataset-facts' }, facts.filter(Boolean).join(' · '))
      )
    );
    el.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        this.onOpen(d);
      }
    });
    return el;
  }
}
