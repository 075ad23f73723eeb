// Does the gpu-wire project's selection of GPU tests still send every kind of wire message that
// all of them send? (test/unit/gpu/wire-cases.ts) Run every case across the wire with a tally,
// then compare:
//   NETWRIGHT_GPU_WIRE_ALL=1 NETWRIGHT_GPU_WIRE_TALLY=/tmp/wire.jsonl npx vitest run --project gpu-wire
//   node scripts/gpu-wire-coverage.mjs /tmp/wire.jsonl
// Exits 1, naming them, when a kind is sent only by cases the selection leaves out.
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/gpu-wire-coverage.mjs TALLY.jsonl');
  process.exit(2);
}
const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const all = new Map(); // kind → tests that send it
const kept = new Set();
const tests = new Map(); // test → runs across the wire in the selection
for (const r of rows) {
  const test = `${r.file}: ${r.test}`;
  tests.set(test, r.wire);
  for (const k of r.kinds) {
    if (!all.has(k)) all.set(k, new Set());
    all.get(k).add(test);
    if (r.wire) kept.add(k);
  }
}
const selected = [...tests].filter(([, w]) => w).length;
console.log(`${tests.size} tests sent wire messages, ${selected} of them in the selection`);
console.log(`${all.size} kinds of message in all, ${kept.size} sent by the selection`);
for (const [k, senders] of [...all].sort()) console.log(`${kept.has(k) ? '  ' : '✗ '}${k.padEnd(40)} ${senders.size} tests`);
const missing = [...all.keys()].filter((k) => !kept.has(k));
if (missing.length > 0) {
  console.error(`Sent only by cases outside the selection: ${missing.join(', ')}`);
  process.exit(1);
}
