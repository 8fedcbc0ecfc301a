/**
 * A list that keeps only the rows in view (and a few either side) in the DOM: a spacer as tall as
 * every row gives the scroll height, and rows of one fixed height are placed in it by index. The
 * rows are drawn again at most once a frame when the list scrolls or is laid out.
 */
import { h, replace } from './dom';

export class VirtualList {
  readonly node: HTMLElement;
  private readonly spacer: HTMLElement;
  private count: number | null = null;
  private frame = 0;

  constructor(
    private readonly rowHeight: number,
    private readonly overscan: number,
    private readonly row: (index: number) => HTMLElement
  ) {
    this.spacer = h('div', { class: 'jp-DataVC-spacer', role: 'list' });
    this.node = h('div', { class: 'jp-DataVC-scroller' }, this.spacer);
    this.node.addEventListener('scroll', () => this.schedule());
  }

  /** Show `state` (loading, error, empty) instead of rows, until `setCount`. */
  showState(state: HTMLElement): void {
    this.count = null;
    replace(this.spacer, state);
    this.spacer.style.height = '';
  }

  /** Hold `count` rows, and draw those in view. */
  setCount(count: number): void {
    this.count = count;
    this.render();
  }

  scrollToTop(): void {
    this.node.scrollTop = 0;
  }

  /** Draw the rows in view on the next frame (after a scroll, a resize or new data). */
  schedule(): void {
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.render();
      });
    }
  }

  /** Draw the rows in view now. */
  render(): void {
    if (this.count === null) {
      return;
    }
    const height = this.rowHeight;
    this.spacer.style.height = `${this.count * height}px`;
    const top = this.node.scrollTop;
    const view = this.node.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / height) - this.overscan);
    const last = Math.min(this.count, Math.ceil((top + view) / height) + this.overscan);
    const rows: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const row = this.row(i);
      row.setAttribute('style', `top:${i * height}px;height:${height}px`);
      rows.push(row);
    }
    replace(this.spacer, ...rows);
  }
}
