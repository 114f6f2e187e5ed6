import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** Opens a route to callers without an API key (health checks, API docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
