/**
 * The tables of a diff: the dataset's own table, or one per tabular file, each with a label. The
 * Schema, Stats and Rows tabs show one section per table.
 */
import { emptyState } from './states';
import { IDiff, ITableDiff } from './types';

export interface ILabeledTable {
  label: string;
  table: ITableDiff;
}

export function tables(d: IDiff): ILabeledTable[] {
  if (d.table) {
    return [{ label: d.same_dataset ? d.a.dataset : 'dataset', table: d.table }];
  }
  return d.files.filter(f => f.table).map(f => ({ label: f.path, table: f.table as ITableDiff }));
}

export function perTable(d: IDiff, section: (t: ILabeledTable) => HTMLElement): HTMLElement[] {
  const t = tables(d);
  if (!t.length) {
    return [
      emptyState(
        null,
        'No tables',
        'Schemas and statistics are shown for tabular files (Parquet, CSV, Arrow, JSON Lines).'
      )
    ];
  }
  return t.map(section);
}
