import { attentionFlops, iterationMs, type TierPerformance } from './tier-performance.js';

/** One inference request as it arrives at a replica. */
export interface InferenceRequest {
  readonly id: number;
  readonly arrivalMs: number;
  readonly promptTokens: number;
  readonly outputTokens: number;
}

/** A request that left the replica: served (with its latencies) or rejected (with why). */
export type CompletedRequest =
  | {
      readonly outcome: 'served';
      readonly request: InferenceRequest;
      /** Arrival to first token, ms. */
      readonly ttftMs: number;
      /** Mean time per output token after the first, ms (0 for a one-token answer). */
      readonly tpotMs: number;
      /** Arrival to the first prompt chunk being scheduled (waiting for KV, batch slot or token budget), ms. */
      readonly queueMs: number;
      readonly finishMs: number;
    }
  | {
      readonly outcome: 'rejected';
      readonly request: InferenceRequest;
      readonly reason: 'tooLong' | 'kvTooSmall';
      readonly message: string;
      readonly finishMs: number;
    };

/** What the replica looks like now (the gauges a vLLM-like server exports). */
export interface ReplicaSnapshot {
  readonly clockMs: number;
  /** Requests waiting for admission (KV cache or batch slots). */
  readonly queueLength: number;
  /** Requests in the running batch (prefilling or decoding). */
  readonly runningRequests: number;
  readonly kvUsedTokens: number;
  readonly kvCapacityTokens: number;
  /** KV-cache usage, 0..1. */
  readonly kvUsage: number;
  /** Total time spent in iterations since creation, ms (utilisation = its rate). */
  readonly busyMs: number;
  readonly completedRequests: number;
}

interface Sequence {
  readonly request: InferenceRequest;
  prefilledTokens: number;
  /** When the first prompt chunk was scheduled. */
  readonly admittedMs: number;
  firstTokenMs: number;
  /** Decode iteration index at which the last output token is produced. */
  finishIteration: number;
}

/**
 * A deterministic discrete-event model of one continuous-batching replica (vLLM-like, chunked
 * prefill, FCFS). Admission reserves KV for the whole sequence (prompt + output), so requests wait
 * when the KV cache is full instead of being preempted. Call `advance(t)` before `admit(r)` with
 * `t = r.arrivalMs`; iterations are atomic, so the clock may run past `t`.
 */
export class ReplicaEngine {
  private clock: number;
  private readonly waiting: InferenceRequest[] = [];
  private waitingHead = 0;
  private readonly prefilling: Sequence[] = [];
  /** Decoding sequences as a binary min-heap on finishIteration. */
  private readonly decoding: Sequence[] = [];
  private decodeIteration = 0;
  private decodeContextTokens = 0;
  private kvReserved = 0;
  private busy = 0;
  private completedCount = 0;
  private readonly pendingOut: CompletedRequest[] = [];

  constructor(
    readonly performance: TierPerformance,
    startMs: number,
  ) {
    this.clock = startMs;
  }

  /** Requests queued or running. */
  get outstanding(): number {
    return this.waiting.length - this.waitingHead + this.prefilling.length + this.decoding.length;
  }

  /** Takes a request; one that can never run here is rejected at once (returned by the next advance). */
  admit(request: InferenceRequest): void {
    const model = this.performance.model;
    const total = request.promptTokens + request.outputTokens;
    if (total > model.maxContextTokens) {
      this.pendingOut.push({
        outcome: 'rejected',
        request,
        reason: 'tooLong',
        message: `request ${request.id}: ${total} tokens exceed ${model.name}'s context of ${model.maxContextTokens}`,
        finishMs: request.arrivalMs,
      });
      return;
    }
    if (total > this.performance.kvCapacityTokens) {
      this.pendingOut.push({
        outcome: 'rejected',
        request,
        reason: 'kvTooSmall',
        message: `request ${request.id}: ${total} tokens exceed the KV cache of ${this.performance.kvCapacityTokens} tokens on ${this.performance.tierName}`,
        finishMs: request.arrivalMs,
      });
      return;
    }
    if (this.outstanding === 0 && this.clock < request.arrivalMs) this.clock = request.arrivalMs;
    this.waiting.push(request);
  }

  /** Runs iterations that start before `toMs`; returns the requests that finished. */
  advance(toMs: number): CompletedRequest[] {
    const out = this.pendingOut.splice(0);
    while (this.clock < toMs) {
      if (this.outstanding === 0) {
        this.clock = toMs;
        break;
      }
      this.iterate(out);
    }
    return out;
  }

  /** Removes every queued and running request (the pod is killed); returns them, oldest first. */
  abortAll(): InferenceRequest[] {
    const cut = [
      ...this.waiting.slice(this.waitingHead),
      ...this.prefilling.map((s) => s.request),
      ...this.decoding.map((s) => s.request),
    ].sort((a, b) => a.arrivalMs - b.arrivalMs || a.id - b.id);
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.prefilling.length = 0;
    this.decoding.length = 0;
    this.decodeContextTokens = 0;
    this.kvReserved = 0;
    return cut;
  }

  /** The replica's gauges now. */
  snapshot(): ReplicaSnapshot {
    const capacity = this.performance.kvCapacityTokens;
    return {
      clockMs: this.clock,
      queueLength: this.waiting.length - this.waitingHead,
      runningRequests: this.prefilling.length + this.decoding.length,
      kvUsedTokens: this.kvReserved,
      kvCapacityTokens: capacity,
      kvUsage: this.kvReserved / capacity,
      busyMs: this.busy,
      completedRequests: this.completedCount,
    };
  }

