/**
 * The renderer's Content Security Policy, shared by both hosts: scripts only from the app itself,
 * no eval, no remote content. React Flow and echarts set inline styles, hence
 * `style-src 'unsafe-inline'`.
 *
 * What the page may connect to is the engine and nothing else (issue #46): in Electron the engine
 * is a MessagePort, so `connect-src 'self'`; in web mode also the engine's WebSocket, on the web
 * host's own port and the names it answers to (`engineSocket`), never any other local port (a
 * page could otherwise reach another program listening on this machine).
 */
export function contentSecurityPolicy(engineSocket?: { port: number; hosts: readonly string[] }): string {
  const sockets = engineSocket ? engineSocket.hosts.map((h) => `ws://${h}:${engineSocket.port}`) : [];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...sockets].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
