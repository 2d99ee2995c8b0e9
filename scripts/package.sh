#!/usr/bin/env bash
# Builds what is deployed: every function as an arm64 (Graviton) Lambda bootstrap,
# target/lambda/<crate>/bootstrap, where template.yaml's CodeUri points. Installs the pinned
# cargo-lambda (scripts/lambda/requirements.txt) into .venv-lambda and the aarch64 Rust target
# on first use, builds with `cargo lambda build --profile lambda --arm64 --locked` (the release
# profile optimised for size, Cargo.toml), then checks that
# each bootstrap is a stripped aarch64 ELF executable no larger than MAX_BOOTSTRAP_BYTES and
# prints its size.
#
#   scripts/package.sh                 # every function (what `make package` runs)
#   scripts/package.sh tarabut-sync    # some functions
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
requirements="scripts/lambda/requirements.txt"
venv="${PACKAGE_VENV:-$root/.venv-lambda}"
python="${PACKAGE_PYTHON:-python3}"
# The budget for one stripped arm64 bootstrap (issue 11: 8 MB), every function alike.
max_bytes="${MAX_BOOTSTRAP_BYTES:-8000000}"
started=$SECONDS

# --- cargo-lambda and zig, pinned, in their own venv -----------------------------------------
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
stamp="$venv/.package.sha256"
if ! "$venv/bin/cargo-lambda" --version >/dev/null 2>&1 || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "package: installing the pinned cargo-lambda into $venv (once)" >&2
  "$venv/bin/python" -c '' 2>/dev/null || "$python" -m venv --clear "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements"
  echo "$want" >"$stamp"
fi
# cargo-lambda finds zig through python-zig (the ziglang wheel) on PATH.
export PATH="$venv/bin:$PATH"

if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  echo "package: adding the aarch64-unknown-linux-gnu Rust target (once)" >&2
  rustup target add aarch64-unknown-linux-gnu
fi

# --- build ---------------------------------------------------------------------------------
functions=("$@")
if [ ${#functions[@]} -eq 0 ]; then
  mapfile -t functions < <(cd functions && ls -d -- */ | tr -d /)
fi
packages=()
for fn in "${functions[@]}"; do
  [ -f "functions/$fn/Cargo.toml" ] || { echo "package: no function named $fn" >&2; exit 2; }
  packages+=(--package "$fn")
done
echo "package: cargo lambda build --profile lambda --arm64 --locked (${#functions[@]} functions)" >&2
cargo lambda build --profile lambda --arm64 --locked "${packages[@]}"

# --- check what was built ------------------------------------------------------------------
target="${CARGO_TARGET_DIR:-$root/target}"
status=0
total=0
for fn in "${functions[@]}"; do
  bootstrap="$target/lambda/$fn/bootstrap"
  # ELF header: magic, 64-bit class (byte 4 = 2), little-endian (byte 5 = 1), e_type
  # ET_EXEC or ET_DYN (bytes 16-17), e_machine EM_AARCH64 = 183 (bytes 18-19); no .symtab
  # section left (stripped).
  verdict="$("$python" - "$bootstrap" <<'PY'
import struct, sys
path = sys.argv[1]
try:
    data = open(path, "rb").read()
except OSError as e:
    print(f"missing ({e.strerror})"); sys.exit()
if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
    print("not a 64-bit little-endian ELF"); sys.exit()
e_type, e_machine = struct.unpack_from("<HH", data, 16)
if e_machine != 183:
    print(f"e_machine {e_machine}, not aarch64 (183)"); sys.exit()
if e_type not in (2, 3):
    print(f"e_type {e_type}, not an executable"); sys.exit()
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
types = [struct.unpack_from("<I", data, shoff + i * shentsize + 4)[0] for i in range(shnum)]
if 2 in types:  # SHT_SYMTAB
    print("not stripped (has .symtab)"); sys.exit()
print("ok")
PY
)"
  if [ "$verdict" != ok ]; then
    echo "package: $bootstrap: $verdict" >&2
    status=1
    continue
  fi
  bytes="$(stat -c %s "$bootstrap")"
  total=$((total + bytes))
  flag=""
  budget="$max_bytes"
  if [ "$bytes" -gt "$budget" ]; then
    flag="  OVER the budget of $budget bytes"
    status=1
  fi
  printf 'package: %-32s aarch64 ELF, stripped, %9d bytes (%.1f MB)%s\n' "$fn" "$bytes" \
    "$(echo "$bytes" | awk '{print $1 / 1e6}')" "$flag"
done
echo "package: ${#functions[@]} bootstraps, $total bytes in all, took $((SECONDS - started)) s" >&2
exit "$status"
