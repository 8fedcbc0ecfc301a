/** Background jobs of any kernel or shell on this store: live progress, and a cancel button. */
import { stopIcon } from '@jupyterlab/ui-components';

import { APIError, cancelJob, listJobs } from './api';
import { h, replace } from './dom';
import { humanSize, percent } from './format';
import { IJob } from './types';

const ACTIVE = new Set(['queued', 'running']);
const RECENT_SECONDS = 60;
const MAX_RECENT = 2;

export class JobsView {
  readonly node: HTMLElement;
  private readonly list: HTMLElement;
  private readonly heading: HTMLElement;
  private cancelling = new Set<string>();

  constructor() {
    this.heading = h('div', { class: 'jp-DataVC-section-title' }, 'Jobs');
    this.list = h('div', { class: 'jp-DataVC-jobs-list', role: 'list' });
    this.node = h('div', { class: 'jp-DataVC-jobs' }, this.heading, this.list);
  }

  async refresh(): Promise<void> {
    let jobs: IJob[];
    try {
      jobs = await listJobs();
    } catch (error) {
      // no repository yet: nothing can run, say nothing
      const quiet = error instanceof APIError && error.reason === 'RepoNotFound';
      replace(
        this.list,
        quiet
          ? null
          : h(
              'div',
              { class: 'jp-DataVC-jobs-none' },
              `Jobs unavailable: ${String((error as Error).message ?? error)}`
            )
      );
      return;
    }
    const now = Date.now() / 1000;
    const active = jobs.filter(j => ACTIVE.has(j.state));
    const recent = jobs.filter(
      j => !ACTIVE.has(j.state) && j.finished !== null && now - j.finished < RECENT_SECONDS
    );
    const shown = [...active, ...recent.slice(0, MAX_RECENT)];
    replace(this.heading, active.length ? `Jobs · ${active.length} running` : 'Jobs');
    if (!shown.length) {
      replace(this.list, h('div', { class: 'jp-DataVC-jobs-none' }, 'No running jobs'));
      return;
    }
    replace(this.list, ...shown.map(j => this.item(j)));
  }

  private item(j: IJob): HTMLElement {
    const pct =
      j.bytes_total > 0
        ? percent(j.bytes_done, j.bytes_total)
        : percent(j.files_done, j.files_total);
    const active = ACTIVE.has(j.state);
    const bits = [
      j.bytes_total ? `${humanSize(j.bytes_done)} / ${humanSize(j.bytes_total)}` : '',
      active && j.rate > 0 ? `${humanSize(Math.round(j.rate))}/s` : '',
      active && j.eta !== null ? `${Math.ceil(j.eta)} s left` : ''
    ].filter(Boolean);
    const cancel = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-DataVC-job-cancel',
        title: `Cancel job ${j.id}`,
        attrs: { 'aria-label': `Cancel job ${j.id}` },
        onclick: () => void this.cancel(j.id, cancel)
      },
      stopIcon.element({ className: 'jp-DataVC-button-icon' })
    );
    cancel.disabled = this.cancelling.has(j.id);
    const bar = h(
      'div',
      {
        class: 'jp-DataVC-progress',
        role: 'progressbar',
        attrs: { 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(pct) }
      },
      h('div', {
        class: 'jp-DataVC-progress-fill',
        attrs: { style: `width:${active ? pct : 100}%` }
      })
    );
    return h(
      'div',
      { class: `jp-DataVC-job jp-mod-${j.state}`, role: 'listitem', dataset: { job: j.id } },
      h(
        'div',
        { class: 'jp-DataVC-job-line' },
        h('span', { class: 'jp-DataVC-job-desc', title: j.description }, j.description),
        h(
          'span',
          { class: 'jp-DataVC-job-state' },
          this.cancelling.has(j.id) && active ? 'cancelling…' : active ? j.phase : j.state
        ),
        active ? cancel : null
      ),
      bar,
      h('div', { class: 'jp-DataVC-job-facts' }, j.error ?? bits.join(' · '))
    );
  }

  private async cancel(id: string, button: HTMLButtonElement): Promise<void> {
    this.cancelling.add(id);
    button.disabled = true;
    try {
      await cancelJob(id);
    } catch {
      this.cancelling.delete(id);
      button.disabled = false;
    }
    await this.refresh();
  }
}
