# tests/cli/lib.sh — sourced by the tests/cli/test_*.sh scripts (not a test itself): pass/fail
# counters, a temporary directory removed on exit, the Fashion-MNIST check, the usage-error
# check of the command's contract, and the summary line.
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=/usr/share/datasets/fashion-mnist

# need_fashion_mnist NAME: exit 1 with one line when the Debian data set is missing
need_fashion_mnist() {
  if [[ ! -e $data/train-images-idx3-ubyte.gz ]]; then
    echo "$1: $data missing (apt-get install dataset-fashion-mnist)" >&2
    exit 1
  fi
}

# check_usage_error RC WHAT [FILE]: the last command (stdout in $tmp/o, stderr in $tmp/e) exited
# 2 with exactly one stderr line, and wrote nothing: FILE does not exist, or without FILE,
# nothing on stdout
check_usage_error() {
  local rc=$1 what=$2 file=${3:-} lines
  lines=$(wc -l < "$tmp/e")
  if [[ $rc -eq 2 && $lines -eq 1 ]] && { [[ -n $file && ! -e $file ]] || [[ -z $file && ! -s "$tmp/o" ]]; }; then
    ok
  else
    bad "$what: exit $rc, $lines stderr lines, $(wc -c < "$tmp/o") stdout bytes: $(head -c 300 "$tmp/e")"
  fi
}

summary() { # NAME: the last line, and the exit status
  echo "$1: $pass passed, $fail failed"
  [[ $fail -eq 0 ]]
}
