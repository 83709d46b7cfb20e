#!/usr/bin/env bash
# Every GPU check and benchmark of the project in one run, for a lent GPU machine whose
# python3 already has torch, numpy, scipy, scikit-image, h5py and pytest (no install).
# Logs go to $OUT (or ./gpu-logs); the console gets the tail of each. ONLY="study cuda_tests"
# runs just those steps.
#
#     bash benchmarks/gpu_session.sh
set -u
out=${OUT:-gpu-logs}
mkdir -p "$out"
export PYTHONPATH=$PWD/src PYTHONUNBUFFERED=1
td() { python3 -c 'import sys; from thermodefect.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
step() {
    local name=$1 limit=$2
    shift 2
    [[ -z ${ONLY:-} || " $ONLY " == *" $name "* ]] || return 0
    local t0=$SECONDS
    timeout "$limit" bash -c '"$@"' _ "$@" >"$out/$name.log" 2>&1
    echo "== $name: exit $?, $((SECONDS - t0)) s"
    tail -n "${TAIL:-12}" "$out/$name.log"
}
training() {
    td --quiet simulate /tmp/gpu-bench --preset mixed --n 12 --seed 1 --device cuda || return
    local t0=$SECONDS
    td --quiet train /tmp/gpu-bench --model unet --out /tmp/gpu-unet --epochs 6 --patience 6 \
        --device cuda || return
    echo "unet, 6 epochs of 40 batches of 8 patches of 64 px: $((SECONDS - t0)) s"
    cat /tmp/gpu-unet/log.csv
}
export -f td training
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv
python3 -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'
TAIL=45 step study 150 python3 benchmarks/gpu_methods_study.py
step bench_methods 90 python3 benchmarks/bench_methods.py --gpu-only
step cuda_tests 200 python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py
step detect 120 python3 benchmarks/bench_detect_model.py --device cuda --repeats 3
step simulate 120 python3 benchmarks/bench_simulate.py
step training 150 training
