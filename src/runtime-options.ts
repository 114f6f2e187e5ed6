export const RUNTIME_OPTIONS = Symbol('RUNTIME_OPTIONS');

/** Addresses resolved at start-up, after the embedded database or mock gateway may have started. */
export interface RuntimeOptions {
  databaseUrl: string;
  gatewayUrl: string;
  /** Stops processes that start-up launched (embedded database, mock gateway) once the app has closed. */
  onShutdown?: () => Promise<void>;
}
