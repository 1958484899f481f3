// The load runner's command-line options (npm run load -- --help lists them).
import { readOptions, type OptionDef } from './cli';

const OPTIONS = {
  replicas: { kind: 'integer', min: 1, arg: 'N', help: 'API processes on ports from --port-base (default 2)' },
  short: { kind: 'flag', help: 'CI size: well under a minute of load' },
  rate: { kind: 'number', min: 0.1, arg: 'R', help: 'storm arrivals per second (default 500; 40 with --short)' },
  duration: { kind: 'number', min: 0.1, arg: 'S', help: 'seconds of every phase but the soak (default per phase)' },
  'no-build': { kind: 'flag', help: 'reuse dist/ instead of npm run build' },
  keep: { kind: 'flag', help: "keep the run's schema for inspection" },
  'port-base': { kind: 'integer', min: 1, arg: 'P', help: 'first port to try (default 3001)' },
  startups: { kind: 'integer', min: 1, arg: 'N', help: 'startups created in setup (default 200)' },
  subscribers: {
    kind: 'integer',
    min: 0,
    arg: 'N',
    help: 'operator WebSocket subscribers during the storm (default 50; 10 with --short)',
  },
  only: {
    kind: 'list',
    arg: 'a,b',
    help: 'a subset of phases: trivial, storm, max, hotspot, mix, quotes, round, kpis',
  },
  vus: {
    kind: 'integer',
    min: 1,
    arg: 'N',
    help: 'closed-loop virtual users per API process (default 32; 8 with --short)',
  },
  soak: {
    kind: 'integer',
    min: 1,
    arg: 'S',
    help: 'add a soak phase of S seconds (marketplace mix, API RSS sampled every 10 s)',
  },
  'round-size': {
    kind: 'integer',
    min: 1,
    arg: 'N',
    help: 'requests in the clearing round (default 10,000; 1,000 with --short)',
  },
} satisfies Record<string, OptionDef>;

export interface Options {
  replicas: number;
  short: boolean;
  rate: number;
  duration: number;
  build: boolean;
  keep: boolean;
  portBase: number;
  startups: number;
  subscribers: number;
  /** Closed-loop virtual users per API process (default 32; 8 with --short). */
  vusPerProcess?: number;
  only?: string[];
  /** seconds of the soak phase (0: none) */
  soak: number;
  /** requests in the clearing-round phase (default 10,000; 1,000 with --short) */
  roundSize?: number;
}

export function parseOptions(argv: string[]): Options {
  const a = readOptions(argv, OPTIONS, 'npm run load [-- options]   (npm run load:short: the CI size)');
  return {
    replicas: a.replicas ?? 2,
    short: a.short ?? false,
    rate: a.rate ?? 0,
    duration: a.duration ?? 0,
    build: !a['no-build'],
    keep: a.keep ?? false,
    portBase: a['port-base'] ?? 3001,
    startups: a.startups ?? 200,
    subscribers: a.subscribers ?? 50,
    soak: a.soak ?? 0,
    ...(a.vus !== undefined && { vusPerProcess: a.vus }),
    ...(a.only !== undefined && { only: a.only }),
    ...(a['round-size'] !== undefined && { roundSize: a['round-size'] }),
  };
}
