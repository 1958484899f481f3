#!/usr/bin/env bash
# Refreshes infra/schemas/cnpg-cluster.schema.json: the openAPIV3Schema of CloudNativePG's
# Cluster CRD (postgresql.cnpg.io/v1), taken from the pinned CloudNativePG Go module, whose
# source tree carries the generated CRDs (config/crd/bases). The Go toolchain checks the module
# against the checksum database; this script also checks it against the pinned hash below.
# infra/infra.spec.ts validates infra/k8s/20-postgres-cluster.yaml against the committed file,
# so tests never download anything. Run it only to move to another CloudNativePG version.
set -euo pipefail
CNPG_VERSION=${CNPG_VERSION:-v1.25.1}
CNPG_SUM=${CNPG_SUM:-h1:Yc6T7ikQ1AiWXBQht+6C3DoihrIpUN2OkM1dIwqadTo=}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/infra/schemas/cnpg-cluster.schema.json"

info=$(cd "$(mktemp -d)" && go mod download -json "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION")
dir=$(node -e 'const i=JSON.parse(process.argv[1]); if(i.Error){console.error(i.Error);process.exit(1)} console.log(i.Dir)' "$info")
sum=$(node -e 'console.log(JSON.parse(process.argv[1]).Sum)' "$info")
if [ "$sum" != "$CNPG_SUM" ]; then
  echo "checksum mismatch for cloudnative-pg $CNPG_VERSION: got $sum, pinned $CNPG_SUM" >&2
  exit 1
fi
crd="$dir/config/crd/bases/postgresql.cnpg.io_clusters.yaml"
cd "$ROOT" && node -e '
const fs = require("fs");
const YAML = require("yaml");
const [crdPath, out, version, sum] = process.argv.slice(1);
const crd = YAML.parse(fs.readFileSync(crdPath, "utf8"));
const v1 = crd.spec.versions.find((v) => v.name === "v1");
const doc = {
  source: `github.com/cloudnative-pg/cloudnative-pg@${version} config/crd/bases/postgresql.cnpg.io_clusters.yaml`,
  moduleSum: sum,
  group: crd.spec.group,
  kind: crd.spec.names.kind,
  version: v1.name,
  openAPIV3Schema: v1.schema.openAPIV3Schema,
};
fs.writeFileSync(out, JSON.stringify(doc) + "\n");
console.log(`${out}: ${doc.group}/${doc.version} ${doc.kind} from ${doc.source}`);
' "$crd" "$OUT" "$CNPG_VERSION" "$sum"
