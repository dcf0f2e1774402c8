#!/usr/bin/env bash
# scripts/install-deps.sh — install the Debian packages lowbit needs that are missing.
#   scripts/install-deps.sh [--print]
# Installs with apt-get as root, or through sudo; if neither works it prints the exact
# apt-get line to run and exits 2. --print only prints what is missing. A no-op re-run takes
# well under a second (dpkg-query only).
set -euo pipefail

BUILD_PKGS="build-essential cmake ninja-build pkg-config git zlib1g-dev libblis-dev libhdf5-dev
hdf5-tools libcmocka-dev libbenchmark-dev"
WORKFLOW_PKGS="snakemake python3-pygments python3-h5py python3-numpy python3-pandas
python3-matplotlib python3-yaml python3-jsonschema python3-pytest latexmk texlive-latex-base texlive-latex-recommended
texlive-pictures texlive-science lmodern poppler-utils dataset-fashion-mnist"
PEER_PKGS="python3-torch"

missing=()
for p in $BUILD_PKGS $WORKFLOW_PKGS $PEER_PKGS; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ "${1:-}" == "--print" ]]; then
  echo "install-deps: missing: ${missing[*]}"
  exit 0
fi
echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if [[ $(id -u) -eq 0 ]]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  echo "install-deps: not root and no password-less sudo; run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 2
fi
$SUDO apt-get update -q >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive $line
