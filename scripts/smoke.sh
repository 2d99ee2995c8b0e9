#!/usr/bin/env bash
# Boots every deployed artifact: each arm64 bootstrap `make package` built
# (target/lambda/<fn>/bootstrap) runs under AWS's Runtime Interface Emulator through qemu-user,
# with its events/<fn>.json, against a fresh dynalite table, a fresh moto bucket and the
# Tarabut sandbox, and each answer is checked (status and shape): the function tests of
# tools/invoke/tests/functions.rs, pointed at the packaged bootstraps.
#
#   make package && make smoke
#
# Installs Debian's qemu-user-static and libc6-arm64-cross (the arm64 loader and libc the
# glibc bootstraps link) with apt-get when they are missing (as root, or through sudo).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sysroot=/usr/aarch64-linux-gnu

if ! command -v qemu-aarch64-static >/dev/null || [ ! -e "$sysroot/lib/ld-linux-aarch64.so.1" ]; then
  echo "smoke: installing qemu-user-static and libc6-arm64-cross (once)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q qemu-user-static libc6-arm64-cross >/dev/null ||
    { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q qemu-user-static libc6-arm64-cross >/dev/null; }
fi

target="${CARGO_TARGET_DIR:-$root/target}"
missing=()
for dir in functions/*/; do
  fn="$(basename "$dir")"
  [ -f "$target/lambda/$fn/bootstrap" ] || missing+=("$fn")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "smoke: no bootstrap for ${missing[*]}: run \`make package\` first" >&2
  exit 1
fi

export INVOKE_FUNCTIONS_DIR="$target/lambda"
export INVOKE_THROUGH="qemu-aarch64-static -L $sysroot"
# Each booted function's init time as the emulator reports it (under qemu: emulated, slower
# than on a Graviton core).
export INVOKE_INIT_REPORT="$target/smoke-init.txt"
rm -f "$INVOKE_INIT_REPORT"
scripts/with-rie.sh scripts/with-moto.sh scripts/with-dynalite.sh \
  cargo test --package invoke --test functions -- --test-threads 2
echo "smoke: init under the emulator (arm64 under qemu-user), ms:" >&2
sort "$INVOKE_INIT_REPORT" | awk '{printf "smoke:   %-32s %8.1f\n", $1, $2}' >&2
