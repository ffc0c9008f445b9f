#!/usr/bin/env bash
# Installs every Debian package auface needs to build, test and run. Idempotent.
set -euo pipefail

packages=(
  build-essential cmake pkg-config locales
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev ffmpeg
  libstb-dev libjpeg62-turbo-dev
  libxnnpack-dev libpthreadpool-dev
  libprotobuf-c-dev protobuf-c-compiler libonnx-dev
  # the Python package (python/) and its tests
  python3-dev python3-numpy python3-pandas python3-matplotlib python3-pytest python3-opencv
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
