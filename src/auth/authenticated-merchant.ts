import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The merchant that the API key in the Authorization header belongs to. */
export interface AuthenticatedMerchant {
  id: string;
  name: string;
}

declare module 'express' {
  interface Request {
    merchant?: AuthenticatedMerchant;
  }
}

/** Injects the authenticated merchant; only valid on routes behind ApiKeyGuard. */
export const CurrentMerchant = createParamDecorator((_data: unknown, context: ExecutionContext) => {
  const merchant = context.switchToHttp().getRequest<Request>().merchant;
  if (!merchant) {
    throw new Error('CurrentMerchant used on a route without ApiKeyGuard');
  }
  return merchant;
});
