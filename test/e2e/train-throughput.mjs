// Training throughput in the real UI: the MNIST MLP template (one epoch per run) trained headless
// (probes off, dock collapsed, no canvas overlays) and with everything on (probes, the Layers tab's
// charts, node sparklines and edge colouring), alternating over BENCH_ROUNDS rounds so load bursts
// on a shared machine hit both modes. Reports the median whole-run samples/s of each and the ratio,
// and the position-balanced ratio (geometric mean of the back-to-back pairs' ratios).
// Needs a build: `npx electron-vite build && node test/e2e/train-throughput.mjs`. Knobs: BENCH_ROUNDS,
// BENCH_EPOCHS, BENCH_PROBE_HZ, BENCH_FULL_TAB, BENCH_OVERLAYS, BENCH_FULL_DOCK, BENCH_TRACE, BENCH_PROFILE (below).
import { readdirSync, readFileSync } from 'node:fs';
import { launchApp, replay } from './harness.mjs';

// 12 rounds by default: on a 2-core VM single runs vary by ±10 % (see docs/training-protocol.md#in-the-app), so fewer say little.
const rounds = Number(process.env.BENCH_ROUNDS ?? 12);
const epochs = Number(process.env.BENCH_EPOCHS ?? 1);
// For attributing the UI's cost: which tab the full mode shows, and whether it draws the canvas overlays.
const fullTab = process.env.BENCH_FULL_TAB ?? 'layers';
const fullOverlays = process.env.BENCH_OVERLAYS !== '0';
// BENCH_FULL_DOCK=0: the full mode collapses the dock too (probes and overlays without the charts).
const fullDock = process.env.BENCH_FULL_DOCK !== '0';
// BENCH_PROBE_HZ=1|2|4: the probe rate the full mode runs at (the dock's setting; default: the app's).
const probeHz = process.env.BENCH_PROBE_HZ;
// BENCH_TRACE=1: record a Chromium trace of each run and print where the browser's time went
// (self time by trace event on the renderer's main thread, busy time per thread). Tracing costs
// CPU itself, so the throughput figures of a traced run are not the benchmark's.
const trace = process.env.BENCH_TRACE === '1';
// BENCH_PROFILE=1: sample the renderer's JavaScript (CDP Profiler) during each run and print self
// time per function, full minus headless. Sampling costs CPU too: not the benchmark's figures.
const profile = process.env.BENCH_PROFILE === '1';

/** CPU seconds (user + system) used so far by a process and all its descendants (Linux /proc). */
function treeCpuSeconds(rootPid) {
  if (!rootPid) return NaN;
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name (field 2) may hold spaces: split after its closing parenthesis.
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // The process ended while we looked.
    }
  }
  let ticks = 0;
  const queue = [Number(rootPid)];
  while (queue.length) {
    const pid = queue.pop();
    ticks += stats.get(pid)?.ticks ?? 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** CPU seconds the whole machine has been busy (all cores, /proc/stat), and of those stolen by the hypervisor. */
function machineCpuSeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return { busy: (f[0] + f[1] + f[2] + f[5] + f[6]) / 100, steal: f[7] / 100 };
}

/**
 * Where a trace's time went: self time per event name on each renderer main thread, and busy
 * time (top-level tasks) per thread of every process. Durations in seconds.
 */
