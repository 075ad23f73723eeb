import { RpcServer, type Handlers, type Logger } from './protocol/rpc';
import { PROTOCOL_VERSION, type ComputeBackendInfo, type EngineInfo } from './protocol/messages';
import type { Channel } from './protocol/channel';
import { ENGINE_VERSION } from './version';
import { analyzeGraph } from './ir/validate';

/** What the runtime entry knows about where the engine runs. */
export interface EngineEnvironment {
  runtime: EngineInfo['runtime'];
  pid: number;
  backend: ComputeBackendInfo;
}

/**
 * The engine's request handlers over one client connection. Runtime-neutral: the Electron utility
 * process, the web-mode Node child and tests all serve it over their own Channel.
 */
export class EngineService {
  private readonly server: RpcServer;

  constructor(channel: Channel, env: EngineEnvironment, log?: Logger) {
    const handlers: Handlers = {
      'engine.hello': ({ protocol }) => {
        if (protocol !== PROTOCOL_VERSION) {
          throw Object.assign(new Error(`The app speaks protocol v${protocol}, the engine v${PROTOCOL_VERSION}. Reinstall Netwright so both match.`), {
            code: 'E_PROTOCOL_VERSION',
          });
        }
        return { name: 'netwright-engine', version: ENGINE_VERSION, protocol: PROTOCOL_VERSION, pid: env.pid, runtime: env.runtime, backend: env.backend };
      },
      'engine.ping': () => ({ time: Date.now() }),
      'graph.analyze': ({ graph, batchSize }) => {
        const a = analyzeGraph(graph, batchSize === undefined ? {} : { batchSize });
        return { diagnostics: a.diagnostics, shapes: a.shapes, params: a.params, flopsPerSample: a.flopsPerSample };
      },
    };
    this.server = new RpcServer(channel, handlers, log);
  }

  dispose(): void {
    this.server.dispose();
  }
}
