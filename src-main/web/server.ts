import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EngineMessage, ErrorCodes, EventMessage, HostCommand, MAX_IMPORT_BYTES, WireMessage, describeIssues, type ErrorInfo, type HostEvent } from '../../src-engine/protocol';
import { FILE_BYTES, FILE_BYTES_HEADERS, MODEL_UPLOAD, PROJECT_LIMITS } from '../../src-contracts/files';
import { checkValueLimits } from '../../src-engine/protocol/limits';
import { encodeWireFrames, WireError, WireReassembler } from '../../src-engine/protocol/wire';
import { EngineSupervisor, ExitCauseReader, type EngineProcess, type SupervisorOptions } from '../host/supervisor';
import { contentSecurityPolicy } from '../host/security';
import { FileService, callFileOp } from '../host/files';
import { FileError } from '../host/file-paths';
import { commandLine } from '../../src-engine/node/cli-script';

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
  /** A folder of the user's data the engine may read besides the workspace (`--data-dir`, docs/data.md); read only. */
  dataDir?: string;
  log?: (message: string) => void;
  /** Crash-loop limits and backoff (tests shorten them). */
  supervisor?: Omit<SupervisorOptions, 'log'>;
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
function spawnEngineChild(entry: string, execArgv: string[], workspaceDir: string, dataDir: string | undefined, onMessage: (m: unknown) => void, log: (m: string) => void): EngineProcess & { child: ChildProcess } {
  // The engine records every run in the workspace's runs/ folder (docs/runs.md), and projects may
  // name data files only inside the workspace and the host's data folder (src-engine/node/data-access.ts).
  const roots = [path.resolve(workspaceDir), ...(dataDir ? [path.resolve(dataDir)] : [])];
  const env = { ...process.env, NETWRIGHT_RUNS_DIR: path.join(workspaceDir, 'runs'), NETWRIGHT_DATA_ROOTS: JSON.stringify(roots) };
  const child = fork(entry, [], { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // The engine's stderr still reaches ours; its tail says why it died (supervisor.ts).
  const exit = new ExitCauseReader();
  child.stderr?.on('data', (chunk: Buffer) => {
    exit.feed(chunk);
    process.stderr.write(chunk);
  });
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
    exitCause: () => exit.cause(),
  };
}

/** Largest WebSocket message the browser may send (a design with its settings is a few hundred KiB). */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024 * 1024;

/** The id of a request-like value, when it has one a response can name. */
function usableId(raw: unknown): number | undefined {
  const id = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { id?: unknown }).id : undefined;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/** Who may reach this host: the per-launch token, and the origins and Host headers of its own address. */
export interface Access {
  host: string;
  token: string;
  origins(): Set<string>;
  hosts(): Set<string>;
  /** The Content-Security-Policy of the page: its connect-src names this server's port only. */
  policy(): string;
}

/** What a request asks for; undefined when its target is malformed (bad percent-encoding, a broken absolute URL). */
function requestTarget(req: http.IncomingMessage, host: string): { url: URL; pathname: string } | undefined {
  try {
    const url = new URL(req.url ?? '/', `http://${host}`);
    return { url, pathname: decodeURIComponent(url.pathname) };
  } catch {
    return undefined;
  }
}

/** A JSON answer of the file API. */
const replyJson = (res: http.ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

/** Whether a file API request comes from the token holder on this origin (else answered 403). */
function fileApiAllowed(req: http.IncomingMessage, res: http.ServerResponse, access: Access): boolean {
  if (sameToken(String(req.headers['x-netwright-token'] ?? ''), access.token) && access.origins().has(String(req.headers.origin ?? ''))) return true;
  replyJson(res, 403, { ok: false, error: { code: 'E_FORBIDDEN', message: 'Forbidden.' } });
  return false;
}

/**
 * POST MODEL_UPLOAD.route, the body a model file's bytes: kept in the workspace for the engine to
 * read by path (FileService.receiveModel); answers its path as a file operation does. A body
 * declared larger than an import may be is refused before it is read.
 */
function serveModelUpload(req: http.IncomingMessage, res: http.ServerResponse, files: FileService, access: Access): void {
  if (!fileApiAllowed(req, res, access)) return;
  const tooLarge = { ok: false, error: { code: 'E_IMPORT_TOO_LARGE', message: `The file is larger than ${MAX_IMPORT_BYTES / 2 ** 20} MiB; Netwright imports model files up to that size.` } };
  if (Number(req.headers['content-length'] ?? 0) > MAX_IMPORT_BYTES) return void replyJson(res.setHeader('Connection', 'close'), 413, tooLarge);
  files.receiveModel(req, MAX_IMPORT_BYTES).then(
    (result) => replyJson(res, 200, { ok: true, result }),
    (e: unknown) => {
      if (e instanceof FileError) return replyJson(res.setHeader('Connection', 'close'), e.code === 'E_IMPORT_TOO_LARGE' ? 413 : 400, { ok: false, error: { code: e.code, message: e.message } });
      replyJson(res, 500, { ok: false, error: { code: 'E_FILE_IO', message: 'The file could not be kept for the import.' } });
    },
  );
  req.on('error', () => req.destroy());
}

/** POST /api/files {op, args}: the HostFiles operations, for the token holder on this origin only. */
export function serveFileApi(req: http.IncomingMessage, res: http.ServerResponse, files: FileService, access: Access): void {
  const reply = (status: number, body: unknown) => replyJson(res, status, body);
  if (!fileApiAllowed(req, res, access)) return;
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
    void callFileOp(files, body?.op, body?.args).then(
      (r) => reply(200, r),
      () => reply(500, { ok: false, error: { code: 'E_FILE_IO', message: 'The file operation failed.' } }),
    );
  });
  req.on('error', () => req.destroy());
}

