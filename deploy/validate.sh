#!/usr/bin/env bash
# Validates Kubernetes manifests against the Kubernetes OpenAPI schemas
# (core kinds only; KEDA kinds are checked against their CRDs in Rust).
#
#   deploy/validate.sh FILE_OR_DIR...
#
# Uses the `kubernetes-validate` PyPI package in strict mode (unknown fields
# are errors) for Kubernetes $K8S_VERSION (default 1.30.0). The package is
# installed on first use into the venv at $OMEGA_K8S_VENV (default: the
# test venv <repo>/.venv, where scripts/test installs it).
set -euo pipefail

k8s_version="${K8S_VERSION:-1.30.0}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${OMEGA_K8S_VENV:-$root/.venv}"
kv="$venv/bin/kubernetes-validate"

if [ ! -x "$kv" ]; then
  echo "installing kubernetes-validate into $venv" >&2
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "kubernetes-validate==1.37.0"
fi

if [ "$#" -eq 0 ]; then
  echo "usage: $0 FILE_OR_DIR..." >&2
  exit 2
fi

files=()
for arg in "$@"; do
  if [ -d "$arg" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$arg" -name '*.yaml' | sort)
  else
    files+=("$arg")
  fi
done

exec "$kv" --strict --kubernetes-version "$k8s_version" "${files[@]}"
