/**
 * An engine that launches iris-mlp on torchrun:1 the way the app does (`runs.launch`'s host,
 * node/elsewhere-host.ts) into the run store `argv[2]` for `argv[3]` epochs, prints the run's id
 * and job id, and follows the job until it is killed (test/accuracy/reattach.test.ts kills it mid-run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkedGraph } from '../../../../src-engine/app/handlers/context';
import { prepareData } from '../../../../src-engine/core/data';
import { elsewhereHost } from '../../../../src-engine/node/elsewhere-host';
import { loadSamples } from '../../../../src-engine/node/datasets';
import { RunStore } from '../../../../src-engine/node/run-store';

const [runs, epochs] = process.argv.slice(2);
const graph = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as { training: Record<string, unknown> };
const checked = checkedGraph({ ...graph, training: { ...graph.training, epochs: Number(epochs) } });
const t = checked.training;
const loaded = await loadSamples(t.dataset, t.seed);
const data = prepareData(loaded, t.dataset, t.seed);
const launched = await elsewhereHost(new RunStore(runs!)).launch({ target: 'torchrun:1', checked, loaded, data, device: 'cpu' });
process.stdout.write(JSON.stringify(launched) + '\n');
setInterval(() => {}, 60_000);
