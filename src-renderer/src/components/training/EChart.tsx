import type { ECharts } from 'echarts/core';
import type * as EchartsModule from './echarts-lib';
import { useEffect, useRef, type HTMLAttributes } from 'react';
import { DARK, LIGHT, type ChartTheme } from '../../training/charts';
import { useSession } from '../../state/window';

type EchartsLib = typeof EchartsModule.echarts;

/** The chart library, loaded on first use (its own chunk: not part of the first screen). */
let library: Promise<EchartsLib> | undefined;
const loadEcharts = (): Promise<EchartsLib> => (library ??= import('./echarts-lib').then((m) => m.echarts));

/** The chart colours of the current theme (the charts draw on canvas, so CSS variables do not reach them). */
export function useChartTheme(): ChartTheme {
  return useSession((s) => (s.theme === 'dark' ? DARK : LIGHT));
}

/** Charts redraw at most this often (ms): a redraw costs the renderer several ms, progress comes at 5 Hz. */
export const CHART_MIN_INTERVAL_MS = 500;

/**
 * One echarts instance in a div, created once and resized when its box really changes size; a new
 * `option` is merged into the chart at most once per `CHART_MIN_INTERVAL_MS` (the newest option
 * wins; the last one is always drawn), and not at all while the chart is off screen (it catches
 * up when it comes into view), so live charts cost the UI — and a training engine sharing the
 * CPU — little. Options of one chart must keep the same series and axes (they are merged by
 * index: a merge updates data and styles in place instead of rebuilding every component).
 */
export function EChart({ option, onChart, ...attrs }: { option: Record<string, unknown>; onChart?: (chart: ECharts | undefined) => void } & HTMLAttributes<HTMLDivElement> & Record<`data-${string}`, string | number | undefined>) {
  // The chart instance for its owner (an export to PNG); told once when made and once when gone.
  const tell = useRef(onChart);
  useEffect(() => {
    tell.current = onChart;
  }, [onChart]);
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | undefined>(undefined);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const pending = useRef(option);
  const drawn = useRef<Record<string, unknown> | undefined>(undefined);
  const visible = useRef(true);
  const draw = useRef(() => {
    timer.current = undefined;
    const c = chart.current;
    if (!c || !visible.current || drawn.current === pending.current) return;
    last.current = performance.now();
    // The first option builds the chart; later ones only change data and styles.
    c.setOption(pending.current, { notMerge: drawn.current === undefined, lazyUpdate: true });
    drawn.current = pending.current;
  });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    let cleanup: (() => void) | undefined;
    let unmounted = false;
    void loadEcharts().then((echarts) => {
      if (unmounted) return;
      const c = echarts.init(el, undefined, { renderer: 'canvas' });
      // NOTE: zrender keeps its requestAnimationFrame loop running for 10 frames after anything it
      // draws before it sleeps (`setSleepAfterStill(10)`), and every one of those frames makes the
      // page produce a frame. A live chart redrawn every 500 ms then keeps the renderer in frames a
      // third of the time: a trace of a 3-epoch run with the Curves tab open showed 179 animation
      // frames and 98 commits where 2 updates a second need about 20. These charts do not animate
      // (`animation: false`), and echarts wakes the loop itself for anything new (an option, a
      // hover, progressive rendering), so it may sleep after one still frame.
      c.getZr().setSleepAfterStill(1);
      chart.current = c;
      tell.current?.(c);
      // ResizeObserver reports once on observe (the size init just used) and on every change: resize only on a real one.
      let size = `${el.clientWidth}x${el.clientHeight}`;
      const ro = new ResizeObserver(() => {
        const now = `${el.clientWidth}x${el.clientHeight}`;
        if (now === size) return;
        size = now;
        c.resize();
      });
      ro.observe(el);
      const io = new IntersectionObserver((entries) => {
        visible.current = entries[entries.length - 1].isIntersecting;
        if (visible.current && timer.current === undefined) draw.current();
      });
      io.observe(el);
      draw.current();
      cleanup = () => {
        clearTimeout(timer.current);
        timer.current = undefined;
        ro.disconnect();
        io.disconnect();
        tell.current?.(undefined);
        c.dispose();
        chart.current = undefined;
        drawn.current = undefined;
      };
    });
    return () => {
      unmounted = true;
      cleanup?.();
    };
  }, []);
  useEffect(() => {
    pending.current = option;
    if (timer.current !== undefined) return;
    const wait = last.current + CHART_MIN_INTERVAL_MS - performance.now();
    if (wait <= 0) draw.current();
    else timer.current = setTimeout(() => draw.current(), wait);
  }, [option]);
  return <div ref={box} {...attrs} />;
}
