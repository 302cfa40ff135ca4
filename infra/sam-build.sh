#!/usr/bin/env bash
# `sam build` as a deploy runs it, for ARCH (default x86_64: this machine's processor; the
# arm64 standard library cannot be fetched here). cargo-lambda and zig come from the venv
# (infra/requirements-test.txt). The functions land in .aws-sam/build/<Function>/bootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
source infra/venv.sh
ARCH="${ARCH:-x86_64}"
export ARCH PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
# Builds in the source tree (no copy of target/), with the shared cargo cache.
.venv/bin/sam build --build-in-source --parameter-overrides "Architecture=$ARCH" "$@"
for f in ApiFunction IngestFunction DeliveryFunction CountersFunction; do
  test -x ".aws-sam/build/$f/bootstrap" || { echo "sam build left no bootstrap for $f" >&2; exit 1; }
done
echo "== sam build: $(ls .aws-sam/build/*/bootstrap | wc -l) functions for $ARCH in .aws-sam/build"
