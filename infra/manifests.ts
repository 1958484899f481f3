// Offline validation of infra/k8s/*.yaml. Built-in kinds are checked with the ajv validators that
// the npm package kubernetes-models generates from the Kubernetes OpenAPI schemas; CloudNativePG's
// Cluster is checked against the openAPIV3Schema of its CRD (infra/schemas, extracted from the
// pinned CloudNativePG module by infra/scripts/cnpg-schema.sh). Nothing is fetched at run time.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';

export const K8S_DIR = join(__dirname, 'k8s');
export const CNPG_SCHEMA_FILE = join(__dirname, 'schemas', 'cnpg-cluster.schema.json');

export interface Manifest {
  file: string;
  index: number;
  doc: Record<string, any>;
}

export function loadManifests(dir = K8S_DIR): Manifest[] {
  const out: Manifest[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    const docs = parseAllDocuments(readFileSync(join(dir, file), 'utf8'));
    docs.forEach((d, index) => {
      if (d.errors.length > 0) throw new Error(`${file}#${index}: ${d.errors[0].message}`);
      const doc = d.toJS();
      if (doc !== null && doc !== undefined) out.push({ file, index, doc });
    });
  }
  return out;
}

/** kubernetes-models module path for an apiVersion/kind: core "v1" -> "v1", "apps/v1" -> "apps/v1". */
function modelPath(apiVersion: string, kind: string): string {
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * Validates one object. Returns a list of error strings (empty when valid).
 * Throws when the kind is unknown to both the Kubernetes models and the CRD schemas we carry.
 */
export function validateManifest(doc: Record<string, any>): string[] {
  const { apiVersion, kind } = doc ?? {};
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return ['apiVersion and kind must be strings'];
  if (apiVersion === 'postgresql.cnpg.io/v1' && kind === 'Cluster') return validateCnpgCluster(doc);
  let mod: Record<string, any>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modelPath(apiVersion, kind));
  } catch {
    throw new Error(`no schema carried for ${apiVersion} ${kind}`);
  }
  const Model = mod[kind];
  try {
    new Model(doc).validate();
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

let cnpgValidate: ValidateFunction | undefined;

/**
 * The API server rejects unknown fields under strict field validation (kubectl's default since
 * 1.27 warns, --validate=strict rejects); a CRD's structural schema does not say so itself, so
 * every object schema with listed properties is closed here unless it preserves unknown fields.
 */
function closeObjects(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [k, v] of Object.entries(schema)) out[k] = closeObjects(v);
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

export function cnpgSchema(): { source: string; openAPIV3Schema: any } {
  return JSON.parse(readFileSync(CNPG_SCHEMA_FILE, 'utf8'));
}

function validateCnpgCluster(doc: Record<string, any>): string[] {
  if (!cnpgValidate) {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const schema = closeObjects(cnpgSchema().openAPIV3Schema);
    // metadata is the generic ObjectMeta, left open by the CRD.
    schema.properties.metadata = { type: 'object' };
    cnpgValidate = ajv.compile(schema);
  }
  if (cnpgValidate(doc)) return [];
  return (cnpgValidate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}
