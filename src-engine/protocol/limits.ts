/**
 * Bounds on the shape of any value that crosses a process boundary or comes from a file.
 *
 * JSON.parse reads nesting of any depth, but everything after it — `JSON.stringify`, structured
 * clone (MessagePort, Node IPC with `serialization: 'advanced'`), zod, our own recursive walks —
 * recurses, and overflows the stack at a few thousand levels. A value that is checked here first
 * never reaches them: the check walks the value with an explicit stack, so it cannot overflow.
 * Netwright's own messages and projects are fewer than 16 levels deep.
 */
export interface ValueLimits {
  /** Deepest nesting of arrays and objects (the top-level value is depth 1). */
  maxDepth: number;
  /** Most values in all (objects, arrays, strings, numbers…; a typed array counts as one). */
  maxValues: number;
}

/** Protocol messages and project files: deep enough for any design, far from the stack's limit. */
export const VALUE_LIMITS: ValueLimits = { maxDepth: 64, maxValues: 5_000_000 };

/** Error codes of a value over the limits. */
export const LimitCodes = {
  tooDeep: 'E_PROTOCOL_TOO_DEEP',
  tooLarge: 'E_PROTOCOL_TOO_LARGE',
} as const;

export interface LimitViolation {
  code: (typeof LimitCodes)[keyof typeof LimitCodes];
  message: string;
}

/**
 * Check a value's nesting depth and size without recursion. Returns undefined when it is within
 * `limits`, else what is wrong (`what` names the value in the message, e.g. "The message").
 *
 * @example
 * ```ts
 * const v = checkValueLimits(JSON.parse(text), VALUE_LIMITS, 'The project');
 * if (v) return fail(v.code, v.message);
 * ```
 */
export function checkValueLimits(value: unknown, limits: ValueLimits = VALUE_LIMITS, what = 'The message'): LimitViolation | undefined {
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  let count = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop()!;
    if (++count > limits.maxValues) {
      return { code: LimitCodes.tooLarge, message: `${what} holds more than ${limits.maxValues.toLocaleString('en-US')} values; Netwright refuses values that large.` };
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (depth > limits.maxDepth) {
      return { code: LimitCodes.tooDeep, message: `${what} is nested more than ${limits.maxDepth} levels deep; Netwright's files and messages never are, so it was refused.` };
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        stack.push(v[i]);
        depths.push(depth + 1);
      }
    } else {
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        stack.push((v as Record<string, unknown>)[k]);
        depths.push(depth + 1);
      }
    }
    // Bail out early on a huge flat value rather than building a stack as large as it.
    if (stack.length > limits.maxValues) {
      return { code: LimitCodes.tooLarge, message: `${what} holds more than ${limits.maxValues.toLocaleString('en-US')} values; Netwright refuses values that large.` };
    }
  }
  return undefined;
}
