import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { EnvironmentVariables } from './environment';

/**
 * Typed access to the validated environment: `get('PORT')` returns a number.
 * Registered as an alias of ConfigService, so both share one validated store.
 */
@Injectable()
export class AppConfig extends ConfigService<EnvironmentVariables, true> {}
