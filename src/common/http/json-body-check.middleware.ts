import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ProblemException } from '../problem/problem.exception';
import { findUnacceptableJson } from './json-body-check';

/** Rejects a parsed body that could not be stored or walked safely, before any route handler runs. */
@Injectable()
export class JsonBodyCheckMiddleware implements NestMiddleware {
  use(req: Request, _res: Response, next: NextFunction): void {
    const problem = req.body === undefined ? undefined : findUnacceptableJson(req.body);
    if (problem) {
      throw new ProblemException({
        status: 400,
        code: 'validation_failed',
        title: 'Invalid request',
        detail: `The request body cannot be accepted: ${problem}.`,
        extensions: { errors: [problem] },
      });
    }
    next();
  }
}
