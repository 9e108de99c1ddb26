import { StormError } from '../errors';
import { SCENARIOS, type Scenario } from '../result';
import { scenarios } from './scenarios';

/** What a scenario that needs the embedded server does to it: why `--target` cannot stand in. */
const SERVER_FAULT: Partial<Record<Scenario, string>> = {
  restart: 'kills the server and starts it again',
  drain: 'drains the server for a new node',
  rolling: 'replaces each of its two nodes in turn',
};

/**
 * Refuses (`UNSUPPORTED_SCENARIO`) a `target` for a scenario that takes down the server
 * storm runs. Shared by `runStorm` and the CLI, which checks it before anything starts:
 * `rolling --compare … --target …` used to fail as "run 1/2 failed", and every such
 * scenario said it "restarts the server", drain and rolling included.
 */
export function checkTargetScenario(scenario: Scenario, target: string | undefined): void {
  if (target === undefined || !scenarios[scenario].needsEmbedded) return;
  const external = SCENARIOS.filter((s) => !scenarios[s].needsEmbedded);
  const list = `${external.slice(0, -1).join(', ')} or ${external[external.length - 1]}`;
  throw new StormError('UNSUPPORTED_SCENARIO', `scenario ${scenario} ${SERVER_FAULT[scenario] ?? 'takes down the server it runs'}, so it needs the embedded one: drop --target (against an external server: ${list})`);
}
