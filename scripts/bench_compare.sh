#!/usr/bin/env bash
# Times stages with `wuerstchen bench` and with scripts/bench_torch.py (f32 and bf16), then prints the ratio
# ours / torch of the median seconds per run (below 1: we are faster).
#
#   scripts/bench_compare.sh [--width W] [--height H] [--reps N] [--threads N] STAGE...
#   scripts/bench_compare.sh --compare OURS.jsonl TORCH.jsonl     # only the table, from earlier JSON lines
#
# STAGE: prior decoder vq-decode vq-encode clip-bigg clip-h pipeline. Both sides use random weights at the real
# configurations. The JSON lines of each side are kept in $BENCH_OUT (default: a new temporary folder).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

table() {
    # Matches each of our lines with torch's lines of the same stage, width, height and batch.
    python3 - "$1" "$2" <<'EOF'
import json, sys

def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]

ours, torch = load(sys.argv[1]), load(sys.argv[2])
key = lambda r: (r["stage"], r["width"], r["height"], r["batch"])
print(f"{'stage':<10} {'size':>10} {'batch':>5} {'ours s':>9} {'GFLOP/s':>8} {'RSS MB':>7} | "
      f"{'torch f32 s':>11} {'ours/f32':>8} {'RSS MB':>7} | {'torch bf16 s':>12} {'ours/bf16':>9} {'RSS MB':>7}")
for o in ours:
    row = f"{o['stage']:<10} {str(o['width']) + 'x' + str(o['height']):>10} {o['batch']:>5} {o['median_s']:>9.3f} {o['gflops']:>8.1f} {o['peak_rss_mb'] or 0:>7.0f}"
    for dtype, width in (("f32", 11), ("bf16", 12)):
        match = [t for t in torch if key(t) == key(o) and t["weights"] == dtype]
        if match:
            t = match[-1]
            row += f" | {t['median_s']:>{width}.3f} {o['median_s'] / t['median_s']:>{8 if dtype == 'f32' else 9}.2f} {t['peak_rss_mb']:>7.0f}"
        else:
            row += f" | {'-':>{width}} {'-':>{8 if dtype == 'f32' else 9}} {'-':>7}"
    print(row)
EOF
}

if [[ "${1:-}" == "--compare" ]]; then
    table "$2" "$3"
    exit 0
fi

width=1024 height=1024 reps=3 threads=2 stages=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --width) width="$2"; shift 2 ;;
        --height) height="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) stages+=("$1"); shift ;;
    esac
done
[[ ${#stages[@]} -gt 0 ]] || { echo "give at least one stage (prior decoder vq-decode vq-encode clip-bigg clip-h pipeline)" >&2; exit 2; }

out="${BENCH_OUT:-$(mktemp -d)}"
mkdir -p "$out"
cli="$root/src/Wuerstchen.Cli/bin/Release/net10.0/Wuerstchen.Cli.dll"
[[ -f "$cli" ]] || dotnet build -c Release "$root/src/Wuerstchen.Cli" >&2

for stage in "${stages[@]}"; do
    stage_reps=$reps
    [[ "$stage" == pipeline ]] && stage_reps=1
    echo "== $stage ${width}x${height}, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    dotnet "$cli" bench --stage "$stage" --width "$width" --height "$height" --reps "$stage_reps" \
        --threads "$threads" --random-weights --json >> "$out/ours.jsonl"
    python3 "$root/scripts/bench_torch.py" --stage "$stage" --width "$width" --height "$height" --reps "$stage_reps" \
        --threads "$threads" --dtype f32,bf16 --json >> "$out/torch.jsonl"
done
echo "JSON lines in $out" >&2
table "$out/ours.jsonl" "$out/torch.jsonl"
