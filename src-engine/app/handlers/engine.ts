import type { ServiceHandlers } from '../../protocol/rpc';
import { PROTOCOL_VERSION, type engineService } from '../../protocol';
import { ENGINE_VERSION } from '../../base/version';
import { analyzeGraph } from '../../core/analysis/validate';
import { checkedOrThrow } from '../../core/analysis/checked';
import { measureNodeLatency } from '../../core/profile/node-latency';
import { coded, hostMemoryLimits, type ServiceContext } from './context';

/** The engine service: the handshake, ping, graph analysis, each node's cost at batch 1. */
export function engineHandlers(ctx: ServiceContext): ServiceHandlers<typeof engineService> {
  const { env } = ctx;
  return {
    'engine.hello': ({ protocol }) => {
      if (protocol !== PROTOCOL_VERSION) throw coded('E_PROTOCOL_VERSION', `The app speaks protocol v${protocol}, the engine v${PROTOCOL_VERSION}. Reinstall Netwright so both match.`);
      return { name: 'netwright-engine', version: ENGINE_VERSION, protocol: PROTOCOL_VERSION, pid: env.pid, runtime: env.runtime, backend: env.backend, ...(env.training ? { memory: hostMemoryLimits(env.training) } : {}) };
    },
    'engine.ping': () => ({ time: Date.now() }),
    'graph.analyze': ({ graph, batchSize }) => {
      const a = analyzeGraph(graph, batchSize === undefined ? {} : { batchSize });
      return { diagnostics: a.diagnostics, shapes: a.shapes, params: a.params, flopsPerSample: a.flopsPerSample };
    },
    'graph.latency': async ({ graph }) => {
      const checked = checkedOrThrow(graph);
      const yieldBetween = ctx.host().yieldToHost ?? (() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
      const r = await ctx.withBackend((backend) => measureNodeLatency(checked, backend, { yieldBetween }));
      return { batchSize: 1 as const, ...r };
    },
  };
}