function summarizeTrace(allEvents) {
  // Only the training itself (the renderer marks phase changes): what the UI does before the
  // engine starts the loop or after it ends does not slow training down.
  const marks = allEvents.filter((e) => typeof e.name === 'string' && e.name.startsWith('netwright:run-'));
  const from = marks.find((e) => e.name === 'netwright:run-running')?.ts ?? -Infinity;
  const to = marks.find((e) => e.ts > from && (e.name === 'netwright:run-done' || e.name === 'netwright:run-failed'))?.ts ?? Infinity;
  const events = allEvents.filter((e) => e.ph === 'M' || (e.ts >= from && e.ts <= to));
  const threadNames = new Map();
  const processNames = new Map();
  for (const e of events) {
    if (e.ph !== 'M') continue;
    if (e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
    if (e.name === 'process_name') processNames.set(e.pid, e.args.name);
  }
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || typeof e.dur !== 'number') continue;
    const key = `${e.pid}:${e.tid}`;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  const busy = {};
  const self = {};
  // How often the renderer's main thread ran each of these (frames, animation-frame callbacks, paints, script entries).
  const counts = {};
  const counted = new Set(['Commit', 'Paint', 'Layout', 'UpdateLayoutTree', 'FireAnimationFrame', 'TimerFire', 'FunctionCall', 'RasterTask']);
  for (const [key, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const label = `${processNames.get(Number(key.split(':')[0])) ?? '?'}/${threadNames.get(key) ?? key}`;
    const main = (threadNames.get(key) ?? '') === 'CrRendererMain';
    const renderer = processNames.get(Number(key.split(':')[0])) === 'Renderer';
    if (main || renderer) for (const e of list) if (counted.has(e.name)) counts[e.name] = (counts[e.name] ?? 0) + 1;
    const stack = [];
    let top = 0;
    for (const e of list) {
      while (stack.length && stack.at(-1).end <= e.ts) stack.pop();
      const parent = stack.at(-1);
      if (!parent) top += e.dur;
      else parent.child += Math.min(e.dur, parent.end - e.ts);
      const node = { e, end: e.ts + e.dur, child: 0 };
      stack.push(node);
      if (main) node.main = true;
    }
    busy[label] = (busy[label] ?? 0) + top / 1e6;
    if (main) {
      // Second pass for self times (children known now).
      const st = [];
      for (const e of list) {
        while (st.length && st.at(-1).end <= e.ts) {
          const n = st.pop();
          self[n.e.name] = (self[n.e.name] ?? 0) + (n.e.dur - n.child) / 1e6;
        }
        const parent = st.at(-1);
        if (parent) parent.child += Math.min(e.dur, parent.end - e.ts);
        st.push({ e, end: e.ts + e.dur, child: 0 });
      }
      for (const n of st) self[n.e.name] = (self[n.e.name] ?? 0) + (n.e.dur - n.child) / 1e6;
    }
  }
  return { busy, self, counts, seconds: Number.isFinite(to - from) ? (to - from) / 1e6 : NaN };
}

/** Self time (s) per function of a CDP CPU profile, keyed `name file:line`. */
function profileSelf({ nodes, samples, timeDeltas }) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = {};
  for (let i = 0; i < samples.length; i++) {
    const f = byId.get(samples[i]).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self[key] = (self[key] ?? 0) + (timeDeltas[i + 1] ?? 0) / 1e6;
  }
  return self;
}

const setCheck = async (page, id, on) => {
  const box = page.locator(`[data-testid=${id}]`);
  if ((await box.isChecked()) !== on) await box.click();
};

const app = await launchApp();
const { page } = app;
const browser = page.context().browser();
// Playwright does not expose the launched browser's pid: it is our child whose command line is not node's.
const browserPid = readdirSync('/proc')
  .filter((n) => /^\d+$/.test(n))
  .find((n) => {
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid && !readFileSync(`/proc/${n}/cmdline`, 'utf8').startsWith(process.execPath);
    } catch {
      return false;
    }
  });
