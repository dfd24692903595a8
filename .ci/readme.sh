#!/usr/bin/env bash
# Runs the README's fresh-machine commands, as written there, on a Python
# that refuses installs outside a virtual environment (PEP 668), in a copy
# of this checkout: what a newcomer on Debian or Ubuntu does.
#
#   bash .ci/readme.sh
#
# The commands are read from the README's first ```sh block, so they cannot
# drift from what the README says. The Python is the distribution's
# /usr/bin/python3 (Debian ships it with an EXTERNALLY-MANAGED marker);
# when it is missing, or has no venv module, it is installed from the system
# packages (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "readme.sh: $*" >&2; }
SYSTEM_PYTHON=/usr/bin/python3

has_marker() {
  [[ -x $SYSTEM_PYTHON ]] && "$SYSTEM_PYTHON" -c '
import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'
}

if ! has_marker || ! "$SYSTEM_PYTHON" -c "import ensurepip, venv" 2>/dev/null; then
  [[ $(id -u) -eq 0 ]] || { log "need Debian's python3 and python3-venv, and root to install them"; exit 1; }
  log "installing python3 and python3-venv from the system packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
fi
has_marker || { log "$SYSTEM_PYTHON has no EXTERNALLY-MANAGED marker: not a PEP 668 Python"; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A copy of the checkout as a clone would have it (tracked and new files, not
# ignored ones), with uncommitted edits, so a local run checks the work tree.
mkdir "$WORK/checkout"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  xargs -0 cp --parents -t "$WORK/checkout"

"$SYSTEM_PYTHON" - README.md > "$WORK/commands.sh" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
print(re.search(r"```sh\n(.*?)```", text, re.S).group(1), end="")
EOF
log "the README's commands:"
sed 's/^/    /' "$WORK/commands.sh" >&2

# `python3` is the PEP 668 one, and nothing of this machine's Python leaks in.
mkdir "$WORK/bin"
ln -s "$SYSTEM_PYTHON" "$WORK/bin/python3"
cd "$WORK/checkout"
env -u PYTHONPATH -u PYTHONHOME -u VIRTUAL_ENV PATH="$WORK/bin:/usr/bin:/bin" \
  A3S_STORE_ROOT="$WORK/demo-store" bash -euo pipefail "$WORK/commands.sh"
