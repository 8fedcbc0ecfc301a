/**
 * Building DOM from data. Children that are strings become text nodes, so a dataset name or a
 * message such as `<img src=x onerror=alert(1)>` is shown as text and never parsed as HTML.
 */

export type Child = Node | string | number | null | undefined | false;

export interface IAttrs {
  class?: string;
  title?: string;
  role?: string;
  dataset?: { [key: string]: string };
  attrs?: { [name: string]: string };
  onclick?: (event: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: IAttrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) {
    el.className = props.class;
  }
  if (props.title) {
    el.title = props.title;
  }
  if (props.role) {
    el.setAttribute('role', props.role);
  }
  for (const [k, v] of Object.entries(props.dataset ?? {})) {
    el.dataset[k] = v;
  }
  for (const [k, v] of Object.entries(props.attrs ?? {})) {
    el.setAttribute(k, v);
  }
  if (props.onclick) {
    const onclick = props.onclick;
    el.addEventListener('click', event => onclick(event as MouseEvent));
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replace every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) {
    parent.removeChild(parent.firstChild);
  }
  append(parent, ...children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: { [name: string]: string | number } = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  append(el, ...children);
  return el;
}

/** A signed change (`+1.2 MiB`, `-30 rows`), coloured by its sign. */
export function deltaBadge(text: string): HTMLElement {
  return h(
    'span',
    { class: `jp-DataVC-delta ${text.startsWith('-') ? 'jp-mod-minus' : 'jp-mod-plus'}` },
    text
  );
}
