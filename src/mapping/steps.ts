/**
 * Work that is synchronous unless a value turns out to be a promise (only the JSONata
 * interpreter returns promises; paths, constants and the native expressions never do). The
 * work is a generator that yields each value that may be a promise and gets the settled value
 * back: `drive` runs it synchronously for as long as no promise comes, with no promise and no
 * microtask per record, and finishes it asynchronously from the first promise on. Values are
 * evaluated in the same order either way, and a rejected promise is thrown at the `yield` that
 * waited for it, as `await` would.
 */
export type Steps<T> = Generator<unknown, T, unknown>;

export function drive<T>(steps: Steps<T>): T | Promise<T> {
  let step = steps.next();
  while (!step.done) {
    if (step.value instanceof Promise) return finish(steps, step.value);
    step = steps.next(step.value);
  }
  return step.value;
}

async function finish<T>(steps: Steps<T>, first: Promise<unknown>): Promise<T> {
  let pending = first;
  for (;;) {
    let settled: { value: unknown } | { error: unknown };
    try {
      settled = { value: await pending };
    } catch (error) {
      settled = { error };
    }
    let step = 'error' in settled ? steps.throw(settled.error) : steps.next(settled.value);
    for (;;) {
      if (step.done) return step.value;
      if (step.value instanceof Promise) break;
      step = steps.next(step.value);
    }
    pending = step.value;
  }
}