// Renderer main-thread busy time per run (Chromium's Performance domain), to see what the UI costs.
const cdp = await page.context().newCDPSession(page).catch(() => undefined);
await cdp?.send('Performance.enable');
const busy = async () => {
  if (!cdp) return NaN;
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
};
try {
  await replay(app, [
    { expect: '[data-testid=engine-status]', attr: ['data-state', 'ready'], within: 20_000 },
    { click: '[data-testid=cmd-templates]' },
    { click: '[data-testid=template-mnist-mlp]' },
    { clickIfPresent: '[data-testid=confirm-ok]' },
    { click: '[data-testid=train-tab-curves]' },
    { fill: '[data-testid=train-epochs]', value: String(epochs) },
    { press: 'Enter' },
    ...(probeHz ? [{ select: '[data-testid=probe-rate]', value: probeHz }] : []),
  ]);
  const results = { headless: [], full: [] };
  const frames = { headless: [], full: [] };
  // Engine time spent computing the probe frames (the frames' own costMs), per run.
  const probeMs = { headless: [], full: [] };
  const uiSeconds = { headless: [], full: [] };
  const cpuSeconds = { headless: [], full: [] };
  const hostCpuSeconds = { headless: [], full: [] };
  // CPU that neither the browser nor the web host and engine used (this driver, other load), and steal.
  const otherCpuSeconds = { headless: [], full: [] };
  const stealSeconds = { headless: [], full: [] };
  const traces = { headless: [], full: [] };
  const profiles = { headless: [], full: [] };
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  }
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? ['headless', 'full'] : ['full', 'headless']) {
      const full = mode === 'full';
      if (!(await page.locator('[data-testid=train-panel]').count())) await page.locator('[data-testid=train-dock-toggle]').click();
      await setCheck(page, 'toggle-probes', full);
      await setCheck(page, 'toggle-overlays', full && fullOverlays);
      await setCheck(page, 'toggle-edge-gradients', full && fullOverlays);
      const previous = (await page.locator('[data-testid=status-run]').getAttribute('data-run').catch(() => null)) ?? '';
      // NOTE: the full mode's tab stays selected from one round to the next: switching tabs between
      // runs built and disposed a chart per round (echarts on the Curves tab), garbage that no one
      // watching a run makes, and whose major collections landed in the next run.
      if (full) await page.locator(`[data-testid=train-tab-${fullTab}]`).click();
      if (trace) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8.execute', 'blink', 'blink.user_timing', 'cc', 'viz'] });
      if (profile) await cdp.send('Profiler.start');
      const busy0 = await busy();
      const cpu0 = treeCpuSeconds(browserPid);
      const host0 = treeCpuSeconds(app.hostPid);
      const machine0 = machineCpuSeconds();
      await page.locator('[data-testid=train-start]').click();
      if (!full || !fullDock) await page.locator('[data-testid=train-dock-toggle]').click(); // collapse: nothing but the header renders
      await page.waitForFunction(
        (prev) => {
          const el = globalThis.document.querySelector('[data-testid=status-run]');
          return !!el && el.getAttribute('data-run') !== prev && el.getAttribute('data-run') !== '' && ['done', 'failed'].includes(el.getAttribute('data-state'));
        },
        previous,
        // NOTE: poll on a timer, not Playwright's default requestAnimationFrame polling: that makes
        // the page produce a frame on every vsync (~60 animation frames, commits and raster tasks a
        // second in a trace, in both modes), harness load that competes with the engine and that
        // the app itself never causes. The samples/s are the engine's own figure, so a 100 ms
        // polling delay does not enter them.
        { timeout: 300_000, polling: 100 },
      );
      uiSeconds[mode].push((await busy()) - busy0);
      cpuSeconds[mode].push(treeCpuSeconds(browserPid) - cpu0);
      hostCpuSeconds[mode].push(treeCpuSeconds(app.hostPid) - host0);
      const machine1 = machineCpuSeconds();
      otherCpuSeconds[mode].push(machine1.busy - machine0.busy - cpuSeconds[mode].at(-1) - hostCpuSeconds[mode].at(-1));
      stealSeconds[mode].push(machine1.steal - machine0.steal);
      if (profile) profiles[mode].push(profileSelf((await cdp.send('Profiler.stop')).profile));
      if (trace) traces[mode].push(summarizeTrace(JSON.parse((await browser.stopTracing()).toString()).traceEvents));
      if (!full || !fullDock) await page.locator('[data-testid=train-dock-toggle]').click();
      const state = page.locator('[data-testid=run-state]');
      const rate = Number(await state.getAttribute('data-run-samples-per-sec'));
      results[mode].push(rate);
      frames[mode].push(Number(await state.getAttribute('data-frames')));
      probeMs[mode].push(Number((await state.getAttribute('data-probe-ms')) ?? 0));
      console.log(`round ${r + 1} ${mode.padEnd(8)} ${rate.toFixed(0)} samples/s, ${frames[mode].at(-1)} probe frames (${probeMs[mode].at(-1).toFixed(0)} ms in the engine), renderer busy ${uiSeconds[mode].at(-1).toFixed(2)} s, browser CPU ${cpuSeconds[mode].at(-1).toFixed(2)} s, host + engine CPU ${hostCpuSeconds[mode].at(-1).toFixed(2)} s, other ${otherCpuSeconds[mode].at(-1).toFixed(2)} s, steal ${stealSeconds[mode].at(-1).toFixed(2)} s`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const h = median(results.headless);
  const f = median(results.full);
  console.log(`\nMNIST MLP, ${epochs} epoch(s) per run, ${rounds} rounds, ${app.target} target`);
  console.log(`headless (no probes, dock collapsed)         ${h.toFixed(0)} samples/s`);
  const fullLabel = `all probes${probeHz ? ` at ${probeHz}/s` : ''}${fullDock ? ` + ${fullTab[0].toUpperCase()}${fullTab.slice(1)} charts` : ' (dock collapsed)'}${fullOverlays ? ' + canvas overlays' : ''}`;
  console.log(`${fullLabel.padEnd(44)} ${f.toFixed(0)} samples/s   ratio ${(f / h).toFixed(3)} (target ≥ 0.95)`);
  // Each round's two runs ran back to back: their ratio cancels slower load swings on a shared machine.
  const paired = results.full.map((x, i) => x / results.headless[i]);
  console.log(`per-round ratios ${paired.map((r) => r.toFixed(3)).join(' ')}; median ${median(paired).toFixed(3)}`);
  // Rounds alternate which mode runs first (even rounds: headless first). If the second run of a
  // pair is faster whatever its mode (warm-up after the mode switch), each round's ratio carries that
  // factor one way or the other; the geometric mean over equally many rounds of each order cancels
  // it, where a ratio of medians over a few rounds does not.
  const even = Math.floor(paired.length / 2) * 2;
  if (even >= 2) {
    const gmean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
    const headlessFirst = paired.slice(0, even).filter((_, i) => i % 2 === 0);
    const fullFirst = paired.slice(0, even).filter((_, i) => i % 2 === 1);
    const secondFaster = Math.sqrt(gmean(headlessFirst) / gmean(fullFirst));
    console.log(`order effect: the second run of a pair ran ${((secondFaster - 1) * 100).toFixed(1)} % faster on average`);
    console.log(`position-balanced ratio (geometric mean of the ${even} per-round ratios) ${gmean(paired.slice(0, even)).toFixed(3)} (target ≥ 0.95)`);
    // How far that figure could move on this machine: a bootstrap over the rounds (resampled with
    // replacement, pairs of opposite order kept together so each resample stays balanced).
    const pairs = [];
    for (let i = 0; i + 1 < even; i += 2) pairs.push([paired[i], paired[i + 1]]);
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
    const boots = [];
    for (let b = 0; b < 2000; b++) boots.push(gmean(Array.from({ length: pairs.length }, () => pairs[Math.floor(rand() * pairs.length)]).flat()));
    boots.sort((a, b) => a - b);
    if (pairs.length >= 2) console.log(`  95 % bootstrap interval over the rounds: ${boots[50].toFixed(3)}–${boots[1949].toFixed(3)}`);
  }
  console.log(`renderer main thread busy per run: headless ${median(uiSeconds.headless).toFixed(2)} s, full ${median(uiSeconds.full).toFixed(2)} s`);
  console.log(`browser CPU (all Chromium processes) per run: headless ${median(cpuSeconds.headless).toFixed(2)} s, full ${median(cpuSeconds.full).toFixed(2)} s`);
  console.log(`web host + engine CPU per run: headless ${median(hostCpuSeconds.headless).toFixed(2)} s, full ${median(hostCpuSeconds.full).toFixed(2)} s`);
  console.log(`other processes' CPU per run (this driver included): headless ${median(otherCpuSeconds.headless).toFixed(2)} s, full ${median(otherCpuSeconds.full).toFixed(2)} s; CPU steal per run, max ${Math.max(...stealSeconds.headless, ...stealSeconds.full).toFixed(2)} s`);
  if (profile) {
    const mean = (mode) => {
      const acc = {};
      for (const p of profiles[mode]) for (const [k, v] of Object.entries(p)) acc[k] = (acc[k] ?? 0) + v / profiles[mode].length;
      return acc;
    };
    const h = mean('headless');
    const f = mean('full');
    for (const [mode, m] of [['headless', h], ['full', f]]) {
      const total = Object.entries(m).filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).reduce((a, [, v]) => a + v, 0);
      console.log(`\n${mode}: JavaScript self time per run ${total.toFixed(3)} s (without idle and program)`);
    }
    console.log('full − headless: JavaScript self time by function, mean per run (s)');
    const keys = new Set([...Object.keys(h), ...Object.keys(f)]);
    for (const [k, v] of [...keys].map((k) => [k, (f[k] ?? 0) - (h[k] ?? 0)]).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${v.toFixed(4)}  ${k}`);
  }
  if (trace) {
    for (const mode of ['headless', 'full']) {
      const sum = (pick) => {
        const acc = {};
        for (const t of traces[mode]) for (const [k, v] of Object.entries(pick(t))) acc[k] = (acc[k] ?? 0) + v / traces[mode].length;
        return Object.entries(acc).sort((a, b) => b[1] - a[1]);
      };
      console.log(`\n${mode}: busy per thread while training (${(traces[mode].reduce((a, t) => a + t.seconds, 0) / traces[mode].length).toFixed(2)} s from the renderer's run-running to run-done marks), mean per run (s)`);
      for (const [k, v] of sum((t) => t.busy).slice(0, 12)) console.log(`  ${v.toFixed(3)}  ${k}`);
      console.log(`${mode}: renderer events while training, mean count per run: ${sum((t) => t.counts).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
      console.log(`${mode}: renderer main thread self time by trace event, mean per run (s)`);
      for (const [k, v] of sum((t) => t.self).slice(0, 25)) console.log(`  ${v.toFixed(3)}  ${k}`);
    }
    const mean = (mode, name) => traces[mode].reduce((a, t) => a + (t.self[name] ?? 0), 0) / traces[mode].length;
    const names = new Set(traces.full.flatMap((t) => Object.keys(t.self)));
    const diff = [...names].map((k) => [k, mean('full', k) - mean('headless', k)]).sort((a, b) => b[1] - a[1]);
    console.log('full − headless: renderer main thread self time by trace event while training, mean per run (s)');
    for (const [k, v] of diff.slice(0, 30)) console.log(`  ${v.toFixed(3)}  ${k}`);
  }
} finally {
  await app.close();
}
