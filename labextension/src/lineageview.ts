/**
 * The lineage of a version: what it was made from and what was made from it, as a graph whose
 * version nodes can be clicked to move through it. Until the server has lineage (answer 501) it
 * says so instead.
 */
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { caretLeftIcon } from '@jupyterlab/ui-components';

import { APIError, getLineage } from './api';
import { IDag, layout, NODE_H, NODE_W, readLineage } from './dag';
import { h, replace, svg } from './dom';
import { code, emptyState, errorState, loadingState } from './states';

const DEPTH = 3;

export class LineageView extends Widget {
  private readonly header: HTMLElement;
  private readonly canvas: HTMLElement;
  private readonly history: string[] = [];
  private readonly _revChanged = new Signal<this, string>(this);

  constructor(private rev: string) {
    super();
    this.addClass('jp-DataVC-lineage');
    this.header = h('div', { class: 'jp-DataVC-diff-header' });
    this.canvas = h('div', { class: 'jp-DataVC-lineage-canvas' });
    this.node.append(this.header, this.canvas);
    void this.load();
  }

  get revChanged(): ISignal<this, string> {
    return this._revChanged;
  }

  get current(): string {
    return this.rev;
  }

  /** Move to another version of the graph. */
  go(rev: string): void {
    if (rev === this.rev) {
      return;
    }
    this.history.push(this.rev);
    this.rev = rev;
    this._revChanged.emit(rev);
    void this.load();
  }

  private back(): void {
    const rev = this.history.pop();
    if (rev) {
      this.rev = rev;
      this._revChanged.emit(rev);
      void this.load();
    }
  }

  private renderHeader(): void {
    const back = h(
      'button',
      {
        class: 'jp-Button jp-mod-minimal jp-DataVC-back',
        title: 'Back',
        attrs: { 'aria-label': 'Back' },
        onclick: () => this.back()
      },
      caretLeftIcon.element({ className: 'jp-DataVC-button-icon' })
    );
    back.disabled = !this.history.length;
    replace(
      this.header,
      back,
      h('span', { class: 'jp-DataVC-diff-title' }, `Lineage of ${this.rev}`)
    );
  }

  private async load(): Promise<void> {
    this.renderHeader();
    replace(this.canvas, loadingState('lineage'));
    let docs;
    try {
      docs = await Promise.all([
        getLineage(this.rev, 'up', DEPTH),
        getLineage(this.rev, 'down', DEPTH)
      ]);
    } catch (error) {
      if (error instanceof APIError && error.status === 501) {
        replace(
          this.canvas,
          emptyState(
            null,
            'Lineage is not available yet',
            'This jupyter_datavc server has no lineage module. Once it has, the versions that ',
            code('%%dv transform'),
            ' cells read and wrote appear here as a graph.'
          )
        );
        this.canvas.firstElementChild?.classList.add('jp-DataVC-lineage-unavailable');
      } else {
        replace(
          this.canvas,
          errorState('lineage', error, () => void this.load())
        );
      }
      return;
    }
    const { nodes, edges } = readLineage(docs);
    if (!nodes.size) {
      replace(
        this.canvas,
        emptyState(
          null,
          `No lineage recorded for ${this.rev}`,
          'It was not read or written by a transform.'
        )
      );
      return;
    }
    replace(this.canvas, this.draw(layout(nodes, edges)));
  }

  private draw(dag: IDag): SVGSVGElement {
    const byId = new Map(dag.nodes.map(n => [n.id, n]));
    const root = svg('svg', {
      class: 'jp-DataVC-dag',
      width: dag.width,
      height: dag.height,
      viewBox: `0 0 ${dag.width} ${dag.height}`,
      role: 'img',
      'aria-label': `Lineage of ${this.rev}`
    });
    root.append(
      svg(
        'defs',
        {},
        svg(
          'marker',
          {
            id: 'jp-DataVC-arrow',
            viewBox: '0 0 10 10',
            refX: 10,
            refY: 5,
            markerWidth: 8,
            markerHeight: 8,
            orient: 'auto-start-reverse'
          },
          svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'jp-DataVC-dag-arrow' })
        )
      )
    );
    for (const e of dag.edges) {
      const a = byId.get(e.from);
      const b = byId.get(e.to);
      if (!a || !b) {
        continue;
      }
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x;
      const y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      root.append(
        svg('path', {
          class: 'jp-DataVC-dag-edge',
          d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
          'marker-end': 'url(#jp-DataVC-arrow)',
          'data-from': e.from,
          'data-to': e.to
        })
      );
    }
    for (const n of dag.nodes) {
      const isRoot = n.ref === this.rev || n.id === this.rev;
      const clickable = n.ref !== null && !isRoot;
      const label = n.label.length > 24 ? `${n.label.slice(0, 23)}…` : n.label;
      const group = svg(
        'g',
        {
          class: `jp-DataVC-dag-node jp-mod-${n.kind.replace(/[^a-z]/gi, '')}${isRoot ? ' jp-mod-root' : ''}${clickable ? ' jp-mod-clickable' : ''}`,
          transform: `translate(${n.x} ${n.y})`,
          'data-id': n.id,
          'data-ref': n.ref ?? '',
          tabindex: clickable ? 0 : -1
        },
        svg('title', {}, `${n.kind}: ${n.label}${clickable ? ' (click to follow)' : ''}`),
        svg('rect', { width: NODE_W, height: NODE_H, rx: n.kind === 'transform' ? 4 : 18 }),
        svg('text', { x: NODE_W / 2, y: NODE_H / 2 + 4, 'text-anchor': 'middle' }, label)
      );
      if (clickable && n.ref) {
        const ref = n.ref;
        group.addEventListener('click', () => this.go(ref));
        group.addEventListener('keydown', event => {
          if ((event as KeyboardEvent).key === 'Enter') {
            this.go(ref);
          }
        });
      }
      root.append(group);
    }
    return root;
  }
}
