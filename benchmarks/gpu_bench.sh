#!/usr/bin/env bash
# The GPU measurements of issue 12, in one command on a CUDA machine with no network:
#
#   bash ../shared/gpu/prepare.sh          # here: makes .gpu/ (trimmed llama-cpp-python sdist, vocab)
#   bash benchmarks/gpu_bench.sh            # there, from the project root, with .gpu/ carried
#
# 1. builds llama-cpp-python with CUDA into /tmp/site (.gpu/build-cuda.sh) while it writes a
#    random-weight GGUF with LLaMAX3-8B's shape in llama.cpp's Q4_K_M mix;
# 2. single stream: llamax's engine against a bare llama-cpp-python loop (bench_decode.py);
# 3. document throughput at --parallel 1/8/32/64, greedy picks on the host and on the device,
#    alternating rounds, with the decode ceiling (bench_throughput.py).
# Each step's output goes to $OUT (or /tmp/gpu-bench); the whole run fits in ~9 minutes.
set -u
out=${OUT:-/tmp/gpu-bench}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
budget=${BUDGET:-570}  # seconds this script may take in all
model=${MODEL:-/tmp/llamax3-8b-shape-q4_k_m.gguf}
vocab=.gpu/ggml-vocab-llama-bpe.gguf
writer=""
if [ ! -s "$model" ]; then
    PYTHONPATH=$PWD/.gpu/llcpp/vendor/llama.cpp/gguf-py python3 benchmarks/make_synthetic_gguf.py \
        "$model" --shape ${SHAPE:-llamax3-8b} --quant Q4_K_M --vocab "$vocab" > "$out/model.log" 2>&1 &
    writer=$!
fi
if [ -z "${SKIP_BUILD:-}" ] && ! PYTHONPATH=/tmp/site python3 -c "import llama_cpp, sys; sys.exit(not llama_cpp.llama_supports_gpu_offload())" 2>/dev/null; then
    bash .gpu/build-cuda.sh || exit 1
fi
export PYTHONPATH=/tmp/site:$PWD
[ -n "$writer" ] && { wait "$writer" || { cat "$out/model.log"; exit 1; }; }
cat "$out/model.log" 2>/dev/null
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader
echo "== single stream ($SECONDS s in)"
timeout $((budget - SECONDS)) python3 benchmarks/bench_decode.py --model "$model" --tokens ${DECODE_TOKENS:-256} \
    --rounds 5 --no-ttft 2>&1 | tee "$out/decode.txt"
echo "== documents ($SECONDS s in)"
timeout $((budget - SECONDS)) python3 benchmarks/bench_throughput.py --model "$model" \
    --units ${UNITS:-128} --tokens ${TOKENS:-24} --ctx 512 --parallel ${PARALLEL:-1,8,32,64} --rounds 3 \
    --no-sequential --ceiling --sampling host,device 2>&1 | tee "$out/throughput.txt"
echo "== done after $SECONDS s"
