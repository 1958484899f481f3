/** The domain rules, one home each, shared by the scheduler, the API, KPIs, metrics and vouchers. */
export * from './units';
export * from './green-share';
export * from './price';
export * from './limits';
export * from './grid';
export * from './fingerprint';
export * from './text';
export * from './date-time';
