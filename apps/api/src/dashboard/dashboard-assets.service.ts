import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Plain file names only: no slashes, no dot segments, so a request never leaves its folder. */
const SAFE_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(html|css|js|svg)$/;

/**
 * The dashboard's files: the page from apps/api/dashboard-web (copied next to the compiled code
 * by `npm run build`, so the same relative path works from source and from dist) and two browser
 * builds from node_modules (ECharts, the graphql-ws client): the machine serving it has no CDN.
 */
@Injectable()
export class DashboardAssetsService {
  private readonly webDir = join(__dirname, '..', '..', 'dashboard-web');
  private readonly echartsFile = join(dirname(require.resolve('echarts/package.json')), 'dist', 'echarts.min.js');
  // 'graphql-ws' resolves to dist/index.cjs; its ESM client and chunks sit in the same folder
  private readonly graphqlWsDir = dirname(require.resolve('graphql-ws'));
  private readonly cache = new Map<string, Promise<Asset | null>>();

  page(): Promise<Asset | null> {
    return this.load(join(this.webDir, 'index.html'), 'no-cache');
  }

  /** The public KPI page (served at /public). */
  publicPage(): Promise<Asset | null> {
    return this.load(join(this.webDir, 'public.html'), 'no-cache');
  }

  own(name: string): Promise<Asset | null> {
    if (!SAFE_NAME.test(name) || extname(name) === '.html') return Promise.resolve(null);
    return this.load(join(this.webDir, name), 'no-cache');
  }

  echarts(): Promise<Asset | null> {
    return this.load(this.echartsFile, 'public, max-age=86400');
  }

  graphqlWs(name: string): Promise<Asset | null> {
    if (!SAFE_NAME.test(name) || extname(name) !== '.js') return Promise.resolve(null);
    return this.load(join(this.graphqlWsDir, name), 'public, max-age=86400');
  }

  private load(file: string, cacheControl: string): Promise<Asset | null> {
    let hit = this.cache.get(file);
    if (!hit) {
      hit = readFile(file).then(
        (body) => ({ body, contentType: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', cacheControl }),
        () => null,
      );
      this.cache.set(file, hit);
    }
    return hit;
  }
}
