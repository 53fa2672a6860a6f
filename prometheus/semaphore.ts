/** Runs at most `limit` async tasks at once; the rest wait in arrival order. */
export interface Semaphore {
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`semaphore limit = ${limit}: must be an integer >= 1`);
  }
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    const next = waiting.shift();
    if (next !== undefined) {
      next(); // the slot passes straight to the next task
    } else {
      running -= 1;
    }
  };
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < limit) {
        running += 1;
      } else {
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

/** Maps `items` through `task` with at most `limit` in flight; results keep the order of `items`. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const semaphore = createSemaphore(Math.max(1, Math.floor(limit)));
  return Promise.all(items.map((item, index) => semaphore.run(() => task(item, index))));
}
