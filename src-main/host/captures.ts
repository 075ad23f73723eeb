/**
 * Names for camera frames ("Take photos…" in Add data…): `<class>-0001.png`, `<class>-0002.png`…,
 * numbered after the highest number of that form already in the class folder, so a second burst
 * adds to the first and nothing there is ever replaced (the host also writes each one with an
 * exclusive create, so a name taken meanwhile is skipped, not overwritten).
 */

/** Image kinds a capture is saved as. */
export const CAPTURE_EXTENSIONS = ['png', 'jpg'] as const;
export type CaptureExtension = (typeof CAPTURE_EXTENSIONS)[number];

/**
 * The highest number a frame is given (nine digits): every number up to it is exact as a double,
 * so one past it is always another number and another name. A file numbered past it (by hand:
 * `cat-99999999999999999999.png`, `cat-9007199254740993.png`) is not one of these names and is
 * ignored by the numbering (it cannot be one Netwright writes).
 */
export const MAX_CAPTURE_NUMBER = 999_999_999;

/**
 * The number after the highest `<class>-<n>.<png|jpg|jpeg|webp>` in a folder holding `existing`
 * (case-insensitive; `n` of at most `MAX_CAPTURE_NUMBER`), and after `after`. It may be past
 * `MAX_CAPTURE_NUMBER`: the caller refuses it.
 */
export function nextCaptureNumber(existing: readonly string[], className: string, after = 0): number {
  const stem = className.toLowerCase();
  let top = after;
  for (const name of existing) {
    const m = /^(.*)-0*(\d{1,9})\.(png|jpe?g|webp)$/i.exec(name);
    if (m && m[1].toLowerCase() === stem) top = Math.max(top, Number(m[2]));
  }
  return top + 1;
}

/** The name of frame `n` of `className`: four digits or more. */
export function captureName(className: string, n: number, ext: CaptureExtension): string {
  return `${className}-${String(n).padStart(4, '0')}.${ext}`;
}

/**
 * `count` new frame names for `className` in a folder holding `existing`: numbered from one past
 * the highest `<class>-<n>.<png|jpg|jpeg|webp>` there (`nextCaptureNumber`), four digits or more.
 *
 * @example captureNames(['cat-0001.png', 'cat-0007.jpg', 'cat.png'], 'cat', 'png', 2) // ['cat-0008.png', 'cat-0009.png']
 */
export function captureNames(existing: readonly string[], className: string, ext: CaptureExtension, count: number, after = 0): string[] {
  const first = nextCaptureNumber(existing, className, after);
  return Array.from({ length: count }, (_, i) => captureName(className, first + i, ext));
}

/** Whether `name` may name a class folder: a plain, visible name of letters, digits, spaces, `_`, `-`, `.` (no path, no leading dot). */
export function isClassName(name: string): boolean {
  return name.length > 0 && name.length <= 64 && name.trim() === name && !name.startsWith('.') && /^[\p{L}\p{N} _.-]+$/u.test(name);
}
