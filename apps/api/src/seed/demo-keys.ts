/**
 * Fixed demo keys: a development convenience, never seeded when NODE_ENV=production, and refused
 * there even if a database seeded in development holds them (they are printed in the README).
 */
export const DEMO_KEYS = {
  startup: 'pflex_demo_startup_key_for_local_development_only',
  operator: 'pflex_demo_operator_key_for_local_development_only',
  bureau: 'pflex_demo_bureau_key_for_local_development_only',
} as const;

/** Whether `key` is one of the public demo keys. */
export function isDemoKey(key: string): boolean {
  return key === DEMO_KEYS.startup || key === DEMO_KEYS.operator || key === DEMO_KEYS.bureau;
}
