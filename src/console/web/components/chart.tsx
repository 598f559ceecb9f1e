/** A small time-series chart (uPlot): one line over the last minutes, with its latest value. */
import uPlot from 'uplot';
import { useEffect, useRef } from 'preact/hooks';
import { ConsoleError } from '../console-error.ts';

export interface ChartProps {
  readonly title: string;
  /** Epoch milliseconds. */
  readonly times: readonly number[];
  readonly values: readonly (number | null)[];
  readonly format: (value: number | null) => string;
  readonly color: string;
}

const HEIGHT = 110;

export function Chart({ title, times, values, format, color }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [times.map((t) => t / 1000), [...values]];

  useEffect(() => {
    const element = holder.current;
    if (!element) throw new ConsoleError(`the chart "${title}" has no element to draw in`);
    const width = () => Math.max(200, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { size: 6 } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
        axes: [
          { stroke: '#5b6472', grid: { stroke: '#eef0f3' }, ticks: { show: false }, font: '11px system-ui' },
          {
            stroke: '#5b6472',
            grid: { stroke: '#eef0f3' },
            ticks: { show: false },
            size: 52,
            font: '11px system-ui',
            values: (_u, splits) => splits.map((v) => format(v)),
          },
        ],
        series: [{}, { stroke: color, width: 2, fill: `${color}22`, points: { show: false } }],
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const latest = values.at(-1) ?? null;
  return (
    <figure class="chart">
      <figcaption>
        <span>{title}</span>
        <strong>{format(latest)}</strong>
      </figcaption>
      <div
        ref={holder}
        class="chart-plot"
        role="img"
        aria-label={`${title} over the last minutes; now ${format(latest)}`}
      />
    </figure>
  );
}
