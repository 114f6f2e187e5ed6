import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { assignRequestId } from './logging.config';

/** Express settings shared by main.ts and the e2e tests. */
export function configureHttp(app: INestApplication, replicaId: string): void {
  const express = app.getHttpAdapter().getInstance();
  express.disable('x-powered-by');
  // Registered before Nest's body parser, so that its errors also carry the request id.
  app.use((req: Request, res: Response, next: NextFunction) => {
    req.id = assignRequestId(req, res);
    next();
  });
  if (replicaId) {
    app.use((_req: Request, res: Response, next: NextFunction) => {
      res.setHeader('X-Replica-Id', replicaId);
      next();
    });
  }
}
