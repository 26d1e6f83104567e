import type { JsMsg } from '@nats-io/jetstream';
import type { EventEnvelope } from '../../envelope/index.js';
import type { Delivery, ReplayMark } from '../port.js';

/** A consumed message: its event, and the settling calls of nats.js (one object per message, no closures). */
export class JetStreamDelivery implements Delivery {
  readonly seq: number;
  readonly streamSeq: number;
  readonly deliveryCount: number;
  readonly replayId?: string;
  readonly problem?: string;
  readonly replayTarget?: string;

  constructor(
    private readonly m: JsMsg,
    readonly envelope: EventEnvelope,
    replay: ReplayMark | undefined,
    problem?: string,
  ) {
    const info = m.info;
    this.streamSeq = info.streamSequence;
    this.seq = replay?.originalSeq ?? info.streamSequence;
    this.deliveryCount = info.deliveryCount;
    if (replay !== undefined) this.replayId = replay.replayId;
    if (problem !== undefined) this.problem = problem;
    if (replay?.target !== undefined) this.replayTarget = replay.target;
  }

  // A batch that outlived the stop timeout settles on a connection already drained or closed:
  // nats.js then throws. The message was not acked, so the server redelivers it; nothing to do.
  ack(): void {
    settleQuietly(() => this.m.ack());
  }

  nak(delayMs: number): void {
    settleQuietly(() => this.m.nak(delayMs));
  }

  // nats-server 2.9 does not read a reason after +TERM (it would ignore the term); callers log it.
  term(_reason: string): void {
    settleQuietly(() => this.m.term());
  }

  working(): void {
    settleQuietly(() => this.m.working());
  }
}

function settleQuietly(settle: () => void): void {
  try {
    settle();
  } catch {
    // The connection is closed: the server redelivers the message after its ack wait.
  }
}
