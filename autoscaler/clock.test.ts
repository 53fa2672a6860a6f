import { systemClock } from './clock.js';

describe('systemClock.sleep', () => {
  test('an already aborted signal ends the sleep at once', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(systemClock.sleep(3_600_000, controller.signal)).resolves.toBeUndefined();
  });

  test('aborting ends a long sleep (shutdown does not wait for the interval)', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(sleeping).resolves.toBeUndefined();
  });

  test('a zero sleep resolves', async () => {
    await expect(systemClock.sleep(0)).resolves.toBeUndefined();
  });
});
