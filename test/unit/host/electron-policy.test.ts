import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, isAllowedExternal, isPermissionAllowed, isTrustedSender, resolveAppAsset } from '../../../src-main/host/electron-policy';

describe('isTrustedSender', () => {
  it('accepts the app page at the top frame', () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, parent: null })).toBe(true);
    expect(isTrustedSender({ url: 'app://netwright/index.html#/runs', parent: null })).toBe(true);
  });
  it('refuses sub-frames, other origins, look-alikes and a missing frame', () => {
    expect(isTrustedSender({ url: APP_ENTRY_URL, parent: {} })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
    expect(isTrustedSender(undefined)).toBe(false);
    for (const url of [
      'file:///opt/netwright/resources/app.asar/out/renderer/index.html',
      'https://netwright/index.html',
      'app://netwright.evil.com/index.html',
      'app://evil/index.html',
      'app://user@netwright/index.html',
      'app://netwright:8080/index.html',
      'http://localhost:5173/',
      'about:blank',
      'data:text/html,<script>1</script>',
      '',
      'not a url',
    ]) {
      expect(isTrustedSender({ url, parent: null }), url).toBe(false);
    }
  });
  it('accepts the dev server origin only when running under it, and only that origin', () => {
    const dev = 'http://localhost:5173';
    expect(isTrustedSender({ url: 'http://localhost:5173/index.html', parent: null }, dev)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/index.html', parent: null }, dev)).toBe(false);
    expect(isTrustedSender({ url: 'http://evil.localhost:5173/', parent: null }, dev)).toBe(false);
    // A dev URL that is not plain http (a mistaken env var) trusts nothing extra.
    expect(isTrustedSender({ url: 'https://example.com/', parent: null }, 'https://example.com')).toBe(false);
    expect(isTrustedSender({ url: APP_ENTRY_URL, parent: null }, dev)).toBe(true);
  });
});

describe('isAllowedExternal', () => {
  it('opens https links to allow-listed hosts', () => {
    expect(isAllowedExternal('https://github.com/onnx/onnx')).toBe(true);
    expect(isAllowedExternal('https://pytorch.org/docs/stable/nn.html')).toBe(true);
  });
  it('refuses other schemes, hosts, credentials, ports and look-alikes', () => {
    for (const url of [
      'http://github.com/',
      'file:///etc/passwd',
      'smb://attacker/share',
      'ms-msdt:/id PCWDiagnostic',
      'javascript:alert(1)',
      'https://github.com.evil.com/',
      'https://evilgithub.com/',
      'https://github.com@evil.com/',
      'https://user:pw@github.com/',
      'https://github.com:444/',
      'https://example.com/',
      '',
      'github.com',
    ]) {
      expect(isAllowedExternal(url), url).toBe(false);
    }
  });
  it('takes its allow-list as a parameter', () => {
    expect(isAllowedExternal('https://example.com/', ['example.com'])).toBe(true);
    expect(isAllowedExternal('https://github.com/', ['example.com'])).toBe(false);
  });
});

describe('resolveAppAsset', () => {
  const root = path.resolve('/opt/netwright/out/renderer');
  it('maps app URLs to files under the renderer folder', () => {
    expect(resolveAppAsset('app://netwright/index.html', root)).toEqual({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppAsset('app://netwright/', root)).toEqual({ ok: true, file: path.join(root, 'index.html') });
    expect(resolveAppAsset('app://netwright/assets/index-abc.js?v=1#x', root)).toEqual({ ok: true, file: path.join(root, 'assets', 'index-abc.js') });
    expect(resolveAppAsset('app://netwright/assets/my%20font.woff2', root)).toEqual({ ok: true, file: path.join(root, 'assets', 'my font.woff2') });
  });
  it('refuses traversal in every spelling, other hosts and malformed paths', () => {
    const cases: [string, 403 | 404][] = [
      ['app://netwright/assets/%2E%2E%2F%2E%2E%2Fsecret', 403],
      ['app://netwright/..%2f..%2fetc%2fpasswd', 403],
      ['app://netwright/..%5c..%5cwindows', 403],
      ['app://netwright/index.html%00.png', 403],
      ['app://netwright/%E0%A4%A', 404],
      ['app://other/index.html', 404],
      ['file:///etc/passwd', 404],
      ['not a url', 404],
    ];
    for (const [url, status] of cases) {
      const r = resolveAppAsset(url, root);
      expect(r.ok, url).toBe(false);
      if (!r.ok) expect(r.status, url).toBe(status);
    }
    // The URL parser already folds `..` and `%2e%2e` segments: they cannot climb above the root.
    expect(resolveAppAsset('app://netwright/../../etc/passwd', root)).toEqual({ ok: true, file: path.join(root, 'etc', 'passwd') });
    expect(resolveAppAsset('app://netwright/%2e%2e/%2e%2e/main/main.js', root)).toEqual({ ok: true, file: path.join(root, 'main', 'main.js') });
  });
});

describe('isPermissionAllowed', () => {
  it('grants nothing but the camera', () => {
    for (const p of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen', 'unknown']) expect(isPermissionAllowed(p)).toBe(false);
    for (const p of ['notifications', 'geolocation', 'clipboard-read', 'fullscreen']) expect(isPermissionAllowed(p, { fromApp: true, mediaTypes: ['video'] })).toBe(false);
  });
  it('grants video to the app page only, never audio', () => {
    expect(isPermissionAllowed('media', { fromApp: true, mediaTypes: ['video'] })).toBe(true);
    expect(isPermissionAllowed('media', { fromApp: false, mediaTypes: ['video'] })).toBe(false);
    expect(isPermissionAllowed('media', { fromApp: true, mediaTypes: ['video', 'audio'] })).toBe(false);
    expect(isPermissionAllowed('media', { fromApp: true, mediaTypes: ['audio'] })).toBe(false);
    expect(isPermissionAllowed('media', { fromApp: true, mediaTypes: ['unknown'] })).toBe(false);
    expect(isPermissionAllowed('media', { fromApp: true })).toBe(false);
  });
});
