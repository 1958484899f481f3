import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../security/principal';

/** Liveness plus database readiness (SELECT 1 within 2 s); 503 when the database is not ready. */
@Controller()
export class HealthController {
  constructor(private readonly ds: DataSource) {}

  @Public()
  @Get('health')
  async health(@Res() res: FastifyReply): Promise<void> {
    let db: 'up' | 'down' = 'down';
    if (this.ds.isInitialized) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          this.ds.query('SELECT 1'),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), 2000);
          }),
        ]);
        db = 'up';
      } catch {
        db = 'down';
      } finally {
        clearTimeout(timer);
      }
    }
    await res
      .status(db === 'up' ? 200 : 503)
      .send({ status: db === 'up' ? 'ok' : 'unavailable', live: true, database: db });
  }
}
