/**
 * The left-sidebar panel: datasets, a dataset's timeline, and jobs. While it is visible it polls
 * the server's change token and refetches only what changed, so a version committed by a kernel
 * shows up within a couple of seconds.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Poll } from '@lumino/polling';
import { Widget } from '@lumino/widgets';
import { refreshIcon } from '@jupyterlab/ui-components';

import { APIError, getChanges, getServerVersion, listDatasets } from './api';
import { DatasetList } from './datasetlist';
import { h, replace } from './dom';
import { datasetIcon } from './icons';
import { JobsView } from './jobsview';
import { code } from './states';
import { Timeline } from './timeline';
import { IChanges, IDatasetSummary } from './types';
import { FRONTEND_VERSION } from './version';

export const POLL_INTERVAL = 1500;

export class DataVCPanel extends Widget {
  private readonly banner: HTMLElement;
  private readonly body: HTMLElement;
  private readonly datasets: DatasetList;
  private readonly timeline: Timeline;
  private readonly jobs: JobsView;
  private readonly poll: Poll;
  private last: IChanges | null = null;
  private view: 'datasets' | 'timeline' = 'datasets';

  constructor(commands: CommandRegistry) {
    super();
    this.id = 'jupyter-datavc-sidebar';
    this.addClass('jp-DataVC');
    this.title.icon = datasetIcon;
    this.title.caption = 'Datasets (datavc)';

    this.datasets = new DatasetList(
      d => void this.openDataset(d),
      () => void this.refresh()
    );
    this.timeline = new Timeline(commands, () => this.showDatasets());
    this.jobs = new JobsView();
    this.banner = h('div', { class: 'jp-DataVC-banner', role: 'alert' });
    this.banner.hidden = true;
    this.body = h('div', { class: 'jp-DataVC-body' }, this.datasets.node);
    const refresh = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-DataVC-refresh',
        title: 'Refresh',
        attrs: { 'aria-label': 'Refresh' },
        onclick: () => void this.refresh()
      },
      refreshIcon.element({ className: 'jp-DataVC-button-icon' })
    );
    this.node.append(
      h(
        'div',
        { class: 'jp-DataVC-header' },
        h('span', { class: 'jp-DataVC-title' }, 'Datasets'),
        refresh
      ),
      this.banner,
      this.body,
      this.jobs.node
    );

    this.poll = new Poll({
      auto: false,
      factory: () => this.tick(),
      frequency: { interval: POLL_INTERVAL, backoff: true, max: 30 * 1000 },
      name: 'jupyter-datavc:changes',
      standby: () => !this.isVisible || 'when-hidden'
    });
  }

  /** Fetch everything again. */
  async refresh(): Promise<void> {
    this.last = null;
    await this.poll.refresh();
  }

  override dispose(): void {
    this.poll.dispose();
    super.dispose();
  }

  protected override onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.checkServer();
    void this.poll.start();
  }

  protected override onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.poll.refresh();
    this.timeline.layout();
  }

  protected override onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this.timeline.layout();
  }

  private async tick(): Promise<void> {
    let changes: IChanges;
    try {
      changes = await getChanges();
    } catch (error) {
      this.last = null;
      this.datasets.setError(error);
      if (error instanceof APIError && error.missingExtension) {
        this.showBanner(false, null);
      }
      throw error; // the poll backs off
    }
    const first = this.last === null;
    const refs = first || changes.refs !== this.last?.refs;
    const jobs = first || changes.jobs !== this.last?.jobs;
    this.last = changes;
    await Promise.all([refs ? this.loadData() : null, jobs ? this.jobs.refresh() : null]);
  }

  private async loadData(): Promise<void> {
    try {
      const list = await listDatasets();
      this.datasets.setData(list);
      if (this.view === 'timeline' && this.timeline.name !== null) {
        const still = list.datasets.find(d => d.name === this.timeline.name);
        if (still) {
          await this.timeline.reload();
        } else {
          this.showDatasets();
        }
      }
    } catch (error) {
      this.datasets.setError(error);
      if (error instanceof APIError && error.missingExtension) {
        this.showBanner(false, null);
      }
    }
  }

  private async openDataset(d: IDatasetSummary): Promise<void> {
    this.view = 'timeline';
    replace(this.body, this.timeline.node);
    await this.timeline.open(d);
  }

  private showDatasets(): void {
    this.view = 'datasets';
    replace(this.body, this.datasets.node);
  }

  /** Warn when the server extension is missing or of another version than this frontend. */
  private async checkServer(): Promise<void> {
    try {
      const server = await getServerVersion();
      if (server.version !== FRONTEND_VERSION) {
        this.showBanner(true, server.version);
      }
    } catch (error) {
      if (error instanceof APIError && (error.missingExtension || error.status === 404)) {
        this.showBanner(false, null);
      }
    }
  }

  private showBanner(present: boolean, serverVersion: string | null): void {
    this.banner.hidden = false;
    if (present) {
      replace(
        this.banner,
        h('strong', {}, 'Version mismatch. '),
        `This sidebar is jupyter_datavc ${FRONTEND_VERSION} but the server extension is ${serverVersion}. `,
        'Reinstall one version (',
        code('pip install -U jupyter_datavc'),
        ') and restart JupyterLab.'
      );
    } else {
      replace(
        this.banner,
        h('strong', {}, 'Server extension not running. '),
        'The datavc sidebar needs the jupyter_datavc server extension: run ',
        code('jupyter server extension enable jupyter_datavc'),
        ' (or reinstall with ',
        code('pip install jupyter_datavc'),
        ') and restart JupyterLab.'
      );
    }
  }
}
