import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { RUNTIME_OPTIONS, type RuntimeOptions } from './runtime-options';

/** Belongs to the root module, whose shutdown hooks run last: after the database pool has closed. */
@Injectable()
export class RuntimeShutdown implements OnApplicationShutdown {
  constructor(@Inject(RUNTIME_OPTIONS) private readonly runtime: RuntimeOptions) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.onShutdown?.();
  }
}
