/** The Prometheus text exposition format (version 0.0.4), written by hand: a few families, no dependency. */
import type { Histogram } from '../runtime/histogram.ts';

export type Labels = Readonly<Record<string, string | number>>;

export class PrometheusText {
  private readonly lines: string[] = [];
  private readonly declared = new Set<string>();

  /** Declares a family once (HELP and TYPE lines); samples follow with `sample` or `histogram`. */
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    if (this.declared.has(name)) return this;
    this.declared.add(name);
    this.lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
    return this;
  }

  sample(name: string, labels: Labels, value: number): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  histogram(name: string, labels: Labels, histogram: Histogram): this {
    for (const bucket of histogram.cumulative())
      this.sample(
        `${name}_bucket`,
        { ...labels, le: bucket.le === Infinity ? '+Inf' : String(bucket.le) },
        bucket.count,
      );
    this.sample(`${name}_sum`, labels, histogram.sum);
    this.sample(`${name}_count`, labels, histogram.count);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries
    .map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
