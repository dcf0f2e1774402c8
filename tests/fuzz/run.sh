#!/usr/bin/env bash
# tests/fuzz/run.sh [BUILD_DIR [SECONDS [HARNESS...]]] — `make fuzz`: build the libFuzzer
# harnesses of tests/fuzz with clang (-fsanitize=fuzzer,address,undefined) in BUILD_DIR
# (default build-fuzz) and run each one for SECONDS (default 60), one at a time, starting
# from the committed corpus tests/fuzz/corpus/<harness>/ plus the inputs earlier runs kept
# (BUILD_DIR/fuzz-corpus/<harness>/). Crashing inputs land in BUILD_DIR/fuzz-artifacts/<harness>/;
# copy each into tests/fuzz/corpus/<harness>/ as crash-<what> with its fix, so that `make test`
# replays it. Prints one line per harness (executions, seconds, exec/s, corpus size) and
# "fuzz: N passed, M failed" (a harness fails if it found a crash); exits non-zero then.
# FUZZ_RUNS=N stops each harness after N executions (or SECONDS, whichever comes first).
# FUZZ_JOBS=N: N fork-mode workers for the harnesses that read HDF5 through the forked probe
# (hdf5; ops with FUZZ_OPS_HDF5=1, which fuzzes its HDF5 result-file form instead of text rows).
# Installs Debian's clang, libclang-rt-14-dev (libFuzzer) and libomp-dev if missing.
set -uo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
shift $(($# < 2 ? $# : 2))
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src" || exit 1

missing=()
for p in clang libclang-rt-14-dev libomp-dev; do
  [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "fuzz: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo -n"
  $sudo apt-get update -q > /dev/null &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" ||
    { echo "fuzz: cannot install ${missing[*]} (run as root)" >&2; exit 2; }
fi

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOWBIT_FUZZ=ON -DLOWBIT_BENCH=OFF > "$build.configure.log" 2>&1 ||
    { tail -20 "$build.configure.log"; exit 1; }
  rm -f "$build.configure.log"
fi
ninja -C "$build" -j2 fuzz_all > /dev/null || { ninja -C "$build" -j1 fuzz_all | tail -30; exit 1; }

harnesses=("$@")
if [[ ${#harnesses[@]} -eq 0 ]]; then
  for f in "$build"/bin/fuzz_*; do # what fuzz.cmake built (fuzz_checkpoint needs io/checkpoint.h)
    harnesses+=("${f##*/fuzz_}")
  done
fi
# harnesses that read files write every input to $TMPDIR: a tmpfs makes them ~50x faster than
# this machine's /tmp (ext4 with discard: ~300 file writes/s)
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
passed=0
failed=0
for h in "${harnesses[@]}"; do
  # what the run keeps: ops's HDF5 form apart from its text rows (a text run replays the kept
  # inputs, and HDF5 ones leave libhdf5's leak reports there)
  run=$h
  [[ $h == ops && -n ${FUZZ_OPS_HDF5:-} ]] && run=ops-hdf5
  work=$build/fuzz-corpus/$run
  art=$build/fuzz-artifacts/$run
  log=$build/fuzz-$run.log
  mkdir -p "$work" "$art"
  opts=()
  probed="" # the harness reads HDF5 through the forked probe (lib/src/io/h5probe.h)
  [[ -n ${FUZZ_RUNS:-} ]] && opts+=(-runs="$FUZZ_RUNS")
  case $h in
    # libhdf5 1.10.8 (not instrumented) keeps blocks in its free lists in a way LeakSanitizer
    # reports as leaked after an input; replaying such an input alone shows no leak
    # (-detect_leaks=0). Corrupted files crash or hang libhdf5 itself (tests/fuzz/libhdf5/):
    # lb_hdf5_load runs in a forked child first (lib/src/io/h5probe.h), so such a file is an
    # error return here, not a crash; a hang is cut off by the probe after
    # LOWBIT_H5_PROBE_TIMEOUT (3 s, below -timeout). Some files make libhdf5 allocate GBs and
    # still finish: fork mode goes on after an out-of-memory (sorted below); a crash is counted
    # (-ignore_crashes only keeps the count going) and fails the run.
    hdf5) probed=1 ;;
    # text rows only by default: a binary input is an HDF5 result file, read through the forked
    # probe like fuzz_hdf5 (a fork per input, ~100 times slower than text); FUZZ_OPS_HDF5=1 runs
    # the result-file reader (lb_results_read_ops) that way, with fuzz_hdf5's options
    ops) if [[ -n ${FUZZ_OPS_HDF5:-} ]]; then probed=1; else opts+=(-only_ascii=1); fi ;;
  esac
  # FUZZ_JOBS=N runs N fork-mode workers (one per free core)
  [[ -n $probed ]] && opts+=(-detect_leaks=0 -fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  # a huge allocation returns NULL as it does without ASan (libhdf5 asks for sizes read from
  # the file and handles the failure); libhdf5's free lists look leaked when a process exits,
  # and fork mode's jobs end by exiting (each such exit would count as a crash)
  san=allocator_may_return_null=1
  # hdf5 forks once per input (the probe): ASan's 256 MB free-memory quarantine makes the
  # process ~340 MB and every fork copies its page tables; a 1 MB quarantine keeps it ~46 MB and
  # the harness 2.4x faster (3000 runs: 53/s -> 130/s on one core); use-after-free is still
  # caught for blocks freed within the last MB
  [[ -n $probed ]] && san+=:detect_leaks=0:quarantine_size_mb=1:malloc_context_size=5
  ASAN_OPTIONS=${ASAN_OPTIONS:-$san} LOWBIT_H5_PROBE_TIMEOUT=3 \
    "$build/bin/fuzz_$h" -max_total_time="$seconds" -print_final_stats=1 -timeout=20 \
    -rss_limit_mb=2048 "${opts[@]}" -artifact_prefix="$art/" "$work" "tests/fuzz/corpus/$h" \
    > "$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  secs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' | grep -oE '[0-9]+')
  if [[ -z $execs ]]; then # fork mode: the last status line "#N: ... time: Ts"
    last=$(grep -E '^#[0-9]+: ' "$log" | tail -1)
    execs=$(sed -E 's/^#([0-9]+):.*/\1/' <<<"$last")
    secs=$(grep -oE 'time: [0-9]+s' <<<"$last" | grep -oE '[0-9]+')
    [[ -n $execs && ${secs:-0} -gt 0 ]] && rate=$((execs / secs))
  fi
  ncorp=$(find "$work" -type f | wc -l)
  # sort what the run left: an out-of-memory input that passes with room grew inside libhdf5;
  # every other input that fails alone is lowbit's (libhdf5's own crashes and hangs are
  # contained by the probe, so a crash inside libhdf5 is one the probe let through)
  inlib=0
  gone=0
  ours=()
  for a in "$art"/*; do
    [[ -e $a ]] || continue
    # an out-of-memory input runs again with room: lowbit's loaders allocate a few large blocks
    # (a 256 MB malloc limit catches them); an hdf5 input that then passes grew through
    # libhdf5's many small allocations (seen: >2 GB, then "HDF5: infinite loop closing library")
    room=()
    [[ ${a##*/} == oom-* ]] && room=(-rss_limit_mb=8192 -malloc_limit_mb=256)
    # (an input the probe's child runs out of memory on leaves its own oom- file: not here)
    mkdir -p "$build/fuzz-rerun"
    ASAN_OPTIONS=${ASAN_OPTIONS:-$san} LOWBIT_H5_PROBE_TIMEOUT=3 timeout 60 \
      "$build/bin/fuzz_$h" -detect_leaks=0 -timeout=20 "${room[@]}" \
      -artifact_prefix="$build/fuzz-rerun/" "$a" > /dev/null 2>&1
    rcr=$?
    if [[ $rcr -eq 0 && ${#room[@]} -gt 0 && -n $probed ]]; then
      inlib=$((inlib + 1))
    elif [[ $rcr -eq 0 ]]; then
      gone=$((gone + 1)) # e.g. a leak report: see the hdf5 case above
    else
      ours+=("$a")
    fi
  done
  [[ $inlib -gt 0 ]] && echo "fuzz $run: $inlib inputs make libhdf5 allocate more than the limit (pass with room)"
  [[ $gone -gt 0 ]] && echo "fuzz $run: $gone inputs the run kept do not fail when run alone"
  # fork mode exits non-zero after crashes it ignored: only the sorting above counts then
  if [[ ${#ours[@]} -eq 0 && ($rc -eq 0 || -n $probed) ]]; then
    passed=$((passed + 1))
    echo "fuzz $run: ${execs:-?} executions in ${secs:-?} s (${rate:-?}/s), corpus $ncorp inputs: ok"
  else
    failed=$((failed + 1))
    echo "fuzz $run: FAILED after ${execs:-?} executions (exit $rc); inputs in $art/, log $log:"
    grep -E 'ERROR: |FUZZ_CHECK|runtime error|SUMMARY' "$log" | head -5
  fi
done
echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
