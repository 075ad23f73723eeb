import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import { APP_MENU, MENU_COMMANDS } from '../../../src-contracts/app-menu';
import { accelerator, appMenuTemplate } from '../../../src-main/electron/app-menu';
import { OpenQueue, filesToOpen, openKind } from '../../../src-main/host/open-files';
import { contentSecurityPolicy } from '../../../src-main/host/security';

/** The desktop app's menu, its single-instance hand-off and its CSP (issue #46): pure parts, without Electron. */
const labels = (items: MenuItemConstructorOptions[] | undefined) => (items ?? []).map((i) => i.label ?? i.role ?? i.type);
const heading = (t: MenuItemConstructorOptions[], label: string) => t.find((h) => h.label === label)?.submenu as MenuItemConstructorOptions[];

describe('the app menu', () => {
  const run = vi.fn();
  const linux = appMenuTemplate({ platform: 'linux', packaged: true, run });

  it('File, Edit, View, Train, Window, Help, with the commands the issue lists', () => {
    expect(linux.map((h) => h.label)).toEqual(['File', 'Edit', 'View', 'Train', 'Window', 'Help']);
    expect(labels(heading(linux, 'File'))).toEqual(['New project', 'Open…', 'separator', 'Save', 'Save As…', 'separator', 'Import ONNX…', 'View ONNX…', 'Export…', 'separator', 'quit']);
    expect(labels(heading(linux, 'Edit'))).toEqual(['Undo', 'Redo', 'separator', 'cut', 'copy', 'paste', 'selectAll']);
    expect(labels(heading(linux, 'Train'))).toEqual(['Start', 'Pause', 'Stop', 'separator', 'Sanity check']);
    expect(labels(heading(linux, 'Help'))).toEqual(['Documentation', 'Keyboard shortcuts']);
  });

  it('a packaged build\'s View has no reload and no DevTools (and no separator left dangling); development keeps them', () => {
    expect(labels(heading(linux, 'View'))).toEqual(['Zoom to fit', 'Auto-layout', 'Watch / design', 'separator', 'resetZoom', 'zoomIn', 'zoomOut', 'separator', 'togglefullscreen']);
    const dev = appMenuTemplate({ platform: 'linux', packaged: false, run });
    expect(labels(heading(dev, 'View'))).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('macOS: the app menu first, Quit there and not in File', () => {
    const mac = appMenuTemplate({ platform: 'darwin', packaged: true, run });
    expect(mac[0]).toEqual({ role: 'appMenu' });
    expect(labels(heading(mac, 'File'))).not.toContain('quit');
    expect(labels(heading(mac, 'File')).at(-1)).toBe('Export…');
  });

  it('a click runs the command by id; keys the page binds are shown, not registered (a text field keeps its own Ctrl+Z)', () => {
    const save = heading(linux, 'File').find((i) => i.id === 'save')!;
    (save.click as () => void)();
    expect(run).toHaveBeenCalledWith('save');
    expect(save).toMatchObject({ accelerator: 'CmdOrCtrl+S', registerAccelerator: false });
    expect(heading(linux, 'Train').find((i) => i.id === 'train-start')).not.toHaveProperty('accelerator');
    expect(accelerator('Mod+Shift+Z')).toBe('CmdOrCtrl+Shift+Z');
  });

  it('View ONNX… (#60), beside Import ONNX…, is run by main (its native dialog), as Import is', () => {
    const view = heading(linux, 'File').find((i) => i.id === 'view-onnx')!;
    (view.click as () => void)();
    expect(run).toHaveBeenLastCalledWith('view-onnx');
    expect([MENU_COMMANDS['view-onnx'].by, MENU_COMMANDS['import-onnx'].by]).toEqual(['host', 'host']);
  });

  it('every command is in the menu once, and every menu entry is a declared command or a role', () => {
    const ids = APP_MENU.flatMap((h) => h.entries.filter((e): e is keyof typeof MENU_COMMANDS => typeof e === 'string' && e !== '-'));
    expect([...ids].sort()).toEqual(Object.keys(MENU_COMMANDS).sort());
  });
});

describe('files opened from outside (file associations, a second launch)', () => {
  it('openKind: projects and ONNX models by name, case-insensitive; nothing else', () => {
    expect(openKind('/a/MNIST.Netwright.JSON')).toBe('project');
    expect(openKind('C:\\models\\resnet.onnx')).toBe('onnx');
    expect(openKind('/a/plain.json')).toBeUndefined();
    expect(openKind('.onnx')).toBeUndefined();
  });

  it('filesToOpen: a second instance\'s argv, resolved in its own folder; switches, the app folder and URLs skipped', () => {
    const cwd = path.resolve('/home/ada/projects');
    const argv = ['--allow-file-access-from-files', '.', 'mlp.netwright.json', '/tmp/net.onnx', 'notes.txt', '--open=x.onnx', 'file:///etc/passwd.onnx'];
    expect(filesToOpen(argv, cwd)).toEqual([path.join(cwd, 'mlp.netwright.json'), path.resolve('/tmp/net.onnx')]);
  });

  it('OpenQueue: files asked for before the page is ready wait, in order, once each; later ones go at once; a reload holds them again', () => {
    const delivered: string[] = [];
    const q = new OpenQueue((f) => delivered.push(f));
    q.request('/a.onnx');
    q.request('/b.netwright.json');
    q.request('/a.onnx');
    expect(delivered).toEqual([]);
    q.open();
    expect(delivered).toEqual(['/a.onnx', '/b.netwright.json']);
    q.request('/c.onnx');
    expect(delivered.at(-1)).toBe('/c.onnx');
    q.close();
    q.request('/d.onnx');
    expect(delivered).toHaveLength(3);
    q.open();
    expect(delivered.at(-1)).toBe('/d.onnx');
  });
});

describe('the Content Security Policy\'s connect-src', () => {
  const connect = (csp: string) => csp.split('; ').find((d) => d.startsWith('connect-src'));
  it('Electron (a MessagePort to the engine): the app itself only', () => {
    expect(connect(contentSecurityPolicy())).toBe("connect-src 'self'");
  });
  it('web mode: the engine socket on the host\'s own port only, never any local port', () => {
    const csp = contentSecurityPolicy({ port: 41233, hosts: ['127.0.0.1', 'localhost'] });
    expect(connect(csp)).toBe("connect-src 'self' ws://127.0.0.1:41233 ws://localhost:41233");
    expect(csp).not.toContain(':*');
  });
});
