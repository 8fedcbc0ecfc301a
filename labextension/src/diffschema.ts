/** The Schema tab of a diff: each table's columns before and after, the changed ones marked. */
import { h } from './dom';
import { ILabeledTable } from './difftables';

export function schemaSection({ label, table }: ILabeledTable): HTMLElement {
  const s = table.schema;
  const added = new Set(s.added.map(c => c.name));
  const removed = new Set(s.removed.map(c => c.name));
  const typed = new Map(s.type_changed.map(c => [c.name, c]));
  const nulls = new Map(s.nullability_changed.map(c => [c.name, c]));
  const before = new Map(s.before.map(c => [c.name, c]));
  const names = [...s.after.map(c => c.name), ...s.removed.map(c => c.name)];
  const after = new Map(s.after.map(c => [c.name, c]));
  return h(
    'section',
    { class: 'jp-DataVC-section' },
    h(
      'h3',
      {},
      label,
      s.changed ? null : h('span', { class: 'jp-DataVC-badge jp-mod-same' }, 'same schema')
    ),
    s.order_changed ? h('div', { class: 'jp-DataVC-hint' }, 'Column order changed.') : null,
    h(
      'table',
      { class: 'jp-DataVC-table jp-DataVC-schema-table' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'column'),
          h('th', {}, 'before'),
          h('th', {}, 'after'),
          h('th', {}, 'change')
        )
      ),
      h(
        'tbody',
        {},
        ...names.map(n => {
          const status = added.has(n)
            ? 'added'
            : removed.has(n)
              ? 'removed'
              : typed.has(n)
                ? 'type changed'
                : nulls.has(n)
                  ? 'nullability changed'
                  : '';
          const col = (c: { type: string; nullable: boolean } | undefined) =>
            c ? `${c.type}${c.nullable ? '' : ' not null'}` : '—';
          return h(
            'tr',
            { class: status ? 'jp-DataVC-changed-row' : '' },
            h('td', { class: 'jp-DataVC-col-name' }, n),
            h('td', {}, col(before.get(n))),
            h(
              'td',
              { class: status && status !== 'removed' ? 'jp-DataVC-cell-changed' : '' },
              col(after.get(n))
            ),
            h(
              'td',
              {},
              status
                ? h('span', { class: `jp-DataVC-status jp-mod-${status.split(' ')[0]}` }, status)
                : ''
            )
          );
        })
      )
    )
  );
}
