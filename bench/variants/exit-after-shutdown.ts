/*
 * Preload (node --require) for a replica profiled with --cpu-prof. Nest's shutdown hooks
 * end the process by raising SIGTERM again once the app has closed, and a process killed
 * by a signal never writes its profile. This listener keeps that second SIGTERM from
 * killing the process and exits normally instead, so the profile is written.
 */
export {};

let received = 0;
process.on('SIGTERM', () => {
  received += 1;
  if (received > 1) {
    process.exit(0);
  }
});
