#!/usr/bin/env bash
# A private PulseAudio server with a null sink, for real capture tests on machines without a
# sound card (how to use it, and the facts it relies on: docs/testing.md).
#
#   scripts/audio-server.sh install   install the Debian packages it needs (root)
#   scripts/audio-server.sh start     start it (idempotent); prints `export ...` lines to eval
#   scripts/audio-server.sh env       print the `export ...` lines
#   scripts/audio-server.sh status    exit 0 if it runs
#   scripts/audio-server.sh stop      stop it by the pid in its pid file (never by name)
#   scripts/audio-server.sh pids      print the server's pids (for CPU accounting)
#   scripts/audio-server.sh tone-start [HZ] | tone-stop   a sine (default 1000 Hz, amplitude 0.5) into the sink
#
# State lives in $PCMTAP_AUDIO_DIR (default /tmp/pcmtap-audio). Sink: pcmtap_test (48 kHz,
# stereo, s16le); default source: pcmtap_test.monitor. Diagnostics go to stderr.
# PCMTAP_AUDIO_SERVER=pipewire selects the PipeWire mode (scripts/pipewire-server.sh).
set -euo pipefail

if [[ ${PCMTAP_AUDIO_SERVER:-pulseaudio} == pipewire ]]; then
  exec bash "$(dirname "$0")/pipewire-server.sh" "$@"
fi

D=${PCMTAP_AUDIO_DIR:-/tmp/pcmtap-audio}
PACKAGES=(pulseaudio pulseaudio-utils libasound2-plugins alsa-utils)

say() { echo "audio-server: $*" >&2; }

# shellcheck source=server-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"

env_lines() {
  echo "export PULSE_SERVER=unix:$D/native"
  echo "export PULSE_COOKIE=$D/config/pulse/cookie"
}

pid_of() {
  local f="$D/run/pulse/pid"
  [[ -s $f ]] && cat "$f"
}

# Alive and not a zombie (a killed daemon can stay a zombie for a while where PID 1 reaps late).

running() {
  local pid
  pid=$(pid_of) || return 1
  alive "$pid"
}

start() {
  if running; then
    env_lines
    return 0
  fi
  install_packages
  mkdir -p "$D/run" "$D/config"
  chmod 700 "$D/run" "$D/config"
  rm -f "$D/native" "$D/run/pulse/pid" "$D/tone.module"
  cat >"$D/server.pa" <<PA
.fail
load-module module-native-protocol-unix auth-anonymous=1 socket=$D/native
load-module module-null-sink sink_name=pcmtap_test rate=48000 channels=2 format=s16le
load-module module-null-source source_name=pcmtap_pin rate=48000 channels=2
load-module module-loopback source=pcmtap_pin sink=pcmtap_test latency_msec=10 source_dont_move=true sink_dont_move=true
set-default-sink pcmtap_test
set-default-source pcmtap_test.monitor
suspend-sink pcmtap_test 1
suspend-sink pcmtap_test 0
PA
  XDG_RUNTIME_DIR="$D/run" XDG_CONFIG_HOME="$D/config" pulseaudio -n -F "$D/server.pa" \
    --daemonize=yes --use-pid-file=yes --exit-idle-time=-1 --realtime=no --high-priority=no \
    --log-target="file:$D/pulse.log" 2>>"$D/stderr.log" || true
  export PULSE_SERVER="unix:$D/native" PULSE_COOKIE="$D/config/pulse/cookie"
  for _ in $(seq 1 100); do
    if pactl list short sinks 2>/dev/null | grep -q pcmtap_test; then
      env_lines
      return 0
    fi
    sleep 0.05
  done
  say "the server did not come up; last lines of $D/pulse.log:"
  tail -n 20 "$D/pulse.log" >&2 2>/dev/null || true
  return 1
}

stop() {
  local pid
  pid=$(pid_of) || return 0
  if alive "$pid"; then
    kill "$pid"
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.05; done
    if alive "$pid"; then kill -9 "$pid"; fi
  fi
  rm -f "$D/run/pulse/pid"
}

tone_start() {
  export PULSE_SERVER="unix:$D/native" PULSE_COOKIE="$D/config/pulse/cookie"
  # A tone already playing is kept only if it is this frequency (one left by an earlier test
  # at another frequency would be heard instead).
  if [[ -s $D/tone.module ]]; then
    [[ $(cat "$D/tone.freq" 2>/dev/null) == "${1:-1000}" ]] && return 0
    tone_stop
  fi
  pactl load-module module-sine sink=pcmtap_test "frequency=${1:-1000}" rate=48000 >"$D/tone.module"
  echo "${1:-1000}" >"$D/tone.freq"
}

tone_stop() {
  export PULSE_SERVER="unix:$D/native" PULSE_COOKIE="$D/config/pulse/cookie"
  [[ -s $D/tone.module ]] || return 0
  pactl unload-module "$(cat "$D/tone.module")" || true
  rm -f "$D/tone.module" "$D/tone.freq"
}

case "${1:-}" in
  install) install_packages ;;
  start) start ;;
  stop) stop ;;
  env) env_lines ;;
  status) running ;;
  pids) pid_of ;;
  tone-start) tone_start "${2:-1000}" ;;
  tone-stop) tone_stop ;;
  *) echo "usage: $0 install|start|stop|env|status|pids|tone-start|tone-stop" >&2; exit 2 ;;
esac
