#!/usr/bin/env bash
# Installs every build and run dependency of metarl from Debian's packages.
# Skips apt entirely when everything is already present, so re-runs are fast.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # LibTorch (agents/, meta/, experiments/)
  libgloo-dev             # the headers of LibTorch's ProcessGroupGloo (agents/communicator.cc)
  libopenblas0-pthread    # without it libblas.so.3 is the slow reference BLAS (~17x slower matmul)
  libmujoco-dev libqhull-dev  # MuJoCo; its CMake config needs qhull
  libbox2d-dev libtbb-dev libeigen3-dev
  libtinyxml2-dev         # merging robot MJCF files into sumo scenes (MuJoCo 2.2 has no model editing)
  libgtest-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev
  libboost-dev            # header-only Boost.Math (Student's t) and Boost.CRC (checkpoints)
  libosmesa6-dev          # MuJoCo's renderer offscreen on software OpenGL (replays)
  ffmpeg                  # replays' videos
  python3-matplotlib      # plots
  python3-scipy           # Student's t in scripts/task_stats.py
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
