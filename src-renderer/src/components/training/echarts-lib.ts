import { BarChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import { DataZoomInsideComponent, DataZoomSliderComponent, GridComponent, LegendComponent, LegendScrollComponent, MarkAreaComponent, ParallelComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// Only the modules the charts use, so the chunk carries no more of echarts than that.
echarts.use([LineChart, BarChart, ParallelChart, ScatterChart, GridComponent, LegendComponent, LegendScrollComponent, MarkAreaComponent, ParallelComponent, DataZoomInsideComponent, DataZoomSliderComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

/**
 * echarts with the modules the charts use. Its own chunk: `EChart` imports it dynamically, so the
 * first screen (the designer) does not download or parse the chart library until a chart shows.
 */
export { echarts };
