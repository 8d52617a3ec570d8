#!/usr/bin/env bash
# The PipeWire mode of scripts/audio-server.sh (PCMTAP_AUDIO_SERVER=pipewire): a private
# pipewire + wireplumber + pipewire-pulse as root without systemd or D-Bus, with the same null
# sink and sources as the PulseAudio mode (docs/testing.md).
# Same commands: install | start | stop | env | status | pids | tone-start [HZ] | tone-stop.
# pipewire-alsa is deliberately not installed (it conflicts with pulseaudio and would make
# PipeWire the system-wide ALSA default); clients reach PipeWire through pipewire-pulse.
set -euo pipefail

D=${PCMTAP_AUDIO_DIR:-/tmp/pcmtap-pipewire}
PACKAGES=(pipewire pipewire-pulse wireplumber pulseaudio-utils libasound2-plugins alsa-utils sox)
RUN=$D/run

say() { echo "audio-server (pipewire): $*" >&2; }

# shellcheck source=server-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"

env_lines() {
  echo "export PULSE_SERVER=unix:$RUN/pulse/native"
}

private_env() {
  export XDG_RUNTIME_DIR=$RUN HOME=$D/home XDG_CONFIG_HOME=$D/config XDG_STATE_HOME=$D/state
  export PULSE_SERVER="unix:$RUN/pulse/native"
  unset PULSE_COOKIE
}

# pipewire-pulse first: it owns the socket clients use.
pids() { [[ -s $D/pids ]] && cat "$D/pids"; }

running() {
  local p list
  list=$(pids) || return 1
  for p in $list; do alive "$p" || return 1; done
}

wait_for() {
  for _ in $(seq 1 100); do
    if eval "$1"; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Loads a 48 kHz stereo null sink NAME (extra module arguments after it) unless a sink or
# source of that name is there already.
load_null() {
  local name=$1
  shift
  local args="sink_name=$name rate=48000 channels=2 $*"
  wait_for "{ pactl list short sinks; pactl list short sources; } 2>/dev/null | cut -f2 | grep -qx '$name' ||
    pactl load-module module-null-sink $args >/dev/null 2>&1"
}

stop() {
  local p list
  list=$(pids) || return 0
  tone_stop || true
  for p in $list; do alive "$p" && kill "$p" 2>/dev/null || true; done
  for p in $list; do
    wait_for "! alive $p" || kill -9 "$p" 2>/dev/null || true
  done
  rm -f "$D/pids"
}

start() {
  if running; then
    env_lines
    return 0
  fi
  stop
  install_packages
  rm -rf "$RUN" "$D/state" "$D/home/.local/state"
  mkdir -p "$RUN" "$D/home" "$D/config/wireplumber/main.lua.d" "$D/state"
  chmod 700 "$RUN"
  cat >"$D/config/wireplumber/main.lua.d/51-no-dbus.lua" <<'LUA'
alsa_monitor.properties["alsa.reserve"] = false
default_access.properties["enable-flatpak-portal"] = false
LUA
  private_env
  setsid pipewire >>"$D/pipewire.log" 2>&1 </dev/null &
  local pw=$!
  wait_for "[[ -S $RUN/pipewire-0 ]]" || { say "pipewire did not come up (see $D/pipewire.log)"; kill "$pw"; return 1; }
  setsid wireplumber >>"$D/wireplumber.log" 2>&1 </dev/null &
  local wp=$!
  setsid pipewire-pulse >>"$D/pipewire-pulse.log" 2>&1 </dev/null &
  local pp=$!
  echo "$pp $pw $wp" >"$D/pids"
  if ! wait_for "pactl info >/dev/null 2>&1"; then
    say "pipewire-pulse did not answer; last lines of its log:"
    tail -n 20 "$D/pipewire-pulse.log" >&2 || true
    stop
    return 1
  fi
  # A server still starting (wireplumber not yet linked up, a loaded machine) may refuse a
  # module or a default ("Failure: Not supported"): each step is tried again until it holds.
  load_null pcmtap_test || { say "no null sink"; stop; return 1; }
  load_null pcmtap_pin media.class=Audio/Source/Virtual || { say "no pcmtap_pin source"; stop; return 1; }
  wait_for "pactl list short sources | grep -q pcmtap_test.monitor" || { say "no null sink"; stop; return 1; }
  # wireplumber applies a configured default asynchronously: ready once the server says so.
  wait_for 'pactl set-default-sink pcmtap_test 2>/dev/null && pactl set-default-source pcmtap_test.monitor 2>/dev/null &&
    [[ $(pactl get-default-source) == pcmtap_test.monitor && $(pactl get-default-sink) == pcmtap_test ]]' ||
    { say "the defaults did not apply"; stop; return 1; }
  env_lines
}

# module-sine does not exist in pipewire-pulse: a sox generator into pacat, in its own process
# group (stopped by group id).
tone_start() {
  private_env
  # A tone already playing is kept only if it is this frequency (see audio-server.sh).
  if [[ -s $D/tone.pgid ]]; then
    [[ $(cat "$D/tone.freq" 2>/dev/null) == "${1:-1000}" ]] && return 0
    tone_stop
  fi
  setsid bash -c 'sox -q -n -t raw -r 48000 -c 2 -e signed -b 16 - synth 86400 sine "$1" vol 0.5 |
    pacat --raw --rate=48000 --channels=2 --format=s16le -d pcmtap_test --latency-msec=100' \
    tone "${1:-1000}" </dev/null >/dev/null 2>&1 &
  echo $! >"$D/tone.pgid"
  echo "${1:-1000}" >"$D/tone.freq"
  sleep 0.3 # the stream connects; the first 0.15-0.3 s are silence (AUDIO_RIG.md)
}

tone_stop() {
  [[ -s $D/tone.pgid ]] || return 0
  kill -- "-$(cat "$D/tone.pgid")" 2>/dev/null || true
  rm -f "$D/tone.pgid" "$D/tone.freq"
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  status) running ;;
  pids) pids ;;
  tone-start) tone_start "${2:-1000}" ;;
  tone-stop) tone_stop ;;
  *) echo "usage: $0 install|start|stop|env|status|pids|tone-start|tone-stop" >&2; exit 2 ;;
esac
