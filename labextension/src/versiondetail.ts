/**
 * The details of one version under the timeline: its facts, schema and files, and the actions on
 * it (copy its ref, insert a checkout or load into the notebook, diff, lineage).
 */
import { CommandRegistry } from '@lumino/commands';
import { copyIcon, tagIcon } from '@jupyterlab/ui-components';

import { CommandIDs } from './commands';
import { h } from './dom';
import { fullTime, humanCount, humanSize, signed } from './format';
import { IVersionSummary } from './types';

export function versionDetail(s: IVersionSummary, commands: CommandRegistry): HTMLElement[] {
  const v = s.version;
  const run = (id: string, args: { [k: string]: string }) => () => void commands.execute(id, args);
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
    ['size', `${humanSize(s.size)}${v.size_change ? ` (${signed(v.size_change, 'bytes')})` : ''}`],
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
