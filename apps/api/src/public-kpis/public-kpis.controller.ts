import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG } from '../config';
import type { AppConfig } from '../config';
import { DashboardAssetsService } from '../dashboard/dashboard-assets.service';
import { Public } from '../security/principal';
import { TokenBucketLimiter } from '../security/rate-limiter';
import { PublicKpisService, toCsv } from './public-kpis.service';

/**
 * The bureau's public KPI page and its data, no API key needed: `/public`, `/public/kpis.json`,
 * `/public/kpis.csv`. Rate limited per client address (429 with Retry-After).
 */
@Controller('public')
@Public()
export class PublicKpisController {
  private readonly limiter: TokenBucketLimiter;

  constructor(
    private readonly svc: PublicKpisService,
    private readonly assets: DashboardAssetsService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new TokenBucketLimiter(config.publicRateLimitPerMinute ?? 120, config.now);
  }

  @Get()
  async page(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    if (!this.allowed(req, res)) return;
    const page = await this.assets.publicPage();
    if (!page) return void res.status(404).header('Content-Type', 'text/plain; charset=utf-8').send('not found');
    void res
      .header('Content-Type', page.contentType)
      .header('Cache-Control', page.cacheControl)
      .status(200)
      .send(page.body);
  }

  @Get('kpis.json')
  async json(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    if (!this.allowed(req, res)) return;
    const k = await this.svc.current();
    void res
      .header('Content-Type', 'application/json; charset=utf-8')
      .header('Cache-Control', this.cacheControl())
      .status(200)
      .send(JSON.stringify(k));
  }

  @Get('kpis.csv')
  async csv(@Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    if (!this.allowed(req, res)) return;
    const k = await this.svc.current();
    void res
      .header('Content-Type', 'text/csv; charset=utf-8')
      .header('Content-Disposition', 'attachment; filename="pflex-kpis.csv"')
      .header('Cache-Control', this.cacheControl())
      .status(200)
      .send(toCsv(k));
  }

  private cacheControl(): string {
    return `public, max-age=${Math.floor(this.svc.ttlMs / 1000)}`;
  }

  private allowed(req: FastifyRequest, res: FastifyReply): boolean {
    const r = this.limiter.take(req.ip);
    if (r.ok) return true;
    const secs = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
    void res
      .status(429)
      .header('Retry-After', String(secs))
      .header('Content-Type', 'application/json; charset=utf-8')
      .send(
        JSON.stringify({ error: 'RATE_LIMITED', message: `too many requests from this address; retry in ${secs} s` }),
      );
    return false;
  }
}
