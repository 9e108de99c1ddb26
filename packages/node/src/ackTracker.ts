import type { Position } from '@lifeline/core';

interface Pending<T> {
  seq: number;
  position: Position;
  acked: boolean;
  item: T;
}

/**
 * Tracks messages handed to a consumer in delivery order. Acks may come in any
 * order; the acknowledged position only moves over a contiguous acked prefix, so a
 * checkpoint never skips a message that is still being processed.
 */
export class AckTracker<T = unknown> {
  private pending: Pending<T>[] = [];
  private lastSeq = 0;
  private prefixSeq = 0;
  private prefixPosition: Position | null;

  /** `startSeq`: the last sequence number used before (numbering goes on after it). */
  constructor(start: Position | null = null, startSeq = 0) {
    this.prefixPosition = start;
    this.lastSeq = this.prefixSeq = startSeq;
  }

  /** Sequence number of the last delivered message (1-based, 0 before any). */
  get deliveredSeq(): number {
    return this.lastSeq;
  }

  /** Sequence number up to which every delivered message is acknowledged. */
  get ackedSeq(): number {
    return this.prefixSeq;
  }

  /** Position of the last message of the acknowledged prefix. */
  get position(): Position | null {
    return this.prefixPosition;
  }

  /** Delivered and not yet acknowledged (or acknowledged behind an unacked one). */
  get outstanding(): number {
    return this.pending.length;
  }

  /** Records a delivery; returns its sequence number. */
  deliver(position: Position, item: T): number {
    this.lastSeq += 1;
    this.pending.push({ seq: this.lastSeq, position, acked: false, item });
    return this.lastSeq;
  }

  /** Marks `seq` acknowledged; returns true when the acknowledged prefix moved. */
  ack(seq: number): boolean {
    const entry = this.pending.find((p) => p.seq === seq);
    if (!entry || entry.acked) return false;
    entry.acked = true;
    let moved = false;
    while (this.pending.length > 0 && this.pending[0]!.acked) {
      const done = this.pending.shift()!;
      this.prefixSeq = done.seq;
      this.prefixPosition = done.position;
      moved = true;
    }
    return moved;
  }

  /** Empties the tracker: what was delivered but is not in the acknowledged prefix, in order. */
  takePending(): Array<{ item: T; acked: boolean }> {
    const rest = this.pending.map(({ item, acked }) => ({ item, acked }));
    this.pending = [];
    return rest;
  }
}
