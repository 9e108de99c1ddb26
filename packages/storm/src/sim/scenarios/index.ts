import type { Scenario } from '../../result';
import { blip } from './blip';
import { drain } from './drain';
import { flaky } from './flaky';
import { halfOpen } from './halfOpen';
import { restart } from './restart';
import { rolling } from './rolling';
import type { ScenarioDefinition } from './types';

export type { ScenarioContext, ScenarioDefinition } from './types';

export const scenarios: Record<Scenario, ScenarioDefinition> = {
  restart,
  drain,
  blip,
  'half-open': halfOpen,
  flaky,
  rolling,
};
