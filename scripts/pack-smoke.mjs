// The package as a user gets it (issue #46): `npm pack` here, `npm install -g` of the tarball into
// a fresh prefix with a clean environment, then, from a folder outside the repository,
// `netwright --version`, `netwright train examples/iris-mlp.json --epochs 3 --runs R --export M.json`
// and `netwright web`, fetched at the address it prints. Prints each command and its output (the log
// the issue asks for); exits 1 on the first failure. About a minute: a script, not a unit test.
//
//   node scripts/pack-smoke.mjs [--keep]      (--keep leaves the temporary folder for a look)
//
// The install reads the npm cache (~/.npm) first and the registry only for what it lacks.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'netwright-pack-'));
const prefix = path.join(tmp, 'prefix');
const work = path.join(tmp, 'elsewhere');
mkdirSync(path.join(tmp, 'home'));
mkdirSync(work);
// The machine's certificate authorities, which a clean environment keeps (a TLS-inspecting proxy's
// CA is often configured in npm's global npmrc, which a --prefix install does not read).
const cafile = execFileSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' }).trim();
const trust = {
  ...(cafile && cafile !== 'null' && cafile !== 'undefined' ? { npm_config_cafile: cafile } : {}),
  ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
};
// Nothing else of this shell's environment but where node is: no npm_* from an `npm run`, no NODE_OPTIONS, no tsx.
const clean = {
  ...trust,
  PATH: [path.join(prefix, 'bin'), path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter),
  HOME: path.join(tmp, 'home'),
  npm_config_cache: path.join(os.homedir(), '.npm'),
  npm_config_prefer_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/** The installed package's folder. */
const pkg = () => path.join(prefix, 'lib', 'node_modules', 'netwright');

function run(cmd, args, cwd, env = clean) {
  console.log(`\n$ ${[cmd, ...args].join(' ')}    (in ${cwd})`);
  const started = Date.now();
  const out = execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  console.log(out.trimEnd());
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return out;
}

async function web(bin) {
  console.log(`\n$ netwright web --port 0 --workspace ${path.join(tmp, 'workspace')}    (in ${work})`);
  const child = spawn(bin, ['web', '--port', '0', '--workspace', path.join(tmp, 'workspace')], { cwd: work, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (d) => (printed += d));
  child.stderr.on('data', (d) => (printed += d));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no address within 20 s:\n${printed}`)), 20_000);
      const look = setInterval(() => {
        const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(printed);
        if (m) resolve(m[0]);
        if (m || child.exitCode !== null) {
          clearInterval(look);
          clearTimeout(timer);
          if (!m) reject(new Error(`netwright web exited ${child.exitCode}:\n${printed}`));
        }
      }, 100);
    });
    console.log(printed.trimEnd());
    const res = await fetch(url);
    const html = await res.text();
    console.log(`GET ${url.replace(/token=[\w-]+/, 'token=…')} → ${res.status} ${res.headers.get('content-type')}, ${html.length} bytes, <title>${/<title>(.*?)<\/title>/.exec(html)?.[1]}</title>`);
    console.log(`Content-Security-Policy: ${res.headers.get('content-security-policy')}`);
    if (res.status !== 200 || !html.includes('<div id="root">')) throw new Error('the page is not the app');
    // The engine behind it: its WebSocket (with the installed package's own \`ws\`) reports the engine child ready.
    const { WebSocket } = createRequire(path.join(pkg(), 'package.json'))('ws');
    const u = new URL(url);
    const state = await new Promise((resolve, reject) => {
      const socket = new WebSocket(`ws://${u.host}/engine?token=${u.searchParams.get('token')}`, { origin: u.origin });
      const timer = setTimeout(() => reject(new Error('the engine did not report ready within 30 s')), 30_000);
      socket.on('message', (data) => {
        const m = JSON.parse(String(data));
        if (m.kind === 'host' && m.type === 'engine-status' && m.state === 'ready') {
          clearTimeout(timer);
          socket.close();
          resolve(m.state);
        }
      });
      socket.on('error', reject);
    });
    console.log(`WebSocket ws://${u.host}/engine → engine-status ${state}`);
  } finally {
    child.kill('SIGTERM');
  }
}

try {
  console.log(`node ${process.version}, npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()}, ${os.platform()} ${os.arch()}`);
  // prepack builds out/ (electron-vite build) before packing.
  run('npm', ['pack', '--pack-destination', tmp], root, { ...process.env, npm_config_update_notifier: 'false' });
  const tarball = path.join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz')));
  run('npm', ['install', '-g', '--prefix', prefix, tarball], tmp);
  const bin = path.join(prefix, 'bin', 'netwright');
  if (!existsSync(bin)) throw new Error(`npm install -g made no ${bin}`);
  run('netwright', ['--version'], work);
  run('netwright', ['--help'], work);
  // The example as a user copies it from the installed package.
  cpSync(path.join(pkg(), 'examples'), path.join(work, 'examples'), { recursive: true });
  run('netwright', ['train', 'examples/iris-mlp.json', '--epochs', '3', '--runs', 'R', '--export', 'M.json'], work);
  const model = JSON.parse(readFileSync(path.join(work, 'M.json'), 'utf8'));
  console.log(`M.json: format ${model.format}, ${Object.keys(model.params ?? model.weights ?? {}).length || 'its'} tensors; R holds ${readdirSync(path.join(work, 'R')).filter((f) => !f.startsWith('.')).join(', ')}`);
  await web(bin);
  console.log('\npack smoke test: all passed');
} catch (e) {
  console.error(`\npack smoke test FAILED: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`);
  process.exitCode = 1;
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
