"""`llamax doctor` on this machine, for real."""

from llamax_cli.cli.doctor import recommend_quant
from llamax_cli.models.registry import load


def test_doctor_reports_versions_backend_cache_and_advice(llamax, cli_env):
    proc = llamax("doctor", env={"LLAMAX_MODEL": ""})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode()
    for label in ("llamax", "llama-cpp-python", "llama.cpp (ggml)", "GPU offload:", "CPU features",
                  "device CPU", "memory", "threads", "cache dir", "hub", "models"):
        assert label in out, label
    assert cli_env["HF_HOME"] in out
    assert "offline (HF_HUB_OFFLINE)" in out
    assert "`llamax models pull llamax3-8b-alpaca`" in out
    assert "use llamax3-8b-alpaca:" in out


def test_doctor_says_which_kernels_run_and_why(llamax):
    fast = llamax("doctor", "--offline").stdout.decode()
    line = next(line for line in fast.splitlines() if line.startswith("kernels"))
    assert "fast (default)" in line and "repacked weights auto" in line
    det = llamax("doctor", "--offline", env={"LLAMAX_DETERMINISTIC": "1"}).stdout.decode()
    line = next(line for line in det.splitlines() if line.startswith("kernels"))
    assert "deterministic" in line and "env LLAMAX_DETERMINISTIC" in line


def test_quant_recommendation_fits_the_memory():
    entry = load().entries["llamax3-8b-alpaca"]
    gb = 10**9
    assert recommend_quant(32 * gb, entry, gpu=False).quant == "Q4_K_M"  # CPU: speed sweet spot
    assert recommend_quant(5 * gb, entry, gpu=False).quant == "Q3_K_S"  # 3.66 GB + 1.2 GB to run
    assert recommend_quant(80 * gb, entry, gpu=True).quant == "Q8_0"  # never f16
    assert recommend_quant(7 * gb, entry, gpu=True).quant == "Q5_K_M"
    assert recommend_quant(2 * gb, entry, gpu=True) is None
