import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ProblemException } from '../common/problem/problem.exception';
import { MerchantsService } from '../merchants/merchants.service';
import { IS_PUBLIC } from './public.decorator';

const BEARER = /^Bearer ([\x21-\x7e]{1,200})$/;

/** Requires `Authorization: Bearer <API key>` on every route not marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly merchants: MerchantsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) {
      return true;
    }

    const request = context.switchToHttp().getRequest<Request>();
    // Node keeps only the first of repeated Authorization headers, so look at all of them.
    const headers = request.headersDistinct.authorization ?? [];
    const match = headers.length === 1 ? BEARER.exec(headers[0]) : null;
    if (!match) {
      throw unauthorized('Send one Authorization header of the form "Bearer <API key>".');
    }

    const merchant = await this.merchants.findByApiKey(match[1]);
    if (!merchant) {
      throw unauthorized('The API key is not valid.');
    }
    request.merchant = { id: merchant.id, name: merchant.name };
    return true;
  }
}

function unauthorized(detail: string): ProblemException {
  return new ProblemException({
    status: 401,
    code: 'unauthorized',
    title: 'Unauthorized',
    detail,
    headers: { 'WWW-Authenticate': 'Bearer' },
  });
}
