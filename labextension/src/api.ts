/**
 * Typed wrappers over the REST API. Every call goes through `requestAPI`; widgets call these
 * wrappers, never `requestAPI` itself.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IChanges,
  IDatasetList,
  IDiff,
  IDiffOptions,
  IJob,
  ILineageDoc,
  IServerVersion,
  IVersionPage,
  IVersionSummary
} from './types';

export const NAMESPACE = 'jupyter-datavc';

/** An answer other than 2xx: the server's one-line message, its status and error class. */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason: string | null
  ) {
    super(message);
    this.name = 'APIError';
  }

  /** The server extension is not there at all (not installed, or not enabled). */
  get missingExtension(): boolean {
    return this.status === 404 && this.reason === null;
  }
}

type Query = { [name: string]: string | number | boolean | undefined | null };

function queryString(query: Query): string {
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The one place that talks HTTP: `GET|POST <base_url>/jupyter-datavc/<path>?<query>`. */
export async function requestAPI<T>(
  path: string[],
  query: Query = {},
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url =
    URLExt.join(settings.baseUrl, NAMESPACE, ...path.map(encodeURIComponent)) + queryString(query);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new APIError(`cannot reach the server: ${String(error)}`, 0, 'NetworkError');
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const doc = (body ?? {}) as { message?: unknown; reason?: unknown };
    const reason = typeof doc.reason === 'string' && doc.reason ? doc.reason : null;
    const message =
      typeof doc.message === 'string' && doc.message
        ? doc.message
        : `${response.status} ${response.statusText}`;
    // jupyter_server's own 404 page (no such route) carries no "reason" of ours
    throw new APIError(message, response.status, body && reason ? reason : null);
  }
  return body as T;
}

export function getServerVersion(): Promise<IServerVersion> {
  return requestAPI<IServerVersion>(['version']);
}

export function listDatasets(): Promise<IDatasetList> {
  return requestAPI<IDatasetList>(['datasets']);
}

export function listVersions(
  dataset: string,
  offset: number,
  limit: number
): Promise<IVersionPage> {
  return requestAPI<IVersionPage>(['datasets', dataset, 'versions'], { offset, limit });
}

export function getVersionSummary(dataset: string, rev: string): Promise<IVersionSummary> {
  return requestAPI<IVersionSummary>(['datasets', dataset, 'versions', rev], { files_limit: 200 });
}

/** Diff of revision `a` with revision `b`, or with the workspace when `b` is null. */
export function getDiff(a: string, b: string | null, options: IDiffOptions = {}): Promise<IDiff> {
  return requestAPI<IDiff>(['diff'], {
    a,
    b,
    rows: options.rows ? 1 : undefined,
    key: options.key?.join(','),
    limit: options.limit
  });
}

export function getLineage(
  rev: string,
  direction: 'up' | 'down',
  depth: number
): Promise<ILineageDoc> {
  return requestAPI<ILineageDoc>(['lineage'], { rev, direction, depth });
}

export async function listJobs(): Promise<IJob[]> {
  return (await requestAPI<{ jobs: IJob[] }>(['jobs'])).jobs;
}

export async function cancelJob(id: string): Promise<IJob> {
  return (await requestAPI<{ job: IJob }>(['jobs', id, 'cancel'], {}, { method: 'POST' })).job;
}

export function getChanges(): Promise<IChanges> {
  return requestAPI<IChanges>(['changes']);
}
