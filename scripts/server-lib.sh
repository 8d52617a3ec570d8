# Shared by scripts/audio-server.sh and scripts/pipewire-server.sh (sourced, not run): process
# liveness and the install step. The caller defines `say` and the PACKAGES array.

# A process counts as alive unless it is gone or a zombie (a killed server may linger as one).
alive() {
  local state
  state=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z && $state != X ]]
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

# Installs the missing PACKAGES as root; elsewhere prints the command to run and fails.
install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
  ((${#missing[@]} == 0)) && return 0
  local cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    say "missing packages: ${missing[*]}. Run as root: $cmd"
    return 1
  fi
  say "installing: ${missing[*]}"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
}
