# Sourced by run.sh and test.sh: installs what the platform needs on a fresh Debian/Ubuntu machine
# with apt and a Python >= 3.12 (lerobot 0.6.1 requires it). Safe to run again: each step is
# skipped when already done.
#   PYTHON         the interpreter to build .venv with (default: the newest python3.1x >= 3.12 found)
#   APT_PACKAGES   extra Debian packages the caller needs (test.sh adds chromium, postgresql, redis)
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for pkg in ffmpeg ${APT_PACKAGES:-}; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo ">> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# lerobot 0.6.1 needs Python >= 3.12; Debian 12's python3 is 3.11. Look for a 3.12+ on PATH (pyenv,
# deadsnakes, a distribution that ships it) and say exactly what to do when there is none.
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }
find_python() {
  local candidate
  for candidate in ${PYTHON:-} python3.14 python3.13 python3.12 python3 \
      "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}
# An existing .venv on an older Python (from before the lerobot 0.6 upgrade) is rebuilt.
if [ -x .venv/bin/python ] && ! python_ok .venv/bin/python; then
  echo ">> .venv runs $(.venv/bin/python -V 2>&1); lerobot 0.6.1 needs Python >= 3.12: rebuilding it"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  if ! PYTHON=$(find_python); then
    echo "error: lerobot 0.6.1 needs Python 3.12 or newer, and none was found on PATH." >&2
    echo "  Debian 13 / Ubuntu 24.04: apt-get install python3 python3-venv (3.12+)" >&2
    echo "  Debian 12 / Ubuntu 22.04: install 3.12 with pyenv (https://github.com/pyenv/pyenv)" >&2
    echo "  or deadsnakes (Ubuntu), then run again, or set PYTHON=/path/to/python3.12" >&2
    return 1 2>/dev/null || exit 1
  fi
  echo ">> creating .venv with $PYTHON ($("$PYTHON" -V 2>&1))"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null || true
    "$PYTHON" -m venv .venv
  fi
fi
# Re-install only when requirements.txt changed (lerobot pulls torch: minutes and ~6 GB the first time).
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo ">> pip install -r requirements.txt (the first time takes a few minutes: torch is large)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"
