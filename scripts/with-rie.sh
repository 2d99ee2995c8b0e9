#!/usr/bin/env bash
# Runs a command with AWS's Lambda Runtime Interface Emulator at hand: the static binary the
# pinned aws-sam-cli wheel ships (samcli/local/rapid/aws-lambda-rie-<arch>), installed into
# .venv by scripts/check-template.sh on first use. Exports INVOKE_EMULATOR (the host's
# emulator), which tools/invoke's function tests and `make invoke` run functions under.
#
#   scripts/with-rie.sh cargo test -p invoke --test functions
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CHECK_TEMPLATE_VENV:-$root/.venv}"
CHECK_TEMPLATE_INSTALL_ONLY=1 "$root/scripts/check-template.sh" >&2

case "$(uname -m)" in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "with-rie: no emulator for $(uname -m)" >&2; exit 1 ;;
esac
emulator="$(echo "$venv"/lib/python3*/site-packages/samcli/local/rapid/aws-lambda-rie-"$arch")"
if [ ! -x "$emulator" ]; then
  echo "with-rie: $emulator is missing from the aws-sam-cli install" >&2
  exit 1
fi
export INVOKE_EMULATOR="$emulator"
exec "$@"
