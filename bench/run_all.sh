#!/usr/bin/env bash
# Run every benchmark with the issue's defaults, one after another (they must not share
# the CPU), keeping each one's output and JSON under bench/out/ (not committed).
#   bench/run_all.sh            # full size: ~2.4 GB of generated mail, ~10 GB free needed
#   bench/run_all.sh --quick    # small sizes, a few minutes: checks that everything runs
set -euo pipefail
cd "$(dirname "$0")/.."
# The interpreter: $PYTHON, else the project's .venv (built by .ci/run), else python3.
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python
else PY=python3; fi
out=bench/out
mkdir -p "$out"

if [ "${1:-}" = "--quick" ]; then
    ingest=(--messages 200)
    memory=(--sizes 60,200 --single-mb 30)  # both hold message 50, a 20 MB file
    ack=(--count 10)
    idle=(--seconds 15)
    package=(--units 100 --submissions 300 --gb 0.2)
    startup=(--repeat 5)
else
    ingest=() memory=() ack=() idle=() package=() startup=(--importtime)
fi

run() {
    local name=$1
    shift
    echo "===== $name"
    "$PY" "bench/$name.py" "$@" --json "$out/$name.json" 2>&1 | tee "$out/$name.txt"
}

run startup "${startup[@]}"
run ingest "${ingest[@]}"
run memory "${memory[@]}"
run ack_latency "${ack[@]}"
run idle "${idle[@]}"
run package "${package[@]}"
echo "outputs in $out/"
