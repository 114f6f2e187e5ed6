import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import { PROBLEM_CONTENT_TYPE, renderProblem } from './problem-details';

/** Writes every error as application/problem+json. The one place errors become responses. */
@Catch()
@Injectable()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly logger: PinoLogger) {
    logger.setContext(ProblemDetailsFilter.name);
  }

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const { body, headers } = renderProblem(error, String(request.id ?? ''));

    if (!(error instanceof HttpException)) {
      this.logger.error({ err: error, code: body.code }, 'Request failed');
    } else if (body.status >= 500) {
      this.logger.warn({ err: error, code: body.code }, body.detail);
    } else {
      this.logger.debug({ code: body.code, status: body.status }, body.detail);
    }
    if (response.headersSent) {
      return;
    }
    response.status(body.status).set(headers).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
  }
}
