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
 * `count` new frame names for `className` in a folder holding `existing`: numbered from one past
 * the highest `<class>-<n>.<png|jpg|jpeg|webp>` there (case-insensitive), four digits or more.
 *
 * @example captureNames(['cat-0001.png', 'cat-0007.jpg', 'cat.png'], 'cat', 'png', 2) // ['cat-0008.png', 'cat-0009.png']
 */
export function captureNames(existing: readonly string[], className: string, ext: CaptureExtension, count: number, after = 0): string[] {
  const stem = className.toLowerCase();
  let top = after;
  for (const name of existing) {
    const m = /^(.*)-(\d+)\.(png|jpe?g|webp)$/i.exec(name);
    if (m && m[1].toLowerCase() === stem) top = Math.max(top, Number(m[2]));
  }
  return Array.from({ length: count }, (_, i) => `${className}-${String(top + 1 + i).padStart(4, '0')}.${ext}`);
}

/** Whether `name` may name a class folder: a plain, visible name of letters, digits, spaces, `_`, `-`, `.` (no path, no leading dot). */
export function isClassName(name: string): boolean {
  return name.length > 0 && name.length <= 64 && name.trim() === name && !name.startsWith('.') && /^[\p{L}\p{N} _.-]+$/u.test(name);
}
