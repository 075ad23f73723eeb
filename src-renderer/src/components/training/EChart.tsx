import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, type HTMLAttributes } from 'react';
import { useEditor } from '../../editor/store';
import { DARK, LIGHT, type ChartTheme } from '../../training/charts';

// Only the modules the charts use, so the bundle carries no more of echarts than that.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent, CanvasRenderer]);

/** The chart colours of the current theme (the charts draw on canvas, so CSS variables do not reach them). */
export function useChartTheme(): ChartTheme {
  return useEditor((s) => (s.theme === 'dark' ? DARK : LIGHT));
}

/** Charts redraw at most this often (ms): a redraw costs the renderer several ms, progress comes at 5 Hz. */
export const CHART_MIN_INTERVAL_MS = 500;

/**
 * One echarts instance in a div, created once and resized with its box; a new `option` replaces
 * the previous one, at most once per `CHART_MIN_INTERVAL_MS` (the newest option wins; the last
 * one is always drawn), so live charts cost the UI — and a training engine sharing the CPU —
 * little.
 */
export function EChart({ option, ...attrs }: { option: Record<string, unknown> } & HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string | number | undefined>) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pending = useRef(option);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      clearTimeout(timer.current);
      timer.current = undefined;
      ro.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    pending.current = option;
    if (timer.current !== undefined) return;
    const draw = () => {
      timer.current = undefined;
      last.current = performance.now();
      chart.current?.setOption(pending.current, { notMerge: true, lazyUpdate: true });
    };
    const wait = last.current + CHART_MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) draw();
    else timer.current = setTimeout(draw, wait);
  }, [option]);
  return <div ref={box} {...attrs} />;
}