/**
 * POST FILE_BYTES.route: a file operation whose bytes travel as the body (src-contracts/files.ts
 * FILE_BYTES: a project's weights, part by part), never inside JSON. The call (`{op, args}`) comes
 * in a header and is checked by callFileOp as `/api/files` checks it; a body past one part is
 * refused before it is read whole.
 */
export function serveFileBytes(req: http.IncomingMessage, res: http.ServerResponse, files: FileService, access: Access): void {
  if (!fileApiAllowed(req, res, access)) return;
  const refuse = (message: string): void => void replyJson(res.setHeader('Connection', 'close'), 400, { ok: false, error: { code: 'E_FILE_BAD_REQUEST', message } });
  let call: { op?: unknown; args?: unknown };
  try {
    call = JSON.parse(decodeURIComponent(String(req.headers[FILE_BYTES_HEADERS.call] ?? ''))) as typeof call;
  } catch {
    return refuse('The request names no file operation.');
  }
  const way = typeof call?.op === 'string' && Object.hasOwn(FILE_BYTES.ops, call.op) ? FILE_BYTES.ops[call.op as keyof typeof FILE_BYTES.ops] : undefined;
  if (!way || !Array.isArray(call.args)) return refuse('That file operation does not carry bytes.');
  const args = call.args as unknown[];
  if (Number(req.headers['content-length'] ?? 0) > PROJECT_LIMITS.chunkBytes) return refuse(`A part carries at most ${PROJECT_LIMITS.chunkBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > PROJECT_LIMITS.chunkBytes) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    void callFileOp(files, call.op, way === 'request' ? [...args, new Uint8Array(body.buffer, body.byteOffset, body.length)] : args).then(
      (r) => {
        if (!r.ok || way !== 'response') return void replyJson(res, 200, r);
        const { data, ...rest } = r.result as { data: Uint8Array };
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': data.length, [FILE_BYTES_HEADERS.result]: encodeURIComponent(JSON.stringify(rest)) }).end(data);
      },
      () => replyJson(res, 500, { ok: false, error: { code: 'E_FILE_IO', message: 'The file operation failed.' } }),
    );
  });
  req.on('error', () => req.destroy());
}

/** One HTTP request: the file API, or a file of the built renderer (index.html only with the token). */
function serveRequest(req: http.IncomingMessage, res: http.ServerResponse, rendererDir: string, files: FileService, access: Access): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (!access.hosts().has(req.headers.host ?? '')) {
    res.writeHead(403).end('Forbidden host.');
    return;
  }
  const target = requestTarget(req, access.host);
  if (!target) {
    res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Bad request target.');
    return;
  }
  const { url } = target;
  if (url.pathname === '/api/files' && req.method === 'POST') return serveFileApi(req, res, files, access);
  if (url.pathname === MODEL_UPLOAD.route && req.method === 'POST') return serveModelUpload(req, res, files, access);
  if (url.pathname === FILE_BYTES.route && req.method === 'POST') return serveFileBytes(req, res, files, access);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  let rel = target.pathname;
  if (rel === '/') rel = '/index.html';
  if (rel === '/index.html' && !sameToken(url.searchParams.get('token'), access.token)) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Open the address that \`${commandLine('web')}\` printed (it carries an access token).`);
    return;
  }
  const file = path.resolve(rendererDir, '.' + rel);
  if (rel.includes('\0') || !file.startsWith(rendererDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404).end('Not found.');
    return;
  }
  res.writeHead(200, {
    'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
    'Content-Security-Policy': access.policy(),
    'Cache-Control': 'no-store',
  });
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** The engine a browser's messages go to: its supervisor, and the child now running (none while it restarts). */
interface EngineLink {
  supervisor: EngineSupervisor;
  engine(): (EngineProcess & { child: ChildProcess }) | undefined;
  log(m: string): void;
}

