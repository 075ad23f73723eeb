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

/**
 * One echarts instance in a div, created once and resized with its box; a new `option` replaces
 * the previous one (lazily, at most once per animation frame).
 */
export function EChart({ option, ...attrs }: { option: Record<string, unknown> } & HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string | number | undefined>) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const c = echarts.init(el, undefined, { renderer: 'canvas' });
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = undefined;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true, lazyUpdate: true });
  }, [option]);
  return <div ref={box} {...attrs} />;
}