  private iterate(out: CompletedRequest[]): void {
    const model = this.performance.model;
    const startMs = this.clock;
    const decodeCount = this.decoding.length;
    let budget = Math.max(0, model.maxBatchedTokens - decodeCount);
    let prefillTokens = 0;
    let prefillKvRead = 0;
    let flops = decodeCount > 0 ? 4 * model.layers * model.hiddenSize * this.decodeContextTokens : 0;
    const chunks: number[] = [];
    const schedule = (seq: Sequence): void => {
      const chunk = Math.min(budget, seq.request.promptTokens - seq.prefilledTokens);
      chunks.push(chunk);
      if (chunk > 0) {
        prefillTokens += chunk;
        prefillKvRead += seq.prefilledTokens;
        flops += attentionFlops(model, seq.prefilledTokens, chunk);
        budget -= chunk;
      }
    };
    // Running prefills first (FCFS), then waiting requests while the token budget, the batch and the KV
    // cache have room (vLLM V1: a request leaves the waiting queue when it gets its first chunk).
    this.prefilling.forEach(schedule);
    while (
      this.waitingHead < this.waiting.length &&
      (budget > 0 || this.prefilling.length + decodeCount === 0)
    ) {
      const next = this.waiting[this.waitingHead] as InferenceRequest;
      const need = next.promptTokens + next.outputTokens;
      const running = this.prefilling.length + this.decoding.length;
      if (running >= model.maxRunningRequests || this.kvReserved + need > this.performance.kvCapacityTokens)
        break;
      this.kvReserved += need;
      const seq: Sequence = {
        request: next,
        prefilledTokens: 0,
        admittedMs: startMs,
        firstTokenMs: 0,
        finishIteration: 0,
      };
      this.prefilling.push(seq);
      this.waitingHead += 1;
      schedule(seq);
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    const durationMs = iterationMs(this.performance, {
      tokens: decodeCount + prefillTokens,
      kvTokensRead: this.decodeContextTokens + prefillKvRead,
      attentionFlops: flops,
    });
    const endMs = startMs + durationMs;
    this.busy += durationMs;
    this.clock = endMs;

    // Every decoding sequence produced one token.
    if (decodeCount > 0) {
      this.decodeIteration += 1;
      this.decodeContextTokens += decodeCount;
      while (
        this.decoding.length > 0 &&
        (this.decoding[0] as Sequence).finishIteration <= this.decodeIteration
      ) {
        const done = this.popDecoding();
        this.finish(done, endMs, out);
      }
    }
    // Prefills that completed produced their first token.
    const still: Sequence[] = [];
    this.prefilling.forEach((seq, i) => {
      seq.prefilledTokens += chunks[i] ?? 0;
      if (seq.prefilledTokens < seq.request.promptTokens) {
        still.push(seq);
        return;
      }
      seq.firstTokenMs = endMs;
      if (seq.request.outputTokens <= 1) {
        this.kvReserved -= seq.request.promptTokens + seq.request.outputTokens;
        this.completedCount += 1;
        out.push({
          outcome: 'served',
          request: seq.request,
          ttftMs: endMs - seq.request.arrivalMs,
          tpotMs: 0,
          queueMs: seq.admittedMs - seq.request.arrivalMs,
          finishMs: endMs,
        });
        return;
      }
      seq.finishIteration = this.decodeIteration + seq.request.outputTokens - 1;
      this.decodeContextTokens += seq.request.promptTokens + 1;
      this.pushDecoding(seq);
    });
    this.prefilling.length = 0;
    this.prefilling.push(...still);
  }

  private finish(seq: Sequence, endMs: number, out: CompletedRequest[]): void {
    const r = seq.request;
    this.decodeContextTokens -= r.promptTokens + r.outputTokens;
    this.kvReserved -= r.promptTokens + r.outputTokens;
    this.completedCount += 1;
    out.push({
      outcome: 'served',
      request: r,
      ttftMs: seq.firstTokenMs - r.arrivalMs,
      tpotMs: (endMs - seq.firstTokenMs) / (r.outputTokens - 1),
      queueMs: seq.admittedMs - r.arrivalMs,
      finishMs: endMs,
    });
  }

  private pushDecoding(seq: Sequence): void {
    const heap = this.decoding;
    heap.push(seq);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.before(heap[parent] as Sequence, heap[i] as Sequence)) break;
      [heap[parent], heap[i]] = [heap[i] as Sequence, heap[parent] as Sequence];
      i = parent;
    }
  }

  private popDecoding(): Sequence {
    const heap = this.decoding;
    const top = heap[0] as Sequence;
    const last = heap.pop() as Sequence;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && this.before(heap[l] as Sequence, heap[m] as Sequence)) m = l;
        if (r < heap.length && this.before(heap[r] as Sequence, heap[m] as Sequence)) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i] as Sequence, heap[m] as Sequence];
        i = m;
      }
    }
    return top;
  }

  /** Heap order: earlier finish first, then lower id, so output order is deterministic. */
  private before(a: Sequence, b: Sequence): boolean {
    return (
      a.finishIteration < b.finishIteration ||
      (a.finishIteration === b.finishIteration && a.request.id < b.request.id)
    );
  }
}
