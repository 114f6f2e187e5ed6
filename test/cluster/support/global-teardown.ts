/** Stops what the cluster global setup started; nothing when the tests ran against an existing stack. */
export default async function globalTeardown(): Promise<void> {
  await (globalThis as { clusterTeardown?: () => Promise<void> }).clusterTeardown?.();
}
