export default async function globalTeardown(): Promise<void> {
  await (globalThis as { e2eTeardown?: () => Promise<void> }).e2eTeardown?.();
}
