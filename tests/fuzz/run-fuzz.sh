#!/usr/bin/env bash
# Fuzzes the SIP library with AFL++ through SharpFuzz for a bounded time.
#
#   tests/fuzz/run-fuzz.sh [SECONDS]      (default 60)
#
# Installs afl++ (apt) and the sharpfuzz tool (local tool manifest) if missing, publishes the
# harness, instruments SnomActors.Sip.dll, runs afl-fuzz for SECONDS, and exits 1 when AFL found
# crashes or hangs; those are copied to tests/fuzz/findings/<time>/ and replayed in-process so
# the log says which check failed. Everything else lives in a temp dir that is removed at exit
# (FUZZ_KEEP_WORK=1 keeps it, e.g. to resume or inspect the queue).
#
# Environment knobs (all optional):
#   FUZZ_TIMEOUT_MS   per-input timeout before AFL calls it a hang (default 2000)
#   FUZZ_EXTRA_SEEDS  extra seed directory (e.g. a previous run's queue)
#   FUZZ_KEEP_WORK=1  keep the temp dir (path is printed)
#   SNOMACTORS_FUZZ_SUPPRESS  known finding classes to look past (see SipFuzzChecks.Suppressed)
# A regression seed that still crashes is skipped by afl-fuzz's dry run (the replay test reports it).
set -euo pipefail

seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "run-fuzz: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2 ;; esac
[ "$seconds" -gt 0 ] || { echo "run-fuzz: SECONDS must be > 0" >&2; exit 2; }
timeout_ms="${FUZZ_TIMEOUT_MS:-2000}"

here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/snomactors-fuzz.XXXXXX")"
cleanup() {
  if [ "${FUZZ_KEEP_WORK:-0}" = "1" ]; then echo "run-fuzz: work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

log() { echo "run-fuzz: $*"; }

# --- tools -------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null 2>&1; then
  log "installing afl++"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
# The manifest next to this script pins SharpFuzz.CommandLine to the SharpFuzz package version.
(cd "$here" && dotnet tool restore >/dev/null)

# --- harness -----------------------------------------------------------------------------------
log "publishing the harness"
dotnet publish "$here/SnomActors.Sip.Fuzz/SnomActors.Sip.Fuzz.csproj" -c Release -o "$work/bin" \
  --nologo -v quiet -p:UseAppHost=true >"$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
# An uninstrumented copy replays findings at the end: instrumented code needs AFL's shared memory.
cp -r "$work/bin" "$work/replay"
# Only the library under test gets coverage probes; the harness and the runtime stay as they are.
(cd "$here" && dotnet tool run sharpfuzz "$work/bin/SnomActors.Sip.dll" >/dev/null)
log "instrumented SnomActors.Sip.dll"

# --- seeds -------------------------------------------------------------------------------------
mkdir -p "$work/in"
seed_dirs=("$here/corpus")
[ -d "$here/regressions" ] && seed_dirs+=("$here/regressions")
[ -n "${FUZZ_EXTRA_SEEDS:-}" ] && seed_dirs+=("$FUZZ_EXTRA_SEEDS")
n=0
for dir in "${seed_dirs[@]}"; do
  while IFS= read -r -d '' f; do
    case "$(basename "$f")" in README*|.*) continue ;; esac
    n=$((n + 1)); cp "$f" "$work/in/seed-$(printf '%05d' "$n")"
  done < <(find "$dir" -type f -not -path '*/.*' -print0 | sort -z)  # skips AFL's queue/.state
done
[ "$n" -gt 0 ] || { echo "run-fuzz: no seeds in ${seed_dirs[*]}" >&2; exit 1; }
log "$n seeds"

# --- fuzz --------------------------------------------------------------------------------------
export AFL_SKIP_CPUFREQ=1                       # no access to the CPU governor in containers/CI
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1  # core_pattern may pipe to a crash handler
export AFL_NO_UI=1
export AFL_SKIP_BIN_CHECK=1                     # the apphost is not AFL-compiled; SharpFuzz speaks the fork-server protocol
export AFL_NO_AFFINITY=1                        # parallel test runs may hold every core
unset AFL_AUTORESUME

log "afl-fuzz for ${seconds}s"
set +e
# afl-fuzz stops itself after -V seconds; timeout is the backstop if it wedges (startup included).
timeout --kill-after=20 "$((seconds + 180))" \
  afl-fuzz -V "$seconds" -i "$work/in" -o "$work/out" -x "$here/sip.dict" -t "$timeout_ms" -m none \
  -- "$work/bin/SnomActors.Sip.Fuzz" >"$work/afl.log" 2>&1
afl_status=$?
set -e

stats="$work/out/default/fuzzer_stats"
if [ ! -f "$stats" ]; then
  tail -n 60 "$work/afl.log" >&2
  echo "run-fuzz: afl-fuzz did not run (exit $afl_status)" >&2
  exit 1
fi
grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|corpus_found|stability|bitmap_cvg|saved_crashes|saved_hangs)' "$stats" \
  | sed 's/^/run-fuzz:   /'
if [ "$afl_status" -ne 0 ]; then
  tail -n 40 "$work/afl.log" >&2
  echo "run-fuzz: afl-fuzz exited $afl_status" >&2
  exit 1
fi

# --- verdict -----------------------------------------------------------------------------------
shopt -s nullglob
crashes=("$work/out/default/crashes/"id:*)
hangs=("$work/out/default/hangs/"id:*)
if [ "${#crashes[@]}" -eq 0 ] && [ "${#hangs[@]}" -eq 0 ]; then
  log "no crashes, no hangs"
  exit 0
fi

dest="$here/findings/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$dest"
for f in "${crashes[@]}"; do cp "$f" "$dest/crash-$(basename "$f" | tr ':,' '_-')"; done
for f in "${hangs[@]}"; do cp "$f" "$dest/hang-$(basename "$f" | tr ':,' '_-')"; done
log "${#crashes[@]} crashes, ${#hangs[@]} hangs copied to $dest"
if [ "${#crashes[@]}" -gt 0 ]; then
  log "replaying the crashes in-process (same checks, uninstrumented build):"
  "$work/replay/SnomActors.Sip.Fuzz" --replay "$dest"/crash-* || true
fi
exit 1
