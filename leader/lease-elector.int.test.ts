import { createServer, connect, type Server, type Socket } from 'node:net';

import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';

import { kubeConfig } from '../test/cluster-state.js';
import { createLeaderElector, type LeaderElector } from './index.js';

/** Bound for a hung cluster, not a timing assertion. */
const TEST_TIMEOUT_MS = 120_000;

/**
 * Two electors against the real API server. Each records when it starts and stops leading; the test
 * checks that the intervals never overlap while leadership moves by release, by expiry after a crash, and
 * when the leader is cut off from the API server (a TCP proxy in front of it is closed).
 */
const NAMESPACE = 'default';
const timings = { leaseDurationMs: 4_000, renewDeadlineMs: 2_500, retryPeriodMs: 500 };

interface Interval {
  readonly identity: string;
  readonly startMs: number;
  endMs: number | undefined;
}

/** Leadership intervals of every elector of one test, by the wall clock (order only, no durations). */
class LeadershipLog {
  readonly intervals: Interval[] = [];
  started(identity: string) {
    this.intervals.push({ identity, startMs: performance.now(), endMs: undefined });
  }
  stopped(identity: string) {
    const open = this.intervals.find((i) => i.identity === identity && i.endMs === undefined);
    if (open !== undefined) open.endMs = performance.now();
  }
  current(): string[] {
    return this.intervals.filter((i) => i.endMs === undefined).map((i) => i.identity);
  }
  overlaps(): string[] {
    const found: string[] = [];
    for (const a of this.intervals) {
      for (const b of this.intervals) {
        if (a === b || a.identity === b.identity) continue;
        const aEnd = a.endMs ?? Infinity;
        const bEnd = b.endMs ?? Infinity;
        if (a.startMs < bEnd && b.startMs < aEnd) found.push(`${a.identity} and ${b.identity}`);
      }
    }
    return found;
  }
}

/** A TCP proxy to the API server that can be cut (network partition of one replica). */
async function startProxy(target: URL): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls `condition` every 100 ms for up to `timeoutMs` (a bound for a hung test, not an assertion). */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Lease leader election against the real API server', () => {
  let admin: KubeConfig;
  let leases: CoordinationV1Api;
  const running: Array<{ stop: AbortController; done: Promise<void> }> = [];

  beforeAll(() => {
    admin = kubeConfig();
    leases = admin.makeApiClient(CoordinationV1Api);
  }, TEST_TIMEOUT_MS);
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.stop.abort();
      await r.done;
    }
  }, TEST_TIMEOUT_MS);

  const start = (
    leaseName: string,
    identity: string,
    log: LeadershipLog,
    kubeConfig: KubeConfig = admin,
    releaseOnCancel = true,
  ): { elector: LeaderElector; stop: AbortController; done: Promise<void> } => {
    const elector = createLeaderElector({
      kubeConfig,
      namespace: NAMESPACE,
      leaseName,
      identity,
      timings,
      releaseOnCancel,
      onStartedLeading: () => log.started(identity),
      onStoppedLeading: () => log.stopped(identity),
    });
    const stop = new AbortController();
    const entry = { elector, stop, done: elector.run(stop.signal) };
    running.push(entry);
    return entry;
  };

  const holder = async (leaseName: string) =>
    (await leases.readNamespacedLease({ name: leaseName, namespace: NAMESPACE })).spec;

  it(
    'exactly one of two electors leads; a released lease passes to the other at once',
    async () => {
      const leaseName = `ksiss-release-${Date.now()}`;
      const log = new LeadershipLog();
      const a = start(leaseName, 'replica-a', log);
      await eventually(() => log.current().length === 1, 'replica-a leads');
      start(leaseName, 'replica-b', log);
      // b keeps polling; several renewals of a pass with no change of leader.
      await new Promise((resolve) => setTimeout(resolve, 3 * timings.retryPeriodMs));
      expect(log.current()).toEqual(['replica-a']);
      expect((await holder(leaseName))?.holderIdentity).toBe('replica-a');

      a.stop.abort();
      await a.done;
      await eventually(() => log.current().includes('replica-b'), 'replica-b leads after the release');
      const spec = await holder(leaseName);
      expect(spec?.holderIdentity).toBe('replica-b');
      expect(spec?.leaseTransitions).toBe(1);
      expect(log.overlaps()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'after a crash (no release) the other takes over only once the lease expired',
    async () => {
      const leaseName = `ksiss-crash-${Date.now()}`;
      const log = new LeadershipLog();
      const a = start(leaseName, 'replica-a', log, admin, false);
      await eventually(() => log.current().includes('replica-a'), 'replica-a leads');
      start(leaseName, 'replica-b', log);
      a.stop.abort(); // stops renewing and leaves its name on the lease, like a killed process
      await a.done;
      expect((await holder(leaseName))?.holderIdentity).toBe('replica-a');
      await eventually(() => log.current().includes('replica-b'), 'replica-b takes over the expired lease');
      expect((await holder(leaseName))?.holderIdentity).toBe('replica-b');
      expect(log.overlaps()).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'a leader cut off from the API server stops leading before the other starts',
    async () => {
      const leaseName = `ksiss-partition-${Date.now()}`;
      const log = new LeadershipLog();
      const server = new URL(admin.getCurrentCluster()?.server ?? '');
      const proxy = await startProxy(server);
      try {
        const viaProxy = new KubeConfig();
        viaProxy.loadFromString(admin.exportConfig());
        const cluster = viaProxy.getCurrentCluster();
        if (cluster === null) throw new Error('no current cluster');
        viaProxy.clusters = viaProxy.clusters.map((c) =>
          c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c,
        );
        const a = start(leaseName, 'replica-a', log, viaProxy);
        await eventually(() => log.current().includes('replica-a'), 'replica-a leads through the proxy');
        start(leaseName, 'replica-b', log);
        proxy.cut();
        await eventually(() => log.current().includes('replica-b'), 'replica-b takes over');
        const [aInterval] = log.intervals.filter((i) => i.identity === 'replica-a');
        const [bInterval] = log.intervals.filter((i) => i.identity === 'replica-b');
        expect(aInterval?.endMs).toBeDefined();
        expect((aInterval?.endMs ?? Infinity) < (bInterval?.startMs ?? -Infinity)).toBe(true);
        expect(a.elector.isLeader()).toBe(false);
        expect(log.overlaps()).toEqual([]);
      } finally {
        proxy.cut();
        await proxy.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
