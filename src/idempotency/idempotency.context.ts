import { Injectable } from '@nestjs/common';
import { ClsService } from 'nestjs-cls';
import type { ClaimedKey } from './idempotency-key.record';

const ACTIVE_KEY = Symbol('idempotency:active-key');
const SIDE_EFFECT_STARTED = Symbol('idempotency:side-effect-started');

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
      this.cls.set(ACTIVE_KEY, key);
      this.cls.set(SIDE_EFFECT_STARTED, false);
      return fn();
    });
  }

  /**
   * Id of the resource the key creates. It is fixed when the key is first claimed, so
   * every retry of the key (after a timeout or a crash) creates the same payment and
   * sends the gateway the same downstream idempotency key.
   */
  resourceId(): string | undefined {
    return this.active()?.resourceId;
  }

  /** Records that a call with external effects (a charge) is about to be sent. */
  markSideEffectStarted(): void {
    if (this.active()) {
      this.cls.set(SIDE_EFFECT_STARTED, true);
    }
  }

  sideEffectStarted(): boolean {
    return this.cls.isActive() && this.cls.get<boolean>(SIDE_EFFECT_STARTED) === true;
  }

  private active(): ClaimedKey | undefined {
    return this.cls.isActive() ? this.cls.get<ClaimedKey>(ACTIVE_KEY) : undefined;
  }
}
