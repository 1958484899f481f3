import { Controller, Get, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Public } from '../security/principal';
import { Asset, DashboardAssetsService } from './dashboard-assets.service';

type RawResponse = FastifyReply;

/**
 * The operators' and bureau's dashboard: a static page and its scripts. Public, because the page
 * holds no data: it asks /graphql with the API key the user types in.
 */
@Controller()
@Public()
export class DashboardController {
  constructor(private readonly assets: DashboardAssetsService) {}

  @Get()
  async page(@Res() res: RawResponse): Promise<void> {
    send(res, await this.assets.page());
  }

  @Get('assets/vendor/echarts.min.js')
  async echarts(@Res() res: RawResponse): Promise<void> {
    send(res, await this.assets.echarts());
  }

  @Get('assets/vendor/graphql-ws/:file')
  async graphqlWs(@Param('file') file: string, @Res() res: RawResponse): Promise<void> {
    send(res, await this.assets.graphqlWs(file));
  }

  @Get('assets/:file')
  async own(@Param('file') file: string, @Res() res: RawResponse): Promise<void> {
    send(res, await this.assets.own(file));
  }
}

function send(res: RawResponse, asset: Asset | null): void {
  res.header('X-Content-Type-Options', 'nosniff');
  if (!asset) {
    void res.header('Content-Type', 'text/plain; charset=utf-8').status(404).send('not found');
    return;
  }
  void res
    .header('Content-Type', asset.contentType)
    .header('Cache-Control', asset.cacheControl)
    .status(200)
    .send(asset.body);
}
