/** The designed empty, loading and error states every view shows instead of a blank. */
import { LabIcon } from '@jupyterlab/ui-components';

import { APIError } from './api';
import { Child, h } from './dom';

export function loadingState(what: string): HTMLElement {
  return h(
    'div',
    { class: 'jp-DataVC-state jp-DataVC-loading', role: 'status' },
    h('div', { class: 'jp-DataVC-spinner' }),
    h('div', { class: 'jp-DataVC-state-title' }, `Loading ${what}…`)
  );
}

export function emptyState(icon: LabIcon | null, title: string, ...hint: Child[]): HTMLElement {
  return h(
    'div',
    { class: 'jp-DataVC-state jp-DataVC-empty' },
    icon ? icon.element({ className: 'jp-DataVC-state-icon', tag: 'div' }) : null,
    h('div', { class: 'jp-DataVC-state-title' }, title),
    hint.length ? h('div', { class: 'jp-DataVC-state-hint' }, ...hint) : null
  );
}

export function errorState(what: string, error: unknown, retry?: () => void): HTMLElement {
  const message = error instanceof APIError ? error.message : String(error);
  return h(
    'div',
    { class: 'jp-DataVC-state jp-DataVC-error', role: 'alert' },
    h('div', { class: 'jp-DataVC-state-title' }, `Could not load ${what}`),
    h('div', { class: 'jp-DataVC-state-hint' }, message),
    retry
      ? h(
          'button',
          { class: 'jp-Button jp-mod-styled jp-mod-accept', onclick: () => retry() },
          'Retry'
        )
      : null
  );
}

export function code(text: string): HTMLElement {
  return h('code', {}, text);
}
