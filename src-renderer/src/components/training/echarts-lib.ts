import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, LegendScrollComponent, MarkAreaComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

// Only the modules the charts use, so the chunk carries no more of echarts than that.
echarts.use([LineChart, BarChart, GridComponent, LegendComponent, LegendScrollComponent, MarkAreaComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

/**
 * echarts with the modules the charts use. Its own chunk: `EChart` imports it dynamically, so the
 * first screen (the designer) does not download or parse the chart library until a chart shows.
 */
export { echarts };
