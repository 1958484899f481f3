import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadManifests, validateManifest, cnpgSchema } from './manifests';

const ROOT = join(__dirname, '..');
const IMAGE = 'pflex/api';
const VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

const manifests = loadManifests();
const byKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const one = (kind: string) => {
  const found = byKind(kind);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('Kubernetes manifests (infra/k8s)', () => {
  it('holds every kind the deployment needs', () => {
    const kinds = manifests.map((m) => `${m.doc.apiVersion} ${m.doc.kind}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'v1 Namespace',
        'v1 ConfigMap',
        'v1 Secret',
        'apps/v1 Deployment',
        'v1 Service',
        'autoscaling/v2 HorizontalPodAutoscaler',
        'batch/v1 Job',
        'policy/v1 PodDisruptionBudget',
        'postgresql.cnpg.io/v1 Cluster',
      ]),
    );
  });

  it.each(manifests.map((m) => [`${m.file}#${m.index} ${m.doc.kind}/${m.doc.metadata?.name}`, m.doc]))(
    '%s is valid against its schema',
    (_name, doc) => {
      expect(validateManifest(doc as Record<string, unknown>)).toEqual([]);
    },
  );

  it('rejects a Deployment with a wrong field type or a missing required field', () => {
    const good = one('Deployment');
    const wrongType = clone(good);
    wrongType.spec.replicas = 'three';
    expect(validateManifest(wrongType).join('\n')).toMatch(/replicas must be integer/);
    const noSelector = clone(good);
    delete noSelector.spec.selector;
    expect(validateManifest(noSelector).join('\n')).toMatch(/selector/);
    const noImage = clone(good);
    noImage.spec.template.spec.containers = [{ image: 'x' }];
    expect(validateManifest(noImage).join('\n')).toMatch(/name/);
  });

  it('rejects a broken HPA and a broken Job', () => {
    const hpa = clone(one('HorizontalPodAutoscaler'));
    delete hpa.spec.maxReplicas;
    expect(validateManifest(hpa).join('\n')).toMatch(/maxReplicas/);
    const job = clone(one('Job'));
    job.spec.backoffLimit = { n: 3 };
    expect(validateManifest(job).join('\n')).toMatch(/backoffLimit/);
  });

  it('checks the CloudNativePG Cluster against the CRD schema and rejects a broken one', () => {
    expect(cnpgSchema().source).toMatch(/cloudnative-pg@v\d+\.\d+\.\d+/);
    const cluster = one('Cluster');
    const noInstances = clone(cluster);
    noInstances.spec.instances = 'three';
    expect(validateManifest(noInstances).join('\n')).toMatch(/instances/);
    const unknown = clone(cluster);
    unknown.spec.storage.sizeInGigs = 100;
    expect(validateManifest(unknown).join('\n')).toMatch(/additional properties/);
    const noSpec = clone(cluster);
    noSpec.spec.bootstrap.initdb.secret = {};
    expect(validateManifest(noSpec).join('\n')).toMatch(/name/);
  });

  it('refuses a kind for which no schema is carried', () => {
    expect(() => validateManifest({ apiVersion: 'example.com/v1', kind: 'Gadget' })).toThrow(/no schema/);
  });

  it('wires the Deployment: probes on /health and /health/live, resources, env from ConfigMap and Secret', () => {
    const dep = one('Deployment');
    const [c] = dep.spec.template.spec.containers;
    for (const probe of ['startupProbe', 'readinessProbe']) expect(c[probe].httpGet.path).toBe('/health');
    // liveness must not follow the database: an outage would restart every pod
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.resources.requests.cpu).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    const secret = byKind('Secret').find(
      (s) => s.metadata.name === c.envFrom.find((e: any) => e.secretRef).secretRef.name,
    );
    expect(Object.keys(secret!.stringData).sort()).toEqual(['BUREAU_API_KEY', 'DATABASE_URL']);
    expect(c.envFrom.find((e: any) => e.configMapRef).configMapRef.name).toBe(one('ConfigMap').metadata.name);
    expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(one('Service').spec.selector).toEqual(dep.spec.selector.matchLabels);
    expect(one('HorizontalPodAutoscaler').spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: dep.metadata.name,
    });
    // DATABASE_URL points at the CloudNativePG read-write service of the Cluster.
    expect(secret!.stringData.DATABASE_URL).toContain(`${one('Cluster').metadata.name}-rw.`);
  });

  it('runs migrations as a Job with the same image and the migrations entry point', () => {
    const [c] = one('Job').spec.template.spec.containers;
    expect(c.image).toBe(one('Deployment').spec.template.spec.containers[0].image);
    expect(c.command).toEqual(['node', 'dist/apps/api/src/migrate.js']);
  });

  it('exposes only public paths through the Ingress and lets Prometheus scrape the pods', () => {
    const paths = one('Ingress').spec.rules.flatMap((r: any) =>
      r.http.paths.map((p: any) => `${p.pathType} ${p.path}`),
    );
    expect(paths.sort()).toEqual(['Exact /', 'Exact /health', 'Prefix /assets', 'Prefix /graphql', 'Prefix /public']);
    expect(one('Deployment').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/path': '/metrics',
    });
  });

  it('puts every namespaced object in the pflex namespace', () => {
    const ns = one('Namespace').metadata.name;
    for (const m of manifests.filter((x) => x.doc.kind !== 'Namespace')) expect(m.doc.metadata.namespace).toBe(ns);
  });
});

