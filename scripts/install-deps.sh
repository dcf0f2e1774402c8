#!/usr/bin/env bash
# scripts/install-deps.sh — install the Debian packages lowbit needs that are missing.
#   scripts/install-deps.sh [--print] [--slurm]
# Installs with apt-get as root, or through sudo; if neither works it prints the exact
# apt-get line to run and exits 2. --print only prints what is missing. --slurm adds the
# optional group for tests/slurm/ (a single-node SLURM with accounting); their services are
# not started by the install. Waits while another apt-get/dpkg runs. A no-op re-run takes
# well under a second (dpkg-query only).
set -euo pipefail

BUILD_PKGS="build-essential cmake ninja-build pkg-config git zlib1g-dev libblis-dev libhdf5-dev
hdf5-tools libcmocka-dev libbenchmark-dev"
WORKFLOW_PKGS="snakemake python3-pygments python3-h5py python3-numpy python3-pandas
python3-matplotlib python3-yaml python3-jsonschema python3-pytest python3-pip python3-setuptools latexmk texlive-latex-base texlive-latex-recommended
texlive-pictures texlive-science lmodern poppler-utils dataset-fashion-mnist"
PEER_PKGS="python3-torch"
SLURM_PKGS="slurm-wlm munge slurmdbd mariadb-server"

print_only=0
groups="$BUILD_PKGS $WORKFLOW_PKGS $PEER_PKGS"
for arg in "$@"; do
  case $arg in
    --print) print_only=1 ;;
    --slurm) groups="$groups $SLURM_PKGS" ;;
    *) echo "install-deps: unknown option $arg (expected --print, --slurm)" >&2; exit 2 ;;
  esac
done

missing=()
for p in $groups; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$st" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi
line="apt-get install -y --no-install-recommends ${missing[*]}"
if [[ $print_only -eq 1 ]]; then
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
waited=0
while pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null || pgrep -x dpkg >/dev/null; do
  [[ $waited -eq 0 ]] && echo "install-deps: waiting for another apt-get/dpkg to finish"
  [[ $waited -ge 3600 ]] && { echo "install-deps: apt-get/dpkg still busy after 1 h" >&2; exit 2; }
  sleep 5
  waited=$((waited + 5))
done
# Daemons a package would start at install time (munge, MariaDB, SLURM) are started by the
# test that needs them, with its own configuration: forbid service starts during the install
# unless a policy already exists (containers ship one).
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]] && [[ " ${missing[*]} " =~ " "(munge|slurmdbd|slurm-wlm|mariadb-server)" " ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee $policy >/dev/null
  $SUDO chmod 755 $policy
  trap '$SUDO rm -f $policy' EXIT
fi
$SUDO apt-get update -q >/dev/null
$SUDO env DEBIAN_FRONTEND=noninteractive $line
