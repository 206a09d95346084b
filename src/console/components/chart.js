import { html, useEffect, useRef } from '../lib.js';
import uPlot from '../vendor/uplot.js';

/**
 * A time-series chart (uPlot, as pg-boss's dashboard chose): `data` is [times in seconds,
 * ...one array per series], drawn over the last `spanSeconds`. It follows its container's width. `summary` is what a screen
 * reader hears instead of the drawing.
 */
export function Chart({ title, series, data, summary, height = 170, bars = false, spanSeconds = 86_400 }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const paths = bars ? uPlot.paths.bars({ size: [0.7, 12] }) : undefined;
    plot.current = new uPlot({
      width: Math.max(240, box.current.clientWidth),
      height,
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
      // The whole span is shown whatever the data covers (a new install has minutes of history).
      scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - spanSeconds, now]; } } },
      axes: [{ stroke: '#5b6573', grid: { stroke: '#eef0f3' } }, { stroke: '#5b6573', grid: { stroke: '#eef0f3' }, size: 50 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, fill: bars ? s.color : `${s.color}22`, width: 2, paths, points: { show: false } }))],
    }, data, box.current);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(240, box.current.clientWidth), height }));
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      plot.current.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${box} role="img" aria-label=${summary}></div></figure>`;
}
