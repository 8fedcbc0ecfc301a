/**
 * One version in the timeline: number, hash, tags, message, author, time and changes, with a box
 * to tick it for comparing; and the placeholder shown while its page is fetched.
 */
import { deltaBadge, h } from './dom';
import { fullTime, relativeTime, signed } from './format';
import { IVersionInfo } from './types';

export interface IVersionRowOptions {
  selected: boolean;
  current: boolean;
  onToggle: () => void;
  onOpen: () => void;
}

export function placeholderRow(): HTMLElement {
  return h('div', { class: 'jp-DataVC-version jp-DataVC-version-placeholder' });
}

export function versionRow(v: IVersionInfo, options: IVersionRowOptions): HTMLElement {
  const box = h('input', {
    class: 'jp-DataVC-version-check',
    title: 'Select to compare',
    attrs: { type: 'checkbox', 'aria-label': `Select ${v.ref} to compare` }
  });
  box.checked = options.selected;
  box.addEventListener('click', event => {
    event.stopPropagation();
    options.onToggle();
  });
  const deltas = [signed(v.size_change, 'bytes'), signed(v.rows_change, 'rows')].filter(Boolean);
  return h(
    'div',
    {
      class:
        'jp-DataVC-version' +
        (options.selected ? ' jp-mod-selected' : '') +
        (options.current ? ' jp-mod-current' : ''),
      role: 'listitem',
      dataset: { ref: v.ref, number: String(v.number) },
      attrs: { tabindex: '0' },
      onclick: () => options.onOpen()
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
        ...deltas.map(deltaBadge)
      )
    )
  );
}
