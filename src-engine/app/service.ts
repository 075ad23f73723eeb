import { RpcServer, type Handlers, type Logger, type ServiceHandlers } from '../protocol/rpc';
import type { Channel } from '../protocol/channel';
import type { SERVICES, ServiceName } from '../protocol';
import { dataHandlers } from './handlers/data';
import { ServiceContext, type EngineEnvironment } from './handlers/context';
import { engineHandlers } from './handlers/engine';
import { lessonHandlers } from './handlers/lessons';
import { modelHandlers } from './handlers/models';
import { runHandlers } from './handlers/runs';
import { storedRunHandlers } from './handlers/stored-runs';

export type { EngineEnvironment, TrainingHost } from './handlers/context';

/**
 * The handler group of each protocol service. Both the keys and each group's methods are required:
 * a service, or a method of one, that the engine does not answer fails to compile.
 */
const GROUPS: { readonly [N in ServiceName]: (ctx: ServiceContext) => ServiceHandlers<(typeof SERVICES)[N]> } = {
  engine: engineHandlers,
  data: dataHandlers,
  train: runHandlers,
  model: modelHandlers,
  runs: storedRunHandlers,
  lessons: lessonHandlers,
};

/**
 * The engine's request handlers over one client connection. Runtime-neutral: the Electron utility
 * process, the web-mode Node child and tests all serve it over their own Channel.
 *
 * The handler table is assembled from one group per protocol service (`handlers/`, `GROUPS`): the
 * engine itself, data, training (runs, sweeps, control), models, the run store and lessons. They share one
 * `ServiceContext`, which holds no state of its own that they set: the services that own the
 * connection's state — its current run (`RunSlot`: one at a time, `train.start` stops the previous
 * one; the last stays available to `model.predict` after it finishes), its loaded, last and staged
 * models (`ModelSlot`), its sweep in progress (`SweepSlot`) — and the helpers for what several
 * handlers do (load and prepare a dataset, use a backend).
 */
export class EngineService {
  private readonly server: RpcServer;
  private readonly ctx: ServiceContext;

  constructor(channel: Channel, env: EngineEnvironment, log?: Logger) {
    this.ctx = new ServiceContext(env, (event, data) => this.server.emit(event, data), log);
    const groups = Object.values(GROUPS).map((group) => group(this.ctx));
    this.server = new RpcServer(channel, handlerTable(groups), log);
  }

  /** Stop any run, release its backend, and stop serving. */
  dispose(): void {
    this.ctx.cancelSweep();
    this.ctx.replaceRun();
    this.server.dispose();
  }
}

/** One table of the groups' handlers; a method answered by two groups is a programming error. */
export function handlerTable(groups: readonly Handlers[]): Handlers {
  const table: Record<string, unknown> = {};
  for (const group of groups) {
    for (const [method, handler] of Object.entries(group)) {
      if (method in table) throw new Error(`Two handler groups answer ${method}.`);
      table[method] = handler;
    }
  }
  return table as Handlers;
}
