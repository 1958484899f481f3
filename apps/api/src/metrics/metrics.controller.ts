import { Controller, Get, Res } from '@nestjs/common';
import { Public } from '../organizations/principal';
import { MetricsService } from './metrics.service';

interface TextResponse {
  setHeader(name: string, value: string): void;
  send(body: string): void;
}

/** Prometheus scrape endpoint; no API key (scrapers reach it on the cluster network). */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Public()
  @Get('metrics')
  async scrape(@Res() res: TextResponse): Promise<void> {
    const body = await this.metrics.registry.metrics();
    res.setHeader('content-type', this.metrics.registry.contentType);
    res.send(body);
  }
}
