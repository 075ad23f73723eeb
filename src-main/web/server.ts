import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EngineMessage, EventMessage, WireMessage, describeIssues, type HostEvent } from '../../src-engine/protocol/messages';
import { encodeWire } from '../../src-engine/protocol/wire';
import { EngineSupervisor, type EngineProcess } from '../host/supervisor';
import { CONTENT_SECURITY_POLICY } from '../host/security';
import { FileService, callFileOp } from '../host/files';

export interface WebServerOptions {
  /** Folder with the built renderer (index.html). */
  rendererDir: string;
  /** The built engine entry (out/main/engine.js). */
  engineEntry: string;
  /** Node flags for the engine child (tests run the TypeScript entry with `--import tsx`). */
  engineExecArgv?: string[];
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Folder the browser may open and save project files in. */
  workspaceDir: string;
  log?: (message: string) => void;
}

export interface WebServer {
  url: string;
  port: number;
  token: string;
  supervisor: EngineSupervisor;
  workspaceDir: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

function sameToken(given: string | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The engine as a Node child process speaking the protocol over IPC. */
function spawnEngineChild(entry: string, execArgv: string[], runsDir: string, onMessage: (m: unknown) => void, log: (m: string) => void): EngineProcess & { child: ChildProcess } {
  // The engine records every run in the workspace's runs/ folder (docs/runs.md).
  const env = { ...process.env, NETWRIGHT_RUNS_DIR: runsDir };
  const child = fork(entry, [], { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const readyListeners: (() => void)[] = [];
  child.on('message', (raw) => {
    const ready = EventMessage.safeParse(raw);
    if (ready.success && ready.data.event === 'engine.ready') return readyListeners.forEach((l) => l());
    onMessage(raw);
  });
  child.on('error', (err) => log(`engine process error: ${err.message}`));
  return {
    child,
    get pid() {
      return child.pid;
    },
    onExit: (l) => void child.once('exit', (code, signal) => l(code, signal)),
    onReady: (l) => void readyListeners.push(l),
    kill: () => void child.kill(),
  };
}

/**
 * Web mode's host: serves the renderer on 127.0.0.1 behind a per-launch token, and bridges one
 * browser connection to the engine child over a WebSocket, validating messages both ways.
 */
export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const log = options.log ?? ((m: string) => console.log(`[web] ${m}`));
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(`No built renderer in ${rendererDir}. Run \`npm run build\` first.`);
  }
  let port = 0;
  const allowedOrigins = () => new Set([`http://${host}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const allowedHosts = () => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]);

  let client: WebSocket | undefined;
  const sendToClient = (m: unknown) => {
    // Probe frames carry typed arrays: they travel as one binary frame (protocol/wire.ts).
    if (client && client.readyState === client.OPEN) client.send(encodeWire(m));
  };
  let engine: (EngineProcess & { child: ChildProcess }) | undefined;
  const supervisor = new EngineSupervisor(
    () => {
      engine = spawnEngineChild(
        options.engineEntry,
        options.engineExecArgv ?? [],
        path.join(options.workspaceDir, 'runs'),
        (raw) => {
          const parsed = EngineMessage.safeParse(raw);
          if (!parsed.success) return log(`rejected a malformed message from the engine: ${describeIssues(parsed.error)}`);
          sendToClient(parsed.data);
        },
        log,
      );
      return engine;
    },
    (status: HostEvent) => sendToClient(status),
    { log },
  );

  const files = new FileService({ workspaceDir: options.workspaceDir, stateDir: path.join(options.workspaceDir, '.netwright') });

  /** POST /api/files {op, args}: the HostFiles operations, for the token holder on this origin only. */
  const serveFileApi = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (!sameToken(String(req.headers['x-netwright-token'] ?? ''), token) || !allowedOrigins().has(String(req.headers.origin ?? ''))) {
      return reply(403, { ok: false, error: { code: 'E_FORBIDDEN', message: 'Forbidden.' } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 80 * 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: { op?: unknown; args?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return reply(400, { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message: 'The request is not JSON.' } });
      }
      void callFileOp(files, body?.op, body?.args).then((r) => reply(200, r));
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(403).end('Forbidden host.');
      return;
    }
    if (url.pathname === '/api/files' && req.method === 'POST') return serveFileApi(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/') rel = '/index.html';
    if (rel === '/index.html' && !sameToken(url.searchParams.get('token'), token)) {
      res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Open the address that `npm run web` printed (it carries an access token).');
      return;
    }
    const file = path.resolve(rendererDir, '.' + rel);
    if (!file.startsWith(rendererDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('Not found.');
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });

  const wss = new WebSocketServer({
    server,
    path: '/engine',
    maxPayload: 64 * 1024 * 1024,
    verifyClient: ({ origin, req }: { origin: string; req: http.IncomingMessage }) => {
      const url = new URL(req.url ?? '/', `http://${host}`);
      const ok = sameToken(url.searchParams.get('token'), token) && allowedOrigins().has(origin) && allowedHosts().has(req.headers.host ?? '');
      if (!ok) log(`refused a WebSocket connection from origin ${JSON.stringify(origin)}`);
      return ok;
    },
  });
  wss.on('connection', (ws) => {
    // One browser tab drives the engine at a time; a newer tab takes over.
    if (client) client.close(4001, 'Netwright was opened in another tab.');
    client = ws;
    ws.send(JSON.stringify(supervisor.status));
    ws.on('message', (data, isBinary) => {
      if (isBinary) return log('rejected a binary WebSocket message');
      let raw: unknown;
      try {
        raw = JSON.parse(String(data));
      } catch {
        return log('rejected a WebSocket message that is not JSON');
      }
      const parsed = WireMessage.safeParse(raw);
      if (!parsed.success || parsed.data.kind === 'host') {
        return log(`rejected a malformed message from the browser: ${parsed.success ? 'host events only flow to the browser' : describeIssues(parsed.error)}`);
      }
      if (engine?.child.connected) engine.child.send(parsed.data);
    });
    ws.on('close', () => {
      if (client === ws) client = undefined;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as { port: number }).port;
  supervisor.start();
  const url = `http://${host}:${port}/?token=${token}`;
  return {
    url,
    port,
    token,
    supervisor,
    workspaceDir: options.workspaceDir,
    close: async () => {
      supervisor.stop();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
