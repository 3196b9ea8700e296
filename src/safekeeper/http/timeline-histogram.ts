// A Prometheus histogram with one series per timeline, kept in plain arrays. Observing is a
// bucket search and three additions on the timeline's own series: prom-client's observe() turns
// its label object into a string key on every call, and the WAL write and flush histograms are
// observed on every commit. The series are rendered the way prom-client renders a histogram
// (cumulative `_bucket` lines with `le`, then `_sum` and `_count`) when the registry is scraped.
import type { Registry } from 'prom-client';

/** One line of the exposition, as prom-client's registry renders it. */
interface ExposedValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

export interface HistogramSeries {
  observe(value: number): void;
}

interface Series<Labels> extends HistogramSeries {
  readonly labels: Labels;
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is over every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class TimelineHistogram<Labels extends Readonly<Record<string, string>>> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series<Labels>>();

  constructor(
    readonly name: string,
    readonly help: string,
    /** Upper bounds, ascending. */
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    // prom-client's registry takes any object with its metric interface (name, help, type, get).
    registry.registerMetric(this as never);
  }

  /** The series for `labels` (created at 0 the first time); hold it and observe into it. */
  seriesFor(labels: Labels): HistogramSeries {
    const key = keyOf(labels);
    let series = this.series.get(key);
    if (series === undefined) {
      const counts = new Float64Array(this.bounds.length + 1);
      const bounds = this.bounds;
      const created: Series<Labels> = {
        labels,
        counts,
        sum: 0,
        count: 0,
        observe(value: number): void {
          let index = 0;
          while (index < bounds.length && value > (bounds[index] as number)) index++;
          counts[index] = (counts[index] as number) + 1;
          created.sum += value;
          created.count++;
        },
      };
      series = created;
      this.series.set(key, series);
    }
    return series;
  }

  remove(labels: Labels): void {
    this.series.delete(keyOf(labels));
  }

  /** What prom-client's registry renders at a scrape. */
  get(): Promise<{ name: string; help: string; type: string; values: ExposedValue[] }> {
    const values: ExposedValue[] = [];
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      for (let index = 0; index <= this.bounds.length; index++) {
        cumulative += counts[index] as number;
        const le = index < this.bounds.length ? (this.bounds[index] as number) : '+Inf';
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...labels, le },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values });
  }
}

function keyOf(labels: Readonly<Record<string, string>>): string {
  return Object.values(labels).join('/');
}
