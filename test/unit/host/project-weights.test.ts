/**
 * Issue #82 (1): projects of any size. A project's trained weights go beside its file as
 * safetensors, received and read back in parts (PROJECT_LIMITS.chunkBytes), put in place under the
 * save's lock before the file that names them; before, the weights were base64 inside the JSON and
 * a save over 64 MiB failed ("The project is too large to save.", no limit named).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_LIMITS } from '../../../src-contracts/files';
import { FileService } from '../../../src-main/host/files';
import { PROJECT_WEIGHTS_LIMITS } from '../../../src-main/host/project-weights';
import { indexSafetensors, writeSafetensors } from '../../../src-engine/core/export/safetensors';

/** The folders made here (tens of MB each: resnet18-sized weights), removed when the file ends. */
const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nw-weights-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A safetensors file of float32 tensors of about `mb` MB of random values. */
function weightsOf(mb: number): Uint8Array {
  const tensors = [];
  let left = Math.round((mb * 1e6) / 4);
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, 2_359_296); // resnet18's largest layer, 512×512×3×3
    const data = new Float32Array(randomBytes(n * 4).buffer);
    tensors.push({ name: `layer${i}.weight`, tensor: { kind: 'float32' as const, shape: [n], data } });
    left -= n;
  }
  return writeSafetensors(tensors, { format: 'pt' });
}

/** A project file naming its weights, as the app writes it. */
const projectText = (weights: { sha256: string; bytes: number } | undefined, note = '') =>
  JSON.stringify({ format: 'netwright.project', version: 1, graph: { note }, ...(weights ? { model: { format: 'netwright.model', weights: { format: 'safetensors', ...weights } } } : {}) });

/** Send `bytes` for a save of `file` as the renderer does: in parts, each once the last is answered. */
async function sendWeights(files: FileService, file: string, bytes: Uint8Array): Promise<{ id: string; sha256: string }> {
  const { id } = await files.beginWeights(file, bytes.length);
  let answer: string | null = null;
  for (let at = 0, seq = 0; at < bytes.length; at += PROJECT_LIMITS.chunkBytes, seq++) {
    answer = (await files.appendWeights(id, seq, bytes.subarray(at, at + PROJECT_LIMITS.chunkBytes))).sha256;
  }
  return { id, sha256: answer! };
}

/** Read back the weights a project names, as the renderer does. */
async function readWeights(files: FileService, file: string, sha256: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const { data, total } = await files.readWeights(file, sha256, at);
    const part = Buffer.from(data);
    parts.push(part);
    at += part.length;
    if (at >= total || part.length === 0) return Buffer.concat(parts);
  }
}

const sidecars = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.safetensors')).sort();
const leftovers = (dir: string) => readdirSync(dir).filter((n) => /\.(lock|break|tmp|new|gone)$/.test(n));

