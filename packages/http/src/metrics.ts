/**
 * Prometheus metrics in the text exposition format 0.0.4, with no dependency: counters and histograms kept in
 * the process, gauges read when scraped. Small on purpose: what a Tessera service needs and `promtool check
 * metrics` accepts (counters end in _total, base units, HELP and TYPE for every family).
 */
export type Labels = Record<string, string>;

type Sample = [Labels, number];

/** A family whose samples are read when scraped (a database count, a pool's size). */
export type Collector = () => Promise<{ name: string; type: 'gauge' | 'counter'; help: string; samples: Sample[] }[]>;

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

export class Counter {
  private readonly values = new Map<string, Sample>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {
    if (!name.endsWith('_total')) throw new Error(`A counter's name ends in _total: ${name}`);
  }

  inc(labels: Labels = {}, by = 1): void {
    const id = key(labels);
    const sample = this.values.get(id);
    if (sample) sample[1] += by;
    else this.values.set(id, [labels, by]);
  }

  samples(): Sample[] {
    return [...this.values.values()];
  }
}

/** Latency buckets, in seconds: a request of the License Center takes milliseconds, a slow one seconds. */
export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = DEFAULT_BUCKETS,
  ) {}

  observe(labels: Labels, value: number): void {
    const id = key(labels);
    let series = this.series.get(id);
    if (!series) {
      series = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(id, series);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) series.counts[i]!++;
    series.sum += value;
    series.count++;
  }

  lines(): string[] {
    const lines: string[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      this.buckets.forEach((le, i) => lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: String(le) })} ${counts[i]}`));
      lines.push(`${this.name}_bucket${formatLabels({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${formatLabels(labels)} ${formatValue(sum)}`);
      lines.push(`${this.name}_count${formatLabels(labels)} ${count}`);
    }
    return lines;
  }
}

export class MetricsRegistry {
  private readonly counters: Counter[] = [];
  private readonly histograms: Histogram[] = [];
  private readonly collectors: Collector[] = [];

  counter(name: string, help: string): Counter {
    const counter = new Counter(name, help);
    this.counters.push(counter);
    return counter;
  }

  histogram(name: string, help: string, buckets?: readonly number[]): Histogram {
    const histogram = new Histogram(name, help, buckets);
    this.histograms.push(histogram);
    return histogram;
  }

  collect(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** Every family, as the text a scrape answers. */
  async render(): Promise<string> {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string, samples: string[]) =>
      lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`, ...samples);
    for (const counter of this.counters) {
      // The family is named without _total in HELP and TYPE (OpenMetrics style, which promtool also accepts).
      family(
        counter.name,
        'counter',
        counter.help,
        counter.samples().map(([labels, value]) => `${counter.name}${formatLabels(labels)} ${formatValue(value)}`),
      );
    }
    for (const histogram of this.histograms) family(histogram.name, 'histogram', histogram.help, histogram.lines());
    for (const collector of this.collectors) {
      for (const { name, type, help, samples } of await collector()) {
        family(
          name,
          type,
          help,
          samples.map(([labels, value]) => `${name}${formatLabels(labels)} ${formatValue(value)}`),
        );
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

/** The content type of the text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}
