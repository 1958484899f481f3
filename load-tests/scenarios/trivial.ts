// The same servers' throughput on a trivial query, the yardstick for the booking throughput.
import { body, classify, DOCS } from '../lib/api';
import type { Executor, ScenarioSpec } from '../lib/engine';

export function trivialQuery(name: string, targets: string[], executor: Executor): ScenarioSpec {
  const payload = body(DOCS.trivial);
  const headers = { 'content-type': 'application/json' };
  return {
    name,
    targets,
    executor,
    next: () => ({ op: 'trivial', body: payload, headers }),
    classify,
    thresholds: [{ metric: 'error_rate', max: 0 }],
  };
}