/**
 * One browser connection's messages to the engine: reassembled from chunks, checked against the
 * value limits and the wire schema, a host command (restart) done here, the rest passed to the
 * engine child; a message refused is answered where its request id is known.
 */
function bridgeBrowser(ws: WebSocket, link: EngineLink): void {
  const { supervisor, log } = link;
  const refuse = (raw: unknown, error: ErrorInfo, why: string) => {
    log(why);
    const id = usableId(raw);
    if (id !== undefined && ws.readyState === ws.OPEN) ws.send(JSON.stringify({ kind: 'response', id, ok: false, error }));
  };
  // A large request (an ONNX file to import) comes as chunks of at most 4 MiB (protocol/wire.ts).
  const reassembler = new WireReassembler();
  const receiveFromBrowser = (data: unknown, isBinary: boolean) => {
    let raw: unknown;
    try {
      raw = reassembler.push(isBinary ? (Array.isArray(data) ? Buffer.concat(data as Buffer[]) : (data as Buffer)) : String(data));
    } catch (err) {
      if (!(err instanceof WireError)) return log(`rejected a WebSocket message: ${err instanceof Error ? err.message : String(err)}`);
      // Answered where the request is known, so the page shows why instead of waiting.
      const error = err.tooLarge
        ? { code: ErrorCodes.tooLarge, message: `The message was too large for the host (${err.message})` }
        : { code: ErrorCodes.badMessage, message: `The host could not read the message: ${err.message}` };
      return refuse({ id: err.requestId }, error, `rejected a WebSocket message: ${err.message}`);
    }
    if (raw === undefined) return;
    const tooBig = checkValueLimits(raw);
    if (tooBig) return refuse(raw, tooBig, `rejected a message from the browser: ${tooBig.message}`);
    if (HostCommand.safeParse(raw).success) {
      log('restarting the engine at the user\'s request');
      return supervisor.restart();
    }
    const parsed = WireMessage.safeParse(raw);
    if (!parsed.success || parsed.data.kind === 'host') {
      const why = parsed.success ? 'host events only flow to the browser' : describeIssues(parsed.error);
      return refuse(raw, { code: ErrorCodes.badMessage, message: `Malformed message: ${why}` }, `rejected a malformed message from the browser: ${why}`);
    }
    const msg = parsed.data;
    const engine = link.engine();
    if (!supervisor.available || !engine?.child.connected) {
      if (msg.kind !== 'request') return;
      const why = supervisor.status.state === 'failed' ? `The engine is not running: ${supervisor.status.detail ?? 'it failed.'}` : 'The engine is restarting; try again in a moment.';
      return refuse(raw, { code: ErrorCodes.unavailable, message: why }, `refused ${msg.method}: no engine`);
    }
    try {
      engine.child.send(msg);
    } catch (err) {
      refuse(raw, { code: ErrorCodes.badMessage, message: 'The message could not be passed to the engine.' }, `could not forward a message: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  ws.on('message', (data, isBinary) => {
    try {
      receiveFromBrowser(data, isBinary);
    } catch (err) {
      log(`dropped a message from the browser: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
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
  const access: Access = {
    host,
    token,
    origins: () => new Set([`http://${host}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`]),
    hosts: () => new Set([`${host}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`]),
    // The page connects to this server's engine socket only, under the names it answers to.
    policy: () => contentSecurityPolicy({ port, hosts: [...new Set([host, '127.0.0.1', 'localhost'])] }),
  };

  let client: WebSocket | undefined;
  let stream = 0;
  const sendToClient = (m: unknown) => {
    // Probe frames carry typed arrays: they travel as one binary frame; a message larger than a
    // frame (a large model's export) as chunks the page puts back together (protocol/wire.ts).
    if (client && client.readyState === client.OPEN) for (const frame of encodeWireFrames(m, ++stream)) client.send(frame);
  };
  let engine: (EngineProcess & { child: ChildProcess }) | undefined;
  const supervisor = new EngineSupervisor(
    () => {
      engine = spawnEngineChild(
        options.engineEntry,
        options.engineExecArgv ?? [],
        options.workspaceDir,
        options.dataDir,
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
    { ...options.supervisor, log },
  );

  const files = new FileService({ workspaceDir: options.workspaceDir, stateDir: path.join(options.workspaceDir, '.netwright'), ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  await files.cleanupModelUploads().catch(() => {});
  // Saves interrupted by a crash or power cut leave `*.tmp` files beside their targets.
  await files.cleanupTempFiles().then(
    (removed) => removed.length > 0 && log(`removed ${removed.length} temp file(s) left by interrupted saves`),
    () => {},
  );

  const server = http.createServer((req, res) => {
    try {
      serveRequest(req, res, rendererDir, files, access);
    } catch (err) {
      // A bug in serving one request must not take the host down with every other tab's work.
      log(`a request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500).end('Internal error.');
      else res.destroy();
    }
  });
  // Bytes that are not HTTP: answer 400 if the socket can still take it, never throw.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const wss = new WebSocketServer({
    server,
    path: '/engine',
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    verifyClient: ({ origin, req }: { origin: string; req: http.IncomingMessage }) => {
      const target = requestTarget(req, host);
      const ok = !!target && sameToken(target.url.searchParams.get('token'), token) && access.origins().has(origin) && access.hosts().has(req.headers.host ?? '');
      if (!ok) log(`refused a WebSocket connection from origin ${JSON.stringify(origin)}`);
      return ok;
    },
  });
  wss.on('error', (err) => log(`WebSocket server error: ${err.message}`));
  wss.on('connection', (ws) => {
    // One browser tab drives the engine at a time; a newer tab takes over.
    if (client) client.close(4001, 'Netwright was opened in another tab.');
    client = ws;
    // A protocol error (oversized frame 1009, invalid UTF-8 1007, unmasked frame or reserved
    // opcode 1002): ws has already closed this connection with that code; only it is lost.
    ws.on('error', (err) => log(`closed a WebSocket connection after a protocol error: ${err.message}`));
    ws.send(JSON.stringify(supervisor.status));
    bridgeBrowser(ws, { supervisor, engine: () => engine, log });
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
