import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Public } from '../security/principal';

/**
 * `/health`: liveness plus database readiness (SELECT 1 within 2 s); 503 when the database is not
 * ready (a readiness probe: take the process out of the load balancer). `/health/live`: the
 * process answers, whatever the database (a liveness probe: restarting processes does not bring
 * a database back, and every process would be restarted during a failover).
 */
@Controller()
export class HealthController {
  constructor(private readonly ds: DataSource) {}

  @Public()
  @Get('health/live')
  async live(@Res() res: FastifyReply): Promise<void> {
    await res.status(200).send({ status: 'ok', live: true });
  }

  @Public()
  @Get('health')
  async health(@Res() res: FastifyReply): Promise<void> {
    let db: 'up' | 'down' = 'down';
    // PGlite runs in this process, one session: open means up (a query would only wait behind a
    // long transaction, such as a large round's clearing, and call a busy database down)
    if (this.ds.isInitialized && (this.ds.options as { driver?: unknown } | undefined)?.driver) db = 'up';
    else if (this.ds.isInitialized) {
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
