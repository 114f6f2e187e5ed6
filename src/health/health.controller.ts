import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { DatabaseHealthIndicator } from './database-health.indicator';
import { ShutdownDrain } from './shutdown-drain';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly drain: ShutdownDrain,
  ) {}

  /** Reports that the process is up. It checks no dependency, so a database outage does not restart replicas. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** Reports readiness for traffic: the database is reachable and the process is not draining. */
  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.drain.isDraining()) {
      throw new ServiceUnavailableException('Draining before shutdown');
    }
    return this.health.check([() => this.database.isReachable('database')]);
  }
}
