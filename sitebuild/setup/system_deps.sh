#!/usr/bin/env bash
# Install the system tools named on the command line when they are missing.
#   usage: sitebuild/setup/system_deps.sh dot chromium ...
# Idempotent and quick when everything is present (one `command -v` per tool).
# Debian/Ubuntu: apt-get (sudo when not root). macOS: brew. Elsewhere: one line
# naming the missing tool and how to get it, then exit 1.
set -euo pipefail

debian_package() {
  case "$1" in
    dot) echo graphviz ;;
    chromium) echo chromium ;;
    java) echo default-jre-headless ;;
    busybox) echo busybox-static ;;
    node) echo nodejs ;;
    npm) echo npm ;;
    nginx) echo nginx ;;
    git) echo git ;;
    ip) echo iproute2 ;;
    pgrep) echo procps ;;
    venv) echo python3-venv ;;
    qemu-system-x86_64) echo qemu-system-x86 ;;
    xz) echo xz-utils ;;
    ld) echo binutils ;;
    *) echo "$1" ;;
  esac
}

brew_package() {
  case "$1" in
    dot) echo graphviz ;;
    chromium) echo --cask chromium ;;
    java) echo openjdk ;;
    node | npm) echo node ;;
    qemu-system-x86_64) echo qemu ;;
    *) echo "$1" ;;
  esac
}

present() {
  case "$1" in
    # `python3 -m venv` needs ensurepip, which Debian ships separately (python3-venv).
    venv) python3 -c 'import ensurepip, venv' 2>/dev/null ;;
    # The container lab copies busybox into an empty root filesystem, so it must be the
    # static build; Debian's busybox-static installs it as /bin/busybox.
    # (ldd exits non-zero on a static binary; grepping for "ld-linux" misfires, as
    # Debian's static busybox contains that string.)
    busybox) [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ;;
    # Debian's Firefox is firefox-esr; GitHub's Ubuntu image has Mozilla's as firefox.
    firefox-esr) command -v firefox-esr >/dev/null 2>&1 || command -v firefox >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing=()
for tool in "$@"; do
  present "$tool" || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# Ubuntu ships Chromium only as a snap (its chromium-browser package is a transitional one that
# installs the snap), and snaps do not run in containers. GitHub's ubuntu-24.04 image has its own
# build at /usr/bin/chromium, so this only stops a bare Ubuntu machine: say what to do instead.
os_release=${OS_RELEASE:-/etc/os-release}
if [[ " ${missing[*]} " == *" chromium "* ]] && grep -qsx 'ID=ubuntu' "$os_release"; then
  echo "setup: 'chromium' is missing; Ubuntu has it only as a snap: install Chromium or Google Chrome and link its binary as /usr/bin/chromium, then run make again" >&2
  exit 1
fi

if command -v apt-get >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "setup: missing ${missing[*]}; run as root or install sudo" >&2
      exit 1
    }
    sudo="sudo"
  fi
  packages=()
  for tool in "${missing[@]}"; do packages+=("$(debian_package "$tool")"); done
  echo "setup: installing ${packages[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  # One broken source (a third-party repository, a foreign architecture) fails the whole update,
  # yet the indexes that did download may well hold what we need: try the install regardless.
  update_error=""
  update_log=$($sudo apt-get update -qq 2>&1) ||
    update_error=$(grep -m1 '^[EW]:' <<<"$update_log" || echo "apt-get update failed")
  if ! install_log=$($sudo apt-get install -y -qq --no-install-recommends "${packages[@]}" 2>&1); then
    reason=$(grep -m1 '^E:' <<<"$install_log" || echo "apt-get install failed")
    echo "setup: could not install ${packages[*]} with apt-get: $reason${update_error:+ (apt-get update failed too: $update_error)}" >&2
    exit 1
  fi
  [ -z "$update_error" ] ||
    echo "setup: installed ${packages[*]} although apt-get update failed: $update_error" >&2
elif [ "$(uname -s)" = Darwin ] && command -v brew >/dev/null 2>&1; then
  for tool in "${missing[@]}"; do
    # shellcheck disable=SC2046
    brew install $(brew_package "$tool")
  done
else
  for tool in "${missing[@]}"; do
    echo "setup: '$tool' is missing; install the package that provides it ($(debian_package "$tool") on Debian) and run make again" >&2
  done
  exit 1
fi

for tool in "${missing[@]}"; do
  present "$tool" || { echo "setup: '$tool' is still missing after installing it" >&2; exit 1; }
done
