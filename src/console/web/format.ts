/** How numbers, times and durations read on the page. */
const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : integer.format(value);
}

/** A rate: one decimal below 10, whole numbers above. */
export function rate(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value < 10 ? decimal.format(value) : integer.format(value);
}

export function millis(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value >= 10_000) return `${decimal.format(value / 1000)} s`;
  return `${value < 10 ? decimal.format(value) : integer.format(value)} ms`;
}

export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (value >= 3600) return `${Math.floor(value / 3600)} h ${Math.round((value % 3600) / 60)} min`;
  if (value >= 60) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${Math.round(value)} s`;
}

export function clock(time: number): string {
  return new Date(time).toLocaleTimeString('en-GB', { hour12: false });
}

export function dateTime(time: number): string {
  const date = new Date(time);
  return `${date.toISOString().slice(0, 10)} ${clock(time)}`;
}

/** A value on one line, shortened: for tables. */
export function preview(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? 'null');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
