/**
 * The shapes of the REST API's answers (see jupyter_datavc/server/openapi.yaml) and of the diff
 * document (jupyter_datavc/schemas/diff.schema.json).
 */

export interface IServerVersion {
  version: string;
  api: number;
}

export interface IDatasetSummary {
  name: string;
  versions: number;
  latest: number;
  ref: string;
  short: string;
  size: number;
  rows: number | null;
  files: number;
  time: string;
  author: string;
  message: string;
  tags: string[];
  source: string;
  path: string | null;
}

export interface IDatasetList {
  root: string;
  datasets: IDatasetSummary[];
}

export interface IVersionInfo {
  dataset: string;
  number: number;
  ref: string;
  short: string;
  manifest: string;
  parent: number | null;
  message: string;
  author: string;
  time: string;
  path: string | null;
  source: string;
  size: number;
  files: number;
  rows: number | null;
  tags: string[];
  size_change: number | null;
  rows_change: number | null;
}

export interface IVersionPage {
  dataset: string;
  total: number;
  offset: number;
  limit: number;
  versions: IVersionInfo[];
}

export interface IColumn {
  name: string;
  type: string;
  nullable: boolean;
}

export interface IManifestFile {
  path: string;
  size: number;
  hash: string;
  chunks: number;
  format: string | null;
  rows: number | null;
  columns: number | null;
  error: string | null;
}

export interface IVersionSummary {
  version: IVersionInfo;
  kind: 'file' | 'dir';
  files_total: number;
  files: IManifestFile[];
  size: number;
  rows: number | null;
  schema: IColumn[] | null;
  schemas_differ: boolean;
  chunks: number;
}

export interface IJob {
  id: string;
  kind: string;
  dataset: string;
  description: string;
  state: string;
  pid: number;
  created: number;
  finished: number | null;
  phase: string;
  bytes_done: number;
  bytes_total: number;
  files_done: number;
  files_total: number;
  rate: number;
  eta: number | null;
  error: string | null;
  result: string | null;
}

export interface IChanges {
  token: string;
  refs: string;
  jobs: string;
}

// -- the diff document (schema_version 1) ------------------------------------------------------

/** A data value as JSON: numbers, text, booleans, null, or lists/objects of them. */
export type Value = unknown;

export interface IBeforeAfter {
  before: number | null;
  after: number | null;
  change: number | null;
}

export interface IDiffSide {
  label: string;
  dataset: string;
  ref: string | null;
  version: number | null;
  manifest: string | null;
  workspace: boolean;
  path: string | null;
  kind: 'file' | 'dir';
  files: number;
  size: number;
  rows: number | null;
}

export interface IDiffSummary {
  identical: boolean;
  files: { added: number; removed: number; modified: number; renamed: number; unchanged: number };
  size: IBeforeAfter;
  rows: IBeforeAfter;
  columns: {
    added: number;
    removed: number;
    type_changed: number;
    nullability_changed: number;
    order_changed: boolean;
  } | null;
  row_changes: { added: number; removed: number; changed: number } | null;
  errors: number;
  warnings: number;
}

export interface IFileChange {
  path: string;
  old_path: string | null;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  size: IBeforeAfter;
  hash: { before: string | null; after: string | null };
  format: string | null;
  lines: { added: number; removed: number } | null;
  table: ITableDiff | null;
}

export interface ISchemaDiff {
  changed: boolean;
  before: IColumn[];
  after: IColumn[];
  added: IColumn[];
  removed: IColumn[];
  type_changed: { name: string; before: string; after: string }[];
  nullability_changed: { name: string; before: boolean; after: boolean }[];
  order_changed: boolean;
}

export interface ISideValue {
  value: Value;
  source: 'manifest' | 'footer' | 'computed' | 'estimated';
  exact: boolean;
}

export interface IFigure {
  before: ISideValue | null;
  after: ISideValue | null;
  change: number | null;
  changed: boolean;
}

export interface IColumnStats {
  name: string;
  status: 'common' | 'added' | 'removed';
  type: { before: string | null; after: string | null };
  kind: string;
  changed: boolean;
  figures: { [figure: string]: IFigure };
}

export interface IRowSample {
  columns: string[];
  rows: Value[][];
  truncated: boolean;
}

export interface IRowsDiff {
  mode: 'key' | 'multiset';
  key: string[] | null;
  columns: string[];
  ignored_columns: { name: string; reason: string }[];
  atol: number;
  rtol: number;
  counts: {
    before: number;
    after: number;
    added: number;
    removed: number;
    changed: number | null;
    unchanged: number;
  };
  changed_cells: { [column: string]: number };
  added: IRowSample;
  removed: IRowSample;
  changed: {
    rows: {
      key: { [column: string]: Value };
      cells: { [column: string]: { before: Value; after: Value } };
    }[];
    truncated: boolean;
  };
}

export interface ITableDiff {
  format: { before: string | null; after: string | null };
  identical: boolean;
  schema: ISchemaDiff;
  stats: { computed: boolean; rows: IFigure; columns: IColumnStats[] };
  rows: IRowsDiff | null;
}

export interface IDiffMessage {
  level: 'error' | 'warning' | 'info';
  code: string;
  file: string | null;
  message: string;
}

export interface IDiff {
  schema_version: number;
  a: IDiffSide;
  b: IDiffSide;
  same_dataset: boolean;
  options: { rows: boolean; key: string[] | null; atol: number; rtol: number; limit: number };
  summary: IDiffSummary;
  files: IFileChange[];
  table: ITableDiff | null;
  messages: IDiffMessage[];
}

export interface IDiffOptions {
  rows?: boolean;
  key?: string[];
  limit?: number;
}

// -- lineage (#4): read leniently, the core module is still being written ------------------------

export interface ILineageNodeIn {
  id?: string;
  key?: string;
  kind?: string;
  type?: string;
  label?: string;
  name?: string;
  ref?: string | null;
  dataset?: string;
  version?: number;
  [other: string]: unknown;
}

export interface ILineageEdgeIn {
  source?: string;
  target?: string;
  from?: string;
  to?: string;
  [other: string]: unknown;
}

export interface ILineageDoc {
  root?: string;
  nodes?: ILineageNodeIn[];
  edges?: ILineageEdgeIn[];
  links?: ILineageEdgeIn[];
  [other: string]: unknown;
}
