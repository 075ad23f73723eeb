import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../../src-engine/base/base64';

describe('base64 without Buffer', () => {
  it("matches Node's Buffer both ways for every length remainder and byte value", () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 257, 70_001]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + n) & 255);
      const text = bytesToBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(text))).toEqual(Array.from(bytes));
    }
  });

  it('refuses characters outside the alphabet', () => {
    expect(() => base64ToBytes('AAAA*AAA')).toThrow(/invalid base64 character at 4/);
    expect(() => base64ToBytes('AAé=')).toThrow(/invalid base64/);
  });
});
