/** tok_slow delay of the shared gateway; the e2e app's gateway timeout sits below it. */
export const GATEWAY_SLOW_MS = 1500;
