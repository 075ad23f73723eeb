/**
 * `netwright runs list|show|log|cancel [RUN] [--runs DIR] [--json]`: the stored runs from the
 * command line, each run's handle as `torchx status/log/cancel` gives one — where it trained
 * (`--on`'s target and the job's id there), its status, every recorded step's loss, what its
 * processes wrote — for runs trained here and elsewhere alike (docs/trainer.md, "Training elsewhere").
 */
import { thrownCode } from '../base/errors';
import type { RunMeta, RunRecord } from '../app/runs/types';
import { logEvents, logText } from '../app/runs/run-log';
import { CliError } from './cli-files';
import { commandLine, parseCommandLine, runScript, startCli, startedAs } from './cli-script';
import { RunStore } from './run-store';
import { cancelRun, followAgain } from './targets';
import type { Io } from './train-progress';

const ACTIONS = ['list', 'show', 'log', 'cancel'] as const;
type Action = (typeof ACTIONS)[number];

/** `netwright runs --help`. */
export function usage(): string {
  const runs = (args: string) => commandLine('runs', args);
  return [
    `usage: ${runs('list [--runs DIR] [--json]')}`,
    `       ${runs('show RUN [--runs DIR] [--json]')}`,
    `       ${runs('log RUN [--runs DIR] [--json]')}`,
    `       ${runs('cancel RUN [--runs DIR] [--json]')}`,
    'The stored runs in DIR (--runs, else NETWRIGHT_RUNS_DIR): list them (newest first: id, status, where, job id, steps);',
    "show one (its target, job id, status and every recorded step's loss); log: what its processes wrote, its errors;",
    'cancel: end a run trained elsewhere (--on torchrun:N …), which is then recorded as stopped. A run over ssh or on Slurm whose',
    'command has gone is followed again by show, log and cancel. docs/trainer.md "Training elsewhere".',
  ].join('\n');
}

