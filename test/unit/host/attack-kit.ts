/**
 * Tools for attacking the web host the way a hostile page or a buggy client would: raw HTTP
 * request lines that no browser API would send, and raw WebSocket frames that break RFC 6455.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { startWebServer, type WebServer, type WebServerOptions } from '../../../src-main/web/server';
import { engineBundle } from './engine-bundle';

/** Send raw bytes on a fresh TCP connection; resolve the HTTP status of the answer (0: closed without one). */
export function rawHttp(port: number, request: string | Buffer, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(String(request).slice(0, 60))}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve(m ? Number(m[1]) : 0);
    };
    socket.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) done();
    });
    socket.on('error', done);
    socket.on('end', done);
    socket.write(request);
  });
}

/** A GET with the given request target, a valid Host, and no token. */
export const getRequest = (port: number, target: string) => `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;

/** Request targets that break `decodeURIComponent` or `new URL` (lone %, truncated UTF-8, broken absolute-form). */
export const MALFORMED_TARGETS = [
  '/%',
  '/%%',
  '/%zz',
  '/%E0%A4',
  '/%C3',
  '/%F0%9F%98',
  '/%ED%A0%80', // a UTF-16 surrogate encoded as UTF-8
  '/index.html%',
  '/assets/%C0%AF',
  'http://[::1/',
  'http://[/',
  'http://a:b:c@/',
  'http://%zz/',
  'http://127.0.0.1:99999/',
  'http:///',
  '//%',
];

/** Frame bytes a client sends: FIN set, masked unless told otherwise. */
export function frame(opcode: number, payload: Buffer, opts: { masked?: boolean; fin?: boolean; rsv?: number; declaredLength?: number } = {}): Buffer {
  const { masked = true, fin = true, rsv = 0, declaredLength = payload.length } = opts;
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (declaredLength < 126) head.push(maskBit | declaredLength);
  else if (declaredLength < 65536) head.push(maskBit | 126, declaredLength >> 8, declaredLength & 0xff);
  else {
    head.push(maskBit | 127);
    const big = Buffer.alloc(8);
    big.writeBigUInt64BE(BigInt(declaredLength));
    head.push(...big);
  }
  if (!masked) return Buffer.concat([Buffer.from(head), payload]);
  const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([Buffer.from(head), key, body]);
}

/** WebSocket protocol violations and the close code RFC 6455 says they get. */
export const BAD_FRAMES: { name: string; bytes: () => Buffer; code: number }[] = [
  { name: 'oversized frame (declares 1 GiB)', bytes: () => frame(0x1, Buffer.alloc(0), { declaredLength: 2 ** 30 }), code: 1009 },
  { name: 'oversized frame (declares 17 MiB)', bytes: () => frame(0x2, Buffer.alloc(0), { declaredLength: 17 * 2 ** 20 }), code: 1009 },
  { name: 'invalid UTF-8 in a text frame', bytes: () => frame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), code: 1007 },
  { name: 'truncated UTF-8 in a text frame', bytes: () => frame(0x1, Buffer.from([0x22, 0xe2, 0x82])), code: 1007 },
  { name: 'unmasked client frame', bytes: () => frame(0x1, Buffer.from('{}'), { masked: false }), code: 1002 },
  { name: 'reserved opcode 0x3', bytes: () => frame(0x3, Buffer.from('x')), code: 1002 },
  { name: 'reserved control opcode 0xB', bytes: () => frame(0xb, Buffer.alloc(0)), code: 1002 },
  { name: 'RSV bits without an extension', bytes: () => frame(0x1, Buffer.from('{}'), { rsv: 0x2 }), code: 1002 },
  { name: 'fragmented control frame', bytes: () => frame(0x9, Buffer.from('p'), { fin: false }), code: 1002 },
  { name: 'continuation without a start', bytes: () => frame(0x0, Buffer.from('x')), code: 1002 },
  { name: 'control frame over 125 bytes', bytes: () => frame(0x9, Buffer.alloc(126)), code: 1002 },
];

/**
 * Open a WebSocket by hand (valid token, Origin and Host), send `bytes`, and resolve the close
 * code of the close frame the server answers with (-1: the socket closed without one).
 */
export function rawWebSocketAttack(port: number, token: string, bytes: Buffer, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server neither closed nor answered'));
    }, timeoutMs);
    const finish = (code: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    socket.on('error', () => finish(-1));
    socket.on('close', () => finish(-1));
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return finish(-2);
        upgraded = true;
        buf = buf.subarray(end + 4);
        socket.write(bytes);
      }
      // Server frames are unmasked; skip data frames until a close frame.
      while (buf.length >= 2) {
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        if (opcode === 0x8) return finish(len >= 2 ? buf.readUInt16BE(off) : 1005);
        buf = buf.subarray(off + len);
      }
    });
    socket.write(
      `GET /engine?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/** A well-behaved WebSocket client that collects what the host sends. */
export async function connectClient(port: number, token: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/engine?token=${token}`, { origin: `http://127.0.0.1:${port}` });
  const received: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  let closeCode: number | undefined;
  const closedPromise = new Promise<number>((resolve) => ws.on('close', (code) => resolve((closeCode = code))));
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as Record<string, unknown>;
    // A message goes to the first waiter that wants it, else into `received` for a later `next`.
    const w = waiters.find((x) => x.pred(m));
    if (!w) return void received.push(m);
    waiters.splice(waiters.indexOf(w), 1);
    w.resolve(m);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (pred: (m: Record<string, unknown>) => boolean, ms = 10_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const i = received.findIndex(pred);
      if (i >= 0) return resolve(received.splice(i, 1)[0]);
      const t = setTimeout(() => reject(new Error(`timed out; received ${JSON.stringify(received).slice(0, 3000)}`)), ms);
      waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  return { ws, received, next, closed: () => closeCode, whenClosed: () => closedPromise };
}

/** `[[[…]]]` nested `depth` levels, as text (JSON.parse reads it; stringify and clone would overflow). */
export const deepArrayText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
export const deepObjectText = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Resident memory of a process in bytes (Linux), or undefined. */
export async function rssOf(pid: number): Promise<number | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The real web host for a test: a stub renderer, a fresh workspace (or `workspaceDir`), the engine
 * child bundled from its source once per version of it (engine-bundle.ts), and what else `options` sets.
 */
export async function startTestServer(options: Partial<WebServerOptions> & { token: string }): Promise<WebServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'netwright-renderer-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>stub</title>');
  return startWebServer({
    rendererDir: dir,
    workspaceDir: mkdtempSync(path.join(tmpdir(), 'netwright-workspace-')),
    engineEntry: engineBundle(),
    engineExecArgv: [],
    log: () => {},
    ...options,
  });
}
