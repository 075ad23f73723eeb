/**
 * Text classification sources (#48): labelled texts split once (stratified, seeded by the split
 * seed alone), a vocabulary built on the training split (<pad> 0, <unk> 1), ids padded to a
 * maximum length or token counts; Debian's fortunes filed by topic as `fortunes-topics`.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTokens, fortuneEntries, labelledSampleText, labelledTextDataset, PAD_ID, UNK_ID, type LabelledText, type LabelledTextOptions } from '../../../../src-engine/core/data';
import { DEBIAN_FORTUNES_DIR, loadDataset } from '../../../../src-engine/node/datasets';

const OPTIONS: LabelledTextOptions = { name: 'notes', classNames: ['cats', 'dogs'], tokens: 'words', features: 'ids', maxLength: 8, minCount: 1, maxVocabulary: 100, testFraction: 0.25, splitSeed: 1 };
const TEXTS: LabelledText[] = Array.from({ length: 16 }, (_, i) => ({ text: i % 2 ? `The dog barks ${i}` : `A cat purrs, the cat sleeps ${i}`, label: i % 2 }));

describe('labelledTextDataset', () => {
  it('splits each class once, the same every time, and builds the vocabulary on the training split only', () => {
    const a = labelledTextDataset(TEXTS, OPTIONS);
    expect([a.train.count, a.test!.count]).toEqual([12, 4]);
    expect(Array.from(a.test!.targets).sort()).toEqual([0, 0, 1, 1]);
    const vocabulary = a.train.text!.vocabulary;
    expect(vocabulary.slice(0, 2)).toEqual(['<pad>', '<unk>']);
    // The numbers of test texts were never seen in training: they read as <unk>.
    const testNumbers = Array.from({ length: 4 }, (_, s) => decodeTokens(a.test!.features.subarray(s * 8, s * 8 + 8), vocabulary, 'words').split(' ').pop());
    expect(testNumbers.every((w) => w === '<unk>')).toBe(true);
    for (let s = 0; s < 12; s++) expect(a.train.features.subarray(s * 8, s * 8 + 8)).not.toContain(UNK_ID);
    const b = labelledTextDataset(TEXTS, OPTIONS);
    expect(b.train.text!.vocabulary).toEqual(vocabulary);
    expect(b.test!.features).toEqual(a.test!.features);
    expect(labelledTextDataset(TEXTS, { ...OPTIONS, splitSeed: 2 }).test!.features).not.toEqual(a.test!.features);
  });

  it('pads short texts with <pad> and cuts long ones; counts are a bag of tokens', () => {
    const ids = labelledTextDataset(TEXTS, { ...OPTIONS, tokens: 'chars', maxLength: 14 });
    const vocabulary = ids.train.text!.vocabulary;
    const first = ids.train.features.subarray(0, 14);
    expect(decodeTokens(first, vocabulary, 'chars')).toBe('A cat purrs, t');
    const dog = ids.train.features.subarray(14, 28);
    expect(decodeTokens(dog, vocabulary, 'chars')).toBe('The dog barks ');
    const short = labelledTextDataset([{ text: 'ab', label: 0 }, { text: 'ab', label: 0 }, { text: 'ba', label: 1 }, { text: 'ba', label: 1 }], { ...OPTIONS, tokens: 'chars', maxLength: 4, testFraction: 0.5 });
    expect(Array.from(short.train.features.subarray(0, 4)).slice(2)).toEqual([PAD_ID, PAD_ID]);
    const counts = labelledTextDataset(TEXTS, { ...OPTIONS, features: 'counts' });
    const v = counts.train.text!.vocabulary;
    expect(counts.train.featureShape).toEqual([v.length]);
    expect(counts.train.featureNames).toEqual(v);
    expect(counts.train.features[v.indexOf('cat')]).toBe(2);
    expect(counts.train.features[v.indexOf('dog')]).toBe(0);
    // As Samples shows a bag: the words it counts, commonest first, then the unknown ones.
    expect(labelledSampleText(counts.test!.features.subarray(0, v.length), counts.train.text!)).toMatch(/^(cat×2 the a purrs sleeps|the dog barks) \(\+1 <unk>\)$/);
  });

  it('refuses options out of range and a single class, with codes', () => {
    expect(() => labelledTextDataset(TEXTS, { ...OPTIONS, maxLength: 0 })).toThrow(/maxLength/);
    expect(() => labelledTextDataset(TEXTS.filter((t) => t.label === 0), OPTIONS)).toThrow(/two classes/);
    expect(fortuneEntries('one\n%\n\n%\ntwo\nlines\n%\n')).toEqual(['one', 'two\nlines']);
  });
});

describe('fortunes-topics', () => {
  it('a folder without the topic files says which are missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-topics-'));
    writeFileSync(join(dir, 'computers'), 'a\n%\nb\n');
    expect(() => loadDataset({ name: 'fortunes-topics', options: { dir } })).toThrow(/science, politics, songs-poems/);
  });

  it.skipIf(!existsSync(DEBIAN_FORTUNES_DIR))('Debian’s four topic files: 3,099 fortunes, a fixed 80/20 split, characters or words', () => {
    const chars = loadDataset({ name: 'fortunes-topics', options: {} }, 1);
    expect(chars.train.classNames).toEqual(['computers', 'science', 'politics', 'songs-poems']);
    expect([chars.train.count, chars.test!.count]).toEqual([2479, 620]);
    expect(chars.train.featureShape).toEqual([256]);
    expect(chars.report!.classCounts).toEqual({ computers: 1051, science: 625, politics: 703, 'songs-poems': 720 });
    // Another run seed tests on the same fortunes.
    expect(loadDataset({ name: 'fortunes-topics', options: { maxLength: 256 } }, 7).test!.features).toEqual(chars.test!.features);
    const words = loadDataset({ name: 'fortunes-topics', options: { tokens: 'words', features: 'counts', maxVocabulary: 4000 } });
    expect(words.train.featureShape).toEqual([4000]);
    expect(words.test!.targets).toEqual(chars.test!.targets);
  });
});

describe('text-folder', () => {
  it('one sub-folder per class of .txt files: classes in name order, other files and non-UTF-8 text skipped and reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-text-folder-'));
    const write = (cls: string, name: string, body: string | Uint8Array) => {
      mkdirSync(join(dir, cls), { recursive: true });
      writeFileSync(join(dir, cls, name), body);
    };
    for (let i = 0; i < 5; i++) {
      write('spam', `${i}.txt`, `win money now ${i}`);
      write('ham', `${i}.txt`, `lunch at noon ${i}`);
    }
    write('ham', 'notes.md', 'not a text sample');
    write('spam', 'latin1.txt', Uint8Array.from([0x63, 0x61, 0x66, 0xe9]));
    const loaded = loadDataset({ name: 'text-folder', options: { path: dir, tokens: 'words', features: 'counts', testSplit: 0.4 } });
    expect(loaded.train.classNames).toEqual(['ham', 'spam']);
    expect([loaded.train.count, loaded.test!.count]).toEqual([6, 4]);
    expect(loaded.report!.skipped.map((f) => f.path).sort()).toEqual(['ham/notes.md', 'spam/latin1.txt']);
    expect(loaded.train.text!.vocabulary).toContain('money');
    expect(() => loadDataset({ name: 'text-folder', options: { path: join(dir, 'ham') } })).toThrow(/at least two class sub-folders/);
  });
});
