/**
 * Web mode's file channel as the page reaches it, without the engine child: the host's own HTTP
 * handlers (src-main/web/server.ts `serveFileApi` for `POST /api/files`, `serveFileBytes` for the
 * FILE_BYTES route that carries a project's weights as bodies) on a real 127.0.0.1 server over a
 * FileService, and the page's `webHostFiles` calling it with its token and origin. Every call and
 * answer crosses HTTP as web mode sends it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FILE_BYTES } from '../../../src-contracts/files';
import type { HostFiles } from '../../../src-contracts/host';
import type { FileService } from '../../../src-main/host/files';
import { serveFileApi, serveFileBytes, type Access } from '../../../src-main/web/server';
import { webHostFiles } from '../../../src-renderer/src/host';

const TOKEN = 'test-token';

/** `files` over real HTTP to `service`; `requests` counts each route's calls and their body bytes. */
export async function webFileBridge(service: FileService): Promise<{ files: HostFiles; requests: { route: string; bytes: number }[]; origin: string; token: string; close(): Promise<void> }> {
  let origin = '';
  const access: Access = { host: '127.0.0.1', token: TOKEN, origins: () => new Set([origin]), hosts: () => new Set([origin.replace('http://', '')]), policy: () => '' };
  const requests: { route: string; bytes: number }[] = [];
  const server = http.createServer((req, res) => {
    const route = req.url ?? '';
    const entry = { route, bytes: 0 };
    requests.push(entry);
    req.on('data', (c: Buffer) => (entry.bytes += c.length));
    if (route === '/api/files') return serveFileApi(req, res, service, access);
    if (route === FILE_BYTES.route) return serveFileBytes(req, res, service, access);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const send = ((url: string, init: RequestInit) => fetch(origin + url, { ...init, headers: { ...(init.headers as Record<string, string>), Origin: origin } })) as typeof fetch;
  return { files: webHostFiles('/api/files', TOKEN, send), requests, origin, token: TOKEN, close: () => new Promise<void>((r) => server.close(() => r())) };
}
