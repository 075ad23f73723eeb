/**
 * The renderer's Content Security Policy, shared by both hosts: scripts only from the app itself,
 * no eval, no remote content; the engine WebSocket only to this machine. React Flow and echarts
 * set inline styles, hence `style-src 'unsafe-inline'`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
