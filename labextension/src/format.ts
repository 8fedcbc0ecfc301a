/** How sizes, counts, changes and times read in the sidebar. */

export function humanSize(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let size = Math.abs(n);
  let unit = 0;
  while (size >= 1024 && unit < units.length - 1) {
    size /= 1024;
    unit++;
  }
  const text = unit === 0 ? `${size} B` : `${size.toFixed(1)} ${units[unit]}`;
  return n < 0 ? `-${text}` : text;
}

export function humanCount(n: number | null | undefined): string {
  return n === null || n === undefined ? '' : n.toLocaleString('en-US');
}

/** `+1.2 KiB` / `-3 rows`; empty when there is nothing to say. */
export function signed(n: number | null | undefined, unit: 'bytes' | 'rows'): string {
  if (n === null || n === undefined || n === 0) {
    return '';
  }
  const sign = n > 0 ? '+' : '-';
  const body = unit === 'bytes' ? humanSize(Math.abs(n)) : `${humanCount(Math.abs(n))} rows`;
  return `${sign}${body}`;
}

export function parseTime(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function relativeTime(iso: string, now: number = Date.now()): string {
  const d = parseTime(iso);
  if (!d) {
    return iso;
  }
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 45) {
    return 'just now';
  }
  const steps: [number, string][] = [
    [60, 'min'],
    [3600, 'h'],
    [86400, 'd']
  ];
  if (s < 3600) {
    return `${Math.round(s / steps[0][0])} min ago`;
  }
  if (s < 86400) {
    return `${Math.round(s / steps[1][0])} h ago`;
  }
  if (s < 86400 * 30) {
    return `${Math.round(s / steps[2][0])} d ago`;
  }
  return d.toISOString().slice(0, 10);
}

export function fullTime(iso: string): string {
  const d = parseTime(iso);
  return d ? d.toLocaleString() : iso;
}

export function percent(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.round((100 * done) / total)) : 0;
}

/** A data value (from the diff JSON) as one line of text. */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) {
    return 'null';
  }
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? v.toLocaleString('en-US') : String(Number(v.toPrecision(8)));
  }
  return JSON.stringify(v);
}