describe('a project\'s weights beside its file', () => {
  it('~50 MB of weights (a fine-tuned resnet18 is 47 MB) save and open back bit-identical; a later save replaces them, one without removes them', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const file = 'icons.netwright.json';
    const weights = weightsOf(50);
    const sent = await sendWeights(files, file, weights);
    expect(sent.sha256).toBe(sha(weights));
    const text = projectText({ sha256: sent.sha256, bytes: weights.length });
    const { version } = await files.write(file, text, { ifAbsent: true }, sent.id);
    // The project file stays small; the weights are a safetensors file beside it that other tools read.
    const opened = await files.read(file);
    expect(opened).toMatchObject({ text, version });
    expect(Buffer.byteLength(text)).toBeLessThan(1_000);
    expect(sidecars(ws)).toEqual([`icons.netwright.weights-${sent.sha256.slice(0, 16)}.safetensors`]);
    const back = await readWeights(files, file, sent.sha256);
    expect(back.equals(Buffer.from(weights))).toBe(true);
    expect([...indexSafetensors(new Uint8Array(back)).tensors.keys()]).toHaveLength(Math.ceil(50e6 / 4 / 2_359_296));

    // Saved again with other weights: the old ones go once the file names the new.
    const other = weightsOf(5);
    const sent2 = await sendWeights(files, file, other);
    const v2 = await files.write(file, projectText({ sha256: sent2.sha256, bytes: other.length }), { ifVersion: version }, sent2.id);
    expect(sidecars(ws)).toEqual([`icons.netwright.weights-${sent2.sha256.slice(0, 16)}.safetensors`]);
    expect((await readWeights(files, file, sent2.sha256)).equals(Buffer.from(other))).toBe(true);
    // Saved without a model: no weights left beside it.
    await files.write(file, projectText(undefined), { ifVersion: v2.version });
    expect(sidecars(ws)).toEqual([]);
    expect(leftovers(ws)).toEqual([]);
  }, 30_000);

  it('a model four times larger (~200 MB; ~500 MB took 18 s here) saves and opens back bit-identical, in parts', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const file = 'big.netwright.json';
    const weights = randomBytes(200e6);
    const sent = await sendWeights(files, file, weights);
    await files.write(file, projectText({ sha256: sent.sha256, bytes: weights.length }), { ifAbsent: true }, sent.id);
    expect((await readWeights(files, file, sent.sha256)).equals(weights)).toBe(true);
    expect(leftovers(ws)).toEqual([]);
  }, 60_000);

  it('a save refused (E_FILE_CHANGED) leaves the weights the file names and removes those it brought', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const file = 'p.netwright.json';
    const first = weightsOf(1);
    const a = await sendWeights(files, file, first);
    const { version } = await files.write(file, projectText({ sha256: a.sha256, bytes: first.length }), { ifAbsent: true }, a.id);
    // Another window saves the design meanwhile (same weights).
    const theirs = projectText({ sha256: a.sha256, bytes: first.length }, 'theirs');
    writeFileSync(path.join(ws, file), theirs);
    const mine = weightsOf(1);
    const b = await sendWeights(files, file, mine);
    await expect(files.write(file, projectText({ sha256: b.sha256, bytes: mine.length }), { ifVersion: version }, b.id)).rejects.toMatchObject({ code: 'E_FILE_CHANGED' });
    expect(readFileSync(path.join(ws, file), 'utf8')).toBe(theirs);
    expect(sidecars(ws)).toEqual([`p.netwright.weights-${a.sha256.slice(0, 16)}.safetensors`]);
    expect(readdirSync(ws).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // Weights the text does not name are refused, and a part out of order ends the upload.
    const c = await sendWeights(files, file, mine);
    await expect(files.write(file, projectText({ sha256: a.sha256, bytes: first.length }), { replace: true }, c.id)).rejects.toMatchObject({ code: 'E_FILE_CONTENT' });
    const d = await files.beginWeights(file, 10);
    await expect(files.appendWeights(d.id, 1, new Uint8Array(3))).rejects.toMatchObject({ code: 'E_FILE_BAD_REQUEST' });
    expect(readdirSync(ws).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(leftovers(ws)).toEqual([]);
  });

  it('where a limit remains, the message names it and what to do', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    await expect(files.beginWeights('p.netwright.json', PROJECT_LIMITS.weightsBytes + 1)).rejects.toMatchObject({ code: 'E_FILE_TOO_LARGE', message: expect.stringMatching(/keeps up to 4 GiB of weights.*export the model/) });
    const text = projectText(undefined, 'x'.repeat(65 * 2 ** 20));
    await expect(files.write('p.netwright.json', text, { ifAbsent: true })).rejects.toMatchObject({ code: 'E_FILE_TOO_LARGE', message: expect.stringMatching(/would be 65 MiB; Netwright saves a project file up to 64 MiB .*weights go in a \.safetensors file beside it/) });
    expect(readdirSync(ws).filter((n) => n !== '.netwright')).toEqual([]);
  });

  it('a save naming the weights already beside the file, without sending them, keeps them; naming weights that are not there is refused (E_FILE_CONTENT)', async () => {
    const ws = tmp();
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const weights = weightsOf(1);
    const sent = await sendWeights(files, 'k.netwright.json', weights);
    const ref = { sha256: sent.sha256, bytes: weights.length };
    const { version } = await files.write('k.netwright.json', projectText(ref), { ifAbsent: true }, sent.id);
    // Saved again naming them (the design edited; the weights not loaded where it was opened): they stay.
    const again = await files.write('k.netwright.json', projectText(ref, 'edited'), { ifVersion: version });
    expect(sidecars(ws)).toEqual([`k.netwright.weights-${sent.sha256.slice(0, 16)}.safetensors`]);
    expect((await readWeights(files, 'k.netwright.json', sent.sha256)).equals(Buffer.from(weights))).toBe(true);
    // Another file naming them, where they are not: nothing is written.
    await expect(files.write('other.netwright.json', projectText(ref), { ifAbsent: true })).rejects.toMatchObject({ code: 'E_FILE_CONTENT', message: expect.stringContaining('names trained weights (other.netwright.weights-') });
    expect(readdirSync(ws).filter((n) => n.startsWith('other'))).toEqual([]);
    expect((await files.read('k.netwright.json')).version).toBe(again.version);
  });

  it('weights larger than the disk has free are refused before a byte is sent (E_FILE_DISK_FULL, naming both sizes and what to do)', async () => {
    const ws = tmp();
    let free = 300 * 2 ** 20;
    const files = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright'), weightsLimits: { ...PROJECT_WEIGHTS_LIMITS, freeBytes: async () => free } });
    await expect(files.beginWeights('big.netwright.json', 470e6)).rejects.toMatchObject({
      code: 'E_FILE_DISK_FULL',
      message: "The project's trained weights need 448 MiB beside big.netwright.json, and that disk has 300 MiB free; nothing was saved (the project on disk is as it was). Free at least 149 MiB there, or save the project on another disk (Save As…), then save again.",
    });
    expect(readdirSync(ws).filter((n) => n !== '.netwright')).toEqual([]);
    // Room enough: the weights are taken.
    free = 10 * 2 ** 20;
    const small = weightsOf(1);
    const sent = await sendWeights(files, 'small.netwright.json', small);
    expect(sent.sha256).toBe(sha(small));
  });
});
