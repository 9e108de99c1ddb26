import type { NetworkControl } from '../network';
import type { ResolvedStormOptions } from '../options';
import type { EmbeddedFleet } from '../embedded';

/** What a scenario may touch while it runs its fault. */
export interface ScenarioContext {
  options: ResolvedStormOptions;
  /** The chaos proxies in front of the servers (one per client shard). */
  net: NetworkControl;
  /** Null with an external `--target`. */
  fleet: EmbeddedFleet | null;
  /** Seeded: the same seed makes the same chaos. */
  random: () => number;
  /** Resolves after `ms`, or at the run's deadline (`durationMs` after the fault) if that comes first. */
  sleep(ms: number): Promise<void>;
  /** Time left until the run's deadline, ms (0 once passed): what a drain may still wait. */
  remainingMs(): number;
  /**
   * Resolves when at least `dropped` clients have lost their connection since the fault
   * and every client is connected and subscribed again (or the run's deadline passes).
   * Right after a node is killed its clients have not noticed yet and still count as
   * ready: `dropped` makes the wait see them go and come back. @default 0
   */
  waitForFleet(dropped?: number): Promise<void>;
  notes: string[];
  /** Records a step of the fault's timeline (shown in the run's notes). */
  mark(step: string): void;
}

export interface ScenarioDefinition {
  /**
   * Server nodes the embedded fleet starts with, all serving clients at once (more than
   * one rules out the volatile broker: each node would have its own log). A node started
   * to take over from one going away (drain, restart) does not count.
   */
  nodes: number;
  /** Needs the embedded server (it kills or drains it). */
  needsEmbedded: boolean;
  /** Every client loses its connection, so recovery means every client dropped and came back. */
  dropsEveryone: boolean;
  /**
   * `direct`: no network faults, so clients connect straight to the servers and a
   * `setTarget` points their next attempts elsewhere (what a load balancer does); the
   * client processes then carry no proxy sockets. @default 'proxy'
   */
  network?: 'proxy' | 'direct';
  /** Applies the fault; resolves when the fault phase is over (recovery is then awaited). */
  run(ctx: ScenarioContext): Promise<void>;
}
