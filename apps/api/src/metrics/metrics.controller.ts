import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../security/principal';
import { MetricsService } from './metrics.service';

/** Prometheus scrape endpoint; no API key (scrapers reach it on the cluster network). */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Public()
  @Get('metrics')
  async scrape(@Res() res: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    await res.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