/** The command line as an action, its run and where the runs are; throws a usage message otherwise. */
export function parse(argv: string[]): { action: Action; run?: string; runs: string; json: boolean } {
  const { values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { runs: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const [action, run, ...extra] = positionals;
  if (!(ACTIONS as readonly string[]).includes(action ?? '')) throw new Error(action === undefined ? `say what to do: ${ACTIONS.join(', ')}` : `"${action}" is not one of ${ACTIONS.join(', ')}`);
  if (action === 'list' ? run !== undefined : run === undefined) throw new Error(action === 'list' ? `list takes no run (got ${run})` : `${action} takes the run's id (netwright runs list shows them)`);
  if (extra.length) throw new Error(`unexpected ${extra.join(' ')}`);
  const runs = values.runs ?? process.env.NETWRIGHT_RUNS_DIR;
  if (runs === undefined) throw new Error('name the run folder with --runs DIR (or NETWRIGHT_RUNS_DIR)');
  return { action: action as Action, ...(run !== undefined ? { run } : {}), runs, json: values.json === true };
}

/** Run the CLI; the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const cli = startCli(argv, parse, usage(), out, err);
  if (typeof cli === 'number') return cli;
  const { args, fail } = cli;
  const io: Io = { out, err, json: args.json };
  const store = new RunStore(args.runs);
  try {
    if (args.action === 'list') list(store, io);
    else if (args.action === 'show') show(store, await caughtUp(store, args.run!, io), io);
    else if (args.action === 'log') log(store, await caughtUp(store, args.run!, io), io);
    else await cancel(store, args.run!, io);
    return 0;
  } catch (e) {
    if (e instanceof CliError) return fail(e.code, e.message, e.exit);
    const code = thrownCode(e, 'E_CLI_INTERNAL');
    if (code === 'E_CLI_INTERNAL') throw e;
    return fail(code, (e as Error).message, 1);
  }
}

/** Where a run trained, as `--on` spells it. */
const whereOf = (m: RunMeta) => m.target?.spec ?? 'local';

/** What a listing says of a run (its handle's fields). */
function handle(m: RunMeta, store: RunStore) {
  return { id: m.id, name: m.name, status: m.status, ...(store.unfollowed(m) ? { followed: false } : {}), target: whereOf(m), jobId: m.target?.jobId ?? null, backend: m.settings.backend, createdAt: m.createdAt, ...(m.endedAt ? { endedAt: m.endedAt } : {}), ...(m.summary ? { steps: m.summary.steps, epochs: m.summary.epochs } : {}) };
}

function list(store: RunStore, io: Io): void {
  const { runs, damaged } = store.scan();
  if (io.json) {
    io.out(JSON.stringify({ type: 'runs', runs: runs.map((m) => handle(m, store)), damaged }) + '\n');
    return;
  }
  if (!runs.length && !damaged.length) io.out(`no runs in ${store.dir}\n`);
  // A run elsewhere whose job may run on with nobody following it: never called crashed.
  for (const m of runs) io.out(`${m.id}  ${(m.status === 'running' && store.unfollowed(m) ? 'running elsewhere (not followed)' : m.status).padEnd(8)}  ${whereOf(m).padEnd(12)}  ${(m.target?.jobId ?? '-').padEnd(8)}  ${m.summary ? `${m.summary.steps} steps` : ''}  ${m.name}\n`);
  for (const d of damaged) io.out(`${d.id}  damaged: ${d.reason}\n`);
}

/**
 * `show` and `log` of a run trained on another machine or a cluster that nobody follows now (the
 * command that launched it was killed, its connection lost): its job is followed again up to now
 * (`followAgain`), what it wrote since recorded, and its end if it has ended. A machine that does
 * not answer is said on stderr, and the run shown as recorded. The run's id.
 */
async function caughtUp(store: RunStore, id: string, io: Io): Promise<{ id: string; runsOn: boolean }> {
  try {
    return { id, runsOn: (await followAgain(store, id, { now: true })) === 'running' };
  } catch (e) {
    // A job that failed is recorded so: the run says why. Any other reason is said here.
    if (thrownCode(e, 'E_CLI_INTERNAL') !== 'E_TARGET_FAILED') io.err(`note: run ${id} could not be followed again (${(e as Error).message}); shown as recorded.\n`);
    return { id, runsOn: false };
  }
}

function show(store: RunStore, { id, runsOn }: { id: string; runsOn: boolean }, io: Io): void {
  const run = store.open(id);
  const steps = run.records.filter((r): r is Extract<RunRecord, { kind: 'step' }> => r.kind === 'step');
  const epochs = run.records.filter((r): r is Extract<RunRecord, { kind: 'epoch' }> => r.kind === 'epoch');
  if (io.json) {
    io.out(JSON.stringify({ type: 'run', ...handle(run.meta, store), ...(runsOn ? { job: 'running' } : {}), steps: steps.map((s) => ({ step: s.step, epoch: s.epoch, loss: s.loss, lr: s.lr, ...(s.metrics ? { metrics: s.metrics } : {}) })), epochs: epochs.map((e) => ({ epoch: e.epoch, step: e.step, metrics: e.metrics })), ...(run.meta.summary ? { summary: run.meta.summary } : {}), ...(run.note ? { note: run.note } : {}) }) + '\n');
    return;
  }
  const m = run.meta;
  io.out(`${m.id}  ${m.name}\nstatus: ${m.status === 'running' && store.unfollowed(m) ? 'running elsewhere (not followed)' : m.status}\ntarget: ${whereOf(m)}${m.target ? ` (job ${m.target.jobId}${runsOn ? ', which runs on there: shown as of now, nobody follows it' : ''})` : ''}\nbackend: ${m.settings.backend}\nstarted: ${m.createdAt}${m.endedAt ? `, ended ${m.endedAt}` : ''}\n`);
  if (run.note) io.out(`note: ${run.note}\n`);
  io.out('  step  epoch  loss        lr\n');
  for (const s of steps) io.out(`${String(s.step).padStart(6)}  ${String(s.epoch).padStart(5)}  ${(s.loss === null ? 'NaN' : s.loss.toPrecision(7)).padEnd(10)}  ${s.lr.toPrecision(3)}\n`);
}

function log(store: RunStore, { id }: { id: string }, io: Io): void {
  const run = store.open(id);
  for (const r of logEvents(run.records)) io.out(io.json ? JSON.stringify({ type: 'event', t: r.t, event: r.event, data: r.data }) + '\n' : `${logText(r).text}\n`);
}

/** `runs cancel`: the run's job ended through its target's launcher (node/targets.ts, `cancelRun`: the app's Stop does the same). */
async function cancel(store: RunStore, id: string, io: Io): Promise<void> {
  const m = cancelRun(store, id);
  // A run nobody follows (its command killed): its end is recorded here, as its job ends.
  if (store.unfollowed(m)) {
    try {
      await followAgain(store, id, { now: false });
    } catch (e) {
      io.err(`note: run ${id}'s end could not be recorded (${(e as Error).message}).\n`);
    }
  }
  if (io.json) io.out(JSON.stringify({ type: 'cancelled', id: m.id, target: m.target.spec, jobId: m.target.jobId }) + '\n');
  else io.out(`cancelled ${m.id} (${m.target.spec}, job ${m.target.jobId}): it is recorded as stopped when its job has ended\n`);
}

if (startedAs('runs-cli')) runScript(main, 'E_CLI_INTERNAL');
