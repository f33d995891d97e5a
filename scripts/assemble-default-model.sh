#!/usr/bin/env bash
# Assembles the default model from the trainers' outputs (see scripts/train-default-model.sh):
#   scripts/assemble-default-model.sh WORK_DIR TARGET [STAGE_C_DIR STAGE_B_DIR]   (TARGET: models/default;
#   the stage folders default to WORK_DIR/stage-c and WORK_DIR/stage-b)
# TARGET/prior   = Stage C's prior pipeline folder (prior, its jointly trained text encoder, tokenizer, scheduler)
# TARGET/decoder = Stage B's decoder pipeline folder (decoder, text encoder, tokenizer, the frozen Stage A, scheduler)
#                  plus effnet/ (the semantic compressor, for reconstruction and variations; diffusers ignores it)
# Weights are exported as f16 safetensors under the plain file names, to keep the repository small; the loaders
# widen them to float32. defaults.json in TARGET is kept.
set -euo pipefail
work="$1"; target="$2"
repo="$(cd "$(dirname "$0")/.." && pwd)"
cli="$work/bin/Wuerstchen.Cli.dll"

stage_c="${3:-$work/stage-c}"; stage_b="${4:-$work/stage-b}"
for f in "$stage_c/model_index.json" "$stage_b/model_index.json"; do
  [[ -f "$f" ]] || { echo "missing $f: train the stages first" >&2; exit 1; }
done

tmp="$(mktemp -d "$(dirname "$target")/.assemble-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
copy_pipeline() {   # copy_pipeline SRC DST component...
  local src="$1" dst="$2"; shift 2
  mkdir -p "$dst"
  cp "$src/model_index.json" "$dst/"
  for c in "$@"; do cp -r "$src/$c" "$dst/$c"; done
}
copy_pipeline "$stage_c" "$tmp/prior" prior text_encoder tokenizer scheduler
copy_pipeline "$stage_b" "$tmp/decoder" decoder text_encoder tokenizer vqgan scheduler effnet
# Only the plain (float32) weight files are copied above; convert each to f16 in place.
dotnet "$cli" convert-weights --dtype f16 "$tmp/prior" "$tmp/decoder"

[[ -f "$target/defaults.json" ]] && cp "$target/defaults.json" "$tmp/defaults.json"
[[ -f "$target/README.md" ]] && cp "$target/README.md" "$tmp/README.md"
rm -rf "$target.old"
[[ -d "$target" ]] && mv "$target" "$target.old"
mv "$tmp" "$target"
rm -rf "$target.old"
trap - EXIT
du -sh "$target"
