#!/usr/bin/env bash
# The whole edgelb test suite, from a fresh Debian 12 machine, as root:
#   installs packages, reserves hugepages (or falls back to --no-huge), checks the C++ format,
#   builds the normal, Release (what packagers build; compiled, not run), ASan+UBSan and
#   libFuzzer trees, runs unit + packet tests in the normal and ASan trees (plus real ZooKeeper,
#   real HAProxy, netns integration, the whole-appliance `system` faults and the Debian package
#   in the normal tree), a short fuzz smoke
#   run, and ends with one summary line "tests: N passed, N failed". Each phase prints its time
#   ("[time] ...") and the total comes before the summary.
# Options: EDGELB_SKIP_RELEASE=1, EDGELB_SKIP_ASAN=1, EDGELB_SKIP_FUZZ=1 (local iteration only;
# CI runs everything).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"
# ccache (CMakeLists.txt uses it when installed): paths under the checkout are hashed as relative
# ones and the build directory is left out of the hash, so a clone in another folder (CI's fresh
# clone, a second worktree) hits the cache of an earlier one. Debug info then names the folder
# that first compiled an object; nothing here reads it.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
phase_start=$SECONDS
phase_time() {  # what: prints the time since the last phase ended
  echo "[time] $1: $((SECONDS - phase_start)) s"
  phase_start=$SECONDS
}
log_dir="$root/build/test-logs"

bash deploy/install-packages.sh || exit 1
hugepages_line="$(deploy/edgelb-tune hugepages --pages 512)"
export EDGELB_HUGEPAGES="${hugepages_line%% *}"  # "hugepages" or "no-huge"
echo "$hugepages_line"
phase_time "packages and hugepages"

configure_build() {  # dir, extra cmake args...
  local dir="$1"; shift
  cmake -S "$root" -B "$root/$dir" -G Ninja "$@" > /dev/null || return 1
  local out rc
  out="$(cmake --build "$root/$dir" -j "$jobs" 2>&1)"
  rc=$?
  grep -Ev '^\[[0-9]+/[0-9]+\]' <<< "$out" || true  # show warnings/errors, not progress
  phase_time "build $dir"
  return $rc
}

passed=0
failed=0
run_ctest() {  # name, dir, label regex
  local name="$1" dir="$2" labels="$3" out rc
  mkdir -p "$log_dir"
  out="$log_dir/ctest-$name.log"
  ctest --test-dir "$root/$dir" -L "$labels" -j "$jobs" --output-on-failure --timeout 600 > "$out" 2>&1
  rc=$?
  grep -E '\*\*\*(Failed|Timeout|Exception)|Not Run' "$out" || true
  local line
  line="$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$out" | tail -1)"
  echo "[$name] ${line:-no ctest summary (rc=$rc), see $out}"
  phase_time "ctest $name ($labels)"
  if [[ "$line" =~ ([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+) ]]; then
    failed=$((failed + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2] - BASH_REMATCH[1]))
  else
    failed=$((failed + 1))
  fi
  if [ $rc -ne 0 ]; then
    failure_output "$out"
    sed -n '/The following tests FAILED/,$p' "$out"
  fi
}

failure_output() {  # ctest log: the last 60 lines each failed test printed (--output-on-failure)
  awk -v keep=60 '
    function flush(  i, s) { s = n > keep ? n - keep : 0; for (i = s; i < n; i++) print "  | " buf[i % keep]; n = 0 }
    /\*\*\*(Failed|Timeout|Exception)/ { if (on) flush(); on = 1; n = 0; print "output of " $0; next }
    on && (/^ *Start +[0-9]+: / || /^ *[0-9]+\/[0-9]+ Test +#/ || /tests passed, [0-9]+ tests failed/) { flush(); on = 0 }
    on { buf[n % keep] = $0; n++ }
    END { if (on) flush() }' "$1"
}

echo "== format (.clang-format)"
# Every tracked C++ file must be as clang-format writes it; fix with `clang-format -i FILE`.
unformatted="$(git -C "$root" ls-files '*.cc' '*.h' | while read -r f; do
  clang-format --dry-run --Werror "$root/$f" > /dev/null 2>&1 || echo "$f"; done)"
if [ -n "$unformatted" ]; then
  echo "not formatted (clang-format -i): $(tr '\n' ' ' <<< "$unformatted")"; failed=$((failed + 1))
else
  passed=$((passed + 1))
fi
phase_time "format"

echo "== build (RelWithDebInfo)"
if configure_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo; then
  run_ctest main build 'unit|packet|zk|haproxy|integration|system|package'
else
  echo "build failed"; failed=$((failed + 1))
fi

if [ "${EDGELB_SKIP_RELEASE:-0}" != 1 ]; then
  echo "== build (Release: -O3, as packaged; compiled only)"
  if configure_build build-release -DCMAKE_BUILD_TYPE=Release; then
    passed=$((passed + 1))
  else
    echo "release build failed"; failed=$((failed + 1))
  fi
fi

if [ "${EDGELB_SKIP_ASAN:-0}" != 1 ]; then
  echo "== build (ASan + UBSan)"
  if configure_build build-asan -DCMAKE_BUILD_TYPE=Debug -DEDGELB_SANITIZE=ON -DEDGELB_BENCHMARKS=OFF; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      LSAN_OPTIONS=suppressions="$root/tests/lsan.supp" \
      run_ctest asan build-asan 'unit|packet|zk|haproxy'
  else
    echo "asan build failed"; failed=$((failed + 1))
  fi
fi

if [ "${EDGELB_SKIP_FUZZ:-0}" != 1 ] && [ -d tests/fuzz ]; then
  echo "== build (libFuzzer, clang)"
  if configure_build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
       -DCMAKE_CXX_COMPILER=clang++ -DEDGELB_FUZZ=ON -DEDGELB_BENCHMARKS=OFF; then
    run_ctest fuzz build-fuzz 'fuzz'
  else
    echo "fuzz build failed"; failed=$((failed + 1))
  fi
fi

echo "[time] total: $SECONDS s"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
