import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import type { ClaimedKey } from './idempotency-key.record';

const ACTIVE_KEY = Symbol('idempotency:active-key');

interface ActiveKeyState {
  key: ClaimedKey;
  sideEffectStarted: boolean;
}

/**
 * The idempotency key that the current request (or recovery run) owns, held in
 * async-local storage so that the payment code can read its stable ids.
 */
@Injectable()
export class IdempotencyContext {
  constructor(private readonly cls: ClsService) {}

  /** Runs `fn` in a fresh context that owns `key`. */
  run<T>(key: ClaimedKey, fn: () => Promise<T>): Promise<T> {
    return this.cls.run({ ifNested: 'inherit' }, () => {
      // A mutable object, because transactions run in nested contexts whose own sets stay local.
      this.cls.set<ActiveKeyState>(ACTIVE_KEY, { key, sideEffectStarted: false });
      return fn();
    });
  }

  /**
   * Id of the resource the key creates. It is fixed when the key is first claimed, so
   * every retry of the key (after a timeout or a crash) creates the same payment and
   * sends the gateway the same downstream idempotency key.
   */
  resourceId(): string | undefined {
    return this.active()?.key.resourceId;
  }

  /** Records that a call with external effects (a charge) is about to be sent. */
  markSideEffectStarted(): void {
    const state = this.active();
    if (state) {
      state.sideEffectStarted = true;
    }
  }

  sideEffectStarted(): boolean {
    return this.active()?.sideEffectStarted === true;
  }

  private active(): ActiveKeyState | undefined {
    return this.cls.isActive() ? this.cls.get<ActiveKeyState>(ACTIVE_KEY) : undefined;
  }
}