describe('Dockerfile (infra/Dockerfile)', () => {
  const text = readFileSync(join(__dirname, 'Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages = lines.filter((l) => /^FROM\s/i.test(l));
  const runtimeStart = lines.lastIndexOf(stages[stages.length - 1]);
  const runtime = lines.slice(runtimeStart);

  it('is multi-stage and the runtime stage copies only the build output', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^RUN npm ci\b(?!.*--omit)/.test(l))).toBe(true);
    expect(lines.some((l) => /^RUN npm run build\b/.test(l))).toBe(true);
    expect(runtime.some((l) => /^COPY --from=build \/app\/dist/.test(l))).toBe(true);
    expect(runtime.some((l) => /^COPY (apps|libs)\b/.test(l))).toBe(false);
  });

  it('installs production dependencies only, runs as non-root, exposes 3000 with a /health check', () => {
    expect(runtime.some((l) => /^RUN npm ci --omit=dev\b/.test(l))).toBe(true);
    const user = runtime.filter((l) => /^USER\s/.test(l)).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(\s|:|$)/);
    expect(runtime).toContain('EXPOSE 3000');
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK'))).toContain('/health');
    expect(runtime.find((l) => l.startsWith('CMD'))).toBe(
      'CMD ["node", "--max-old-space-size=512", "dist/apps/api/src/main.js"]',
    );
  });

  it(`labels the image it builds as ${IMAGE}`, () => {
    expect(runtime.find((l) => l.startsWith('LABEL'))).toContain(`org.opencontainers.image.title="${IMAGE}"`);
  });
});

describe('docker-compose.yml (infra)', () => {
  const compose = parse(readFileSync(join(__dirname, 'docker-compose.yml'), 'utf8'));
  const s = compose.services;

  it('has PostgreSQL 15, a migrations step, N API replicas and an nginx load balancer', () => {
    expect(Object.keys(s).sort()).toEqual(['api', 'lb', 'migrate', 'postgres']);
    expect(s.postgres.image).toMatch(/^postgres:15\b/);
    expect(s.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    expect(String(s.api.deploy.replicas)).toMatch(/^(\d+|\$\{API_REPLICAS:-\d+\})$/);
    expect(s.api.ports).toBeUndefined(); // replicas are reached only through the load balancer
    expect(s.lb.image).toMatch(/^nginx:/);
    expect(s.lb.ports).toHaveLength(1);
    expect(s.migrate.command).toEqual(['node', 'dist/apps/api/src/migrate.js']);
    expect(s.api.depends_on.migrate.condition).toBe('service_completed_successfully');
    expect(s.migrate.depends_on.postgres.condition).toBe('service_healthy');
  });

  it('passes DATABASE_URL (to the postgres service) and BUREAU_API_KEY to the API', () => {
    for (const svc of [s.api, s.migrate]) {
      expect(svc.environment.DATABASE_URL).toMatch(/^postgres:\/\/[^@]+@postgres:5432\//);
      expect(svc.environment.BUREAU_API_KEY).toMatch(/^\$\{BUREAU_API_KEY/);
    }
  });

  it('load-balances over the api service in the mounted nginx config', () => {
    const mount = s.lb.volumes.find((v: string) => v.endsWith(':/etc/nginx/nginx.conf:ro'));
    const conf = readFileSync(join(__dirname, mount.split(':')[0]), 'utf8');
    expect(conf).toMatch(/upstream pflex_api \{[^}]*server api:3000/);
    expect(conf).toMatch(/proxy_pass http:\/\/pflex_api/);
    expect(conf).toMatch(/proxy_set_header Upgrade \$http_upgrade/);
    // the browser's Host with its port: the API's same-origin WebSocket check compares it with Origin
    expect(conf).toMatch(/proxy_set_header Host \$http_host;/);
    expect(conf).toMatch(/location = \/metrics \{\s*return 404;/);
  });

  it(`names the image the Dockerfile builds, ${IMAGE}:${VERSION}, everywhere`, () => {
    expect(s.migrate.build).toEqual({ context: '..', dockerfile: 'infra/Dockerfile' });
    const tag = (ref: string) => ref.replace(/\$\{PFLEX_TAG:-([^}]+)\}/, '$1');
    expect(tag(s.migrate.image)).toBe(`${IMAGE}:${VERSION}`);
    expect(tag(s.api.image)).toBe(`${IMAGE}:${VERSION}`);
    const k8sImages = manifests.flatMap((m) => m.doc.spec?.template?.spec?.containers ?? []).map((c: any) => c.image);
    expect(k8sImages.length).toBeGreaterThanOrEqual(2);
    for (const img of k8sImages) expect(img).toBe(`${IMAGE}:${VERSION}`);
  });
});
