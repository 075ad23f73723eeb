import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { callFileOp, FileService } from '../../../src-main/host/files';
import { captureNames } from '../../../src-main/host/captures';
import { cameraError, openCamera } from '../../../src-renderer/src/training/camera';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('camera frames: names', () => {
  it('numbers new frames after the highest of that class, any extension, case-insensitive', () => {
    expect(captureNames([], 'cat', 'png', 2)).toEqual(['cat-0001.png', 'cat-0002.png']);
    expect(captureNames(['cat-0001.png', 'Cat-0007.JPG', 'cat.png', 'dog-0042.png', 'cat-x.png', 'cat-0003.png.tmp'], 'cat', 'jpg', 2)).toEqual(['cat-0008.jpg', 'cat-0009.jpg']);
    expect(captureNames(['thumbs-up-0009.jpg'], 'thumbs-up', 'png', 1)).toEqual(['thumbs-up-0010.png']);
    expect(captureNames(['a-9999.png'], 'a', 'png', 1)).toEqual(['a-10000.png']);
  });

  it('saves a burst into a new class folder, then a second after it, never over a file', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-captures-'));
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const r1 = await s.saveCaptures('data/camera', 'cat', 'png', [b64('one'), b64('two')]);
    expect(r1).toEqual({ folder: path.join('data', 'camera', 'cat'), names: ['cat-0001.png', 'cat-0002.png'] });
    // A file the user put there with a captured name's number: kept, and numbering goes on after it.
    writeFileSync(path.join(ws, 'data/camera/cat/cat-0005.jpg'), 'mine');
    const r2 = await s.saveCaptures('data/camera', 'cat', 'png', [b64('three')]);
    expect(r2.names).toEqual(['cat-0006.png']);
    const dir = path.join(ws, 'data/camera/cat');
    expect(readdirSync(dir).sort()).toEqual(['cat-0001.png', 'cat-0002.png', 'cat-0005.jpg', 'cat-0006.png']);
    expect(readFileSync(path.join(dir, 'cat-0005.jpg'), 'utf8')).toBe('mine');
    expect(readFileSync(path.join(dir, 'cat-0001.png'), 'utf8')).toBe('one');
  });

  it('numbers after files numbered by hand past what a double holds exactly, or past nine digits, as if they were not there (#57)', async () => {
    // Each of these made the next number the same as the last (9007199254740993 reads as …992, and
    // one more is …992 again; 1e20 + 1 is 1e20): the second frame was tried under one name forever,
    // the host at 100 % CPU. 1e240 printed as "1e+240" and failed as E_FILE_IO (reading '1' of null).
    for (const hand of ['cat-9007199254740993.png', 'cat-99999999999999999999.png', `cat-1${'0'.repeat(240)}.png`, 'cat-1000000000.jpg']) {
      const ws = mkdtempSync(path.join(tmpdir(), 'nw-captures-'));
      mkdirSync(path.join(ws, 'data/camera/cat'), { recursive: true });
      writeFileSync(path.join(ws, 'data/camera/cat', hand), 'mine');
      const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
      expect((await s.saveCaptures('data/camera', 'cat', 'png', [b64('one'), b64('two')])).names, hand).toEqual(['cat-0001.png', 'cat-0002.png']);
      expect(readFileSync(path.join(ws, 'data/camera/cat', hand), 'utf8')).toBe('mine');
    }
    expect(captureNames(['cat-000000000000042.png'], 'cat', 'png', 1)).toEqual(['cat-0043.png']);
  });

  it('refuses, coded, a burst past the highest number a frame is given, after saving what fits', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-captures-'));
    mkdirSync(path.join(ws, 'data/camera/cat'), { recursive: true });
    writeFileSync(path.join(ws, 'data/camera/cat/cat-999999998.png'), 'mine');
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    const r = await callFileOp(s, 'saveCaptures', ['data/camera', 'cat', 'png', [b64('one'), b64('two')]]);
    expect(r.ok ? 'ok' : r.error).toMatchObject({ code: 'E_FILE_EXISTS', message: expect.stringContaining('already holds a frame numbered 999,999,999, the highest a frame is given; 1 of the 2 frames were saved') });
    expect(readdirSync(path.join(ws, 'data/camera/cat')).sort()).toEqual(['cat-999999998.png', 'cat-999999999.png']);
  });

  it('refuses a class name that is a path, and a folder outside the workspace', async () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'nw-captures-'));
    const out = mkdtempSync(path.join(tmpdir(), 'nw-captures-out-'));
    mkdirSync(path.join(ws, 'data'));
    symlinkSync(out, path.join(ws, 'data', 'link'));
    const s = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
    for (const [folder, cls, code] of [
      ['data/camera', '../escape', 'E_FILE_PATH'],
      ['data/camera', '.hidden', 'E_FILE_PATH'],
      ['../elsewhere', 'cat', 'E_FILE_OUTSIDE_WORKSPACE'],
      ['data/link', 'cat', 'E_FILE_OUTSIDE_WORKSPACE'],
    ]) {
      const r = await callFileOp(s, 'saveCaptures', [folder, cls, 'png', [b64('x')]]);
      expect(r.ok ? 'ok' : r.error.code, `${folder} ${cls}`).toBe(code);
    }
    expect(readdirSync(out)).toEqual([]);
    expect((await callFileOp(s, 'saveCaptures', ['data/camera', 'cat', 'gif', [b64('x')]])).ok).toBe(false);
  });
});

describe('camera refusal', () => {
  it('says why in a coded message', async () => {
    expect(cameraError(Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' }))).toEqual({ code: 'E_CAMERA_DENIED', message: expect.stringMatching(/^The camera was not allowed; nothing was changed\. Allow the camera/) });
    expect(cameraError({ name: 'NotFoundError' }).code).toBe('E_CAMERA_NOT_FOUND');
    expect(cameraError(Object.assign(new Error('Device in use'), { name: 'NotReadableError' }))).toMatchObject({ code: 'E_CAMERA_FAILED', message: expect.stringContaining('(Device in use)') });
    const denied = { getUserMedia: () => Promise.reject(Object.assign(new Error('x'), { name: 'NotAllowedError' })) };
    await expect(openCamera(denied)).rejects.toMatchObject({ code: 'E_CAMERA_DENIED' });
    await expect(openCamera(undefined)).rejects.toMatchObject({ code: 'E_CAMERA_NOT_FOUND' });
  });

  it('asks for video only', async () => {
    let asked: MediaStreamConstraints | undefined;
    const media = { getUserMedia: async (c?: MediaStreamConstraints) => ((asked = c), {} as MediaStream) };
    await openCamera(media);
    expect(asked?.audio).toBe(false);
    expect(asked?.video).toBeTruthy();
  });
});
