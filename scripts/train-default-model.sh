#!/usr/bin/env bash
# Trains the default model (models/default) from scratch on this machine's CPU, stage by stage, with the project's
# own trainers. Every stage checkpoints and the whole script is resumable: run it again after an interruption and
# each stage continues from its newest checkpoint (bit-identical to an uninterrupted run).
#
#   scripts/train-default-model.sh [WORK_DIR]        (default WORK_DIR: ../train-default beside the repo)
#
# Stages (models/README.md has the architecture and why each stage is as it is; docs/TRAINING.md the options):
#   0. the procedural shapes dataset (20,000 captioned 256x256 images) and our own BPE tokenizer;
#   1. a 4x Stage A (VQGAN), only as the target the semantic compressor learns to reconstruct;
#   2. the stride-16 semantic compressor (16x12x12 latents at 256x256), with shape and colour probes on its
#      features, then a short cosine tail so BatchNorm's running statistics match its final weights;
#   3. the text encoder, pre-trained alone as a tiny CLIP: captions against the compressor's latents;
#   4. the shipped 8x Stage A (4x32x32 latents), first on 128x128 crops, then at 256x256;
#   5. Stage B on the frozen compressor, its copy of the text encoder trained jointly: batch 8, then batch 32 with EMA;
#   6. Stage C (c 192, depth 8) on the compressor's unit-variance latents (latent_mean 1, latent_std 0), its copy of
#      the text encoder trained on from the pre-trained start, then fine-tuned with the v loss weighting;
#   7. assembly of models/default (both pipeline folders, f16 weights) and the prompt-adherence check.
# On this 2-core CPU the whole run should take about 6 hours (an estimate from the stages run one at a time;
# models/README.md, "(Re)training").
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$repo/../train-default}"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
configs="$repo/models/default-configs"

steps_a4="${STEPS_A4:-1500}"
steps_e="${STEPS_E:-1000}"
steps_ea="${STEPS_EA:-120}"
steps_t="${STEPS_T:-2000}"
steps_a8="${STEPS_A8:-1500}"
steps_a8b="${STEPS_A8B:-1000}"
steps_b="${STEPS_B:-4500}"
steps_b32="${STEPS_B32:-8000}"
steps_c="${STEPS_C:-3000}"
steps_cv="${STEPS_CV:-4000}"

cli="$work/bin/Wuerstchen.Cli.dll"
if [[ ! -f "$cli" ]]; then
  dotnet publish "$repo/src/Wuerstchen.Cli" -c Release -o "$work/bin" >/dev/null
fi
wuerstchen() { dotnet "$cli" "$@"; }

# Runs `wuerstchen train ...` into OUT, resuming when OUT already has a checkpoint, skipping when it is finished.
train() {
  local out="$1"; shift
  if [[ -f "$out/.done" ]]; then echo "$(basename "$out"): done"; return; fi
  local resume=()
  if compgen -G "$out/checkpoint-*" >/dev/null; then resume=(--resume); fi
  wuerstchen train "$@" --output "$out" "${resume[@]}"
  touch "$out/.done"
}

# 0. Data and tokenizer. Captions call every small object small, so an unsized prompt asks for a large one.
data="$work/shapes256"
if [[ ! -f "$data/metadata.jsonl" ]]; then
  rm -rf "$data"
  wuerstchen make-dataset shapes --count 20000 --size 256 --seed 2026 --output "$data"
fi
text_init="$work/text-init"
if [[ ! -f "$text_init/tokenizer/vocab.json" ]]; then
  rm -rf "$text_init"
  wuerstchen make-tokenizer --captions "$data" --vocab-size 1024 --output "$text_init/tokenizer"
  mkdir -p "$text_init/text_encoder"
  cp "$configs/text_encoder.json" "$text_init/text_encoder/config.json"   # config only: trained from scratch
fi

# 1. The 4x Stage A: the compressor's training target (its 4x64x64 latents keep more detail than the 8x ones).
train "$work/stage-a4" stage-a --data "$data" --config "$configs/vqgan-f4.json" \
  --resolution 128 --batch 8 --steps "$steps_a4" --lr 3e-4 --warmup 100 --reconstruction l1 \
  --codebook-restart-every 20 --checkpoint-every 100 --seed 1

# 2. The stride-16 compressor: reconstruct Stage A's latents through the 16-channel bottleneck, and name each cell's
#    shape and colour (--label-weight), so that its latents carry the outline Stage B has to draw.
train "$work/effnet" effnet --data "$data" --stage-a "$work/stage-a4/vqgan" --effnet-config "$configs/effnet-stride16.json" \
  --resolution 256 --batch 16 --steps "$steps_e" --lr 1e-3 --warmup 100 --label-weight 1 --checkpoint-every 250 --seed 7
train "$work/effnet-anneal" effnet --data "$data" --stage-a "$work/stage-a4/vqgan" --init "$work/effnet" \
  --resolution 256 --batch 16 --steps "$steps_ea" --lr 3e-4 --lr-schedule cosine --label-weight 1 \
  --checkpoint-every 60 --seed 17
effnet="$work/effnet-anneal/effnet"

# 3. The text encoder as a tiny CLIP (train text-encoder): it learns what the captions say about the compressor's
#    latents in minutes, which the prior's diffusion loss alone teaches it only over many thousands of updates. The
#    latents are the prior's (same cache).
train "$work/text-encoder" text-encoder --data "$data" --text-encoder "$text_init" --effnet "$effnet" \
  --latent-cache "$work/stage-c-latents" --latent-mean 1 --latent-std 0 \
  --resolution 256 --batch 256 --steps "$steps_t" --lr 1e-3 --warmup 100 --lr-schedule cosine --checkpoint-every 500 --seed 9
text="$work/text-encoder"

# 4. The 8x Stage A that ships: a 4x smaller latent makes Stage B's job (and its training) far cheaper.
train "$work/stage-a8" stage-a --data "$data" --config "$configs/vqgan.json" \
  --resolution 128 --batch 8 --steps "$steps_a8" --lr 3e-4 --warmup 100 --reconstruction l1 \
  --codebook-restart-every 20 --checkpoint-every 250 --seed 1
train "$work/stage-a8b" stage-a --data "$data" --init "$work/stage-a8" \
  --resolution 256 --batch 8 --steps "$steps_a8b" --lr 3e-4 --warmup 50 --lr-schedule cosine --reconstruction l1 \
  --codebook-restart-every 20 --checkpoint-every 250 --seed 11
vqgan="$work/stage-a8b/vqgan"

# 5. Stage B (+ its copy of the text encoder) on the frozen compressor, its inputs encoded once (--latent-cache):
#    batch 8 to learn the layout fast, then batch 32 with EMA, which is what made the outlines sharp (models/README.md).
train "$work/stage-b" stage-b --data "$data" --config "$configs/decoder.json" \
  --stage-a "$vqgan" --effnet "$effnet" --freeze-effnet --text-encoder "$text" --train-text-encoder \
  --resolution 256 --batch 8 --steps "$steps_b" --lr 2e-4 --warmup 200 --latent-cache "$work/stage-b-latents" \
  --checkpoint-every 500 --seed 42
train "$work/stage-b32" stage-b --data "$data" --init "$work/stage-b" \
  --stage-a "$vqgan" --effnet "$effnet" --freeze-effnet --train-text-encoder \
  --resolution 256 --batch 32 --steps "$steps_b32" --lr 1e-4 --warmup 100 --ema diffusers \
  --latent-cache "$work/stage-b-latents" --checkpoint-every 500 --seed 71

# 6. Stage C on the frozen compressor's latents (cached), starting from the pre-trained text encoder and training it on
#    jointly (session 16: frozen, the prior drew the right backgrounds but few objects; trained from scratch, objects
#    but wrong backgrounds). The compressor ends in a BatchNorm, so its output already has unit variance: latent_mean 1 /
#    latent_std 0 make that the prior's latent (the released (x + 1) / 42 would shrink it to std 0.024, below the
#    noise at every t).
train "$work/stage-c" stage-c --data "$data" --config "$configs/prior.json" \
  --effnet "$effnet" --latent-cache "$work/stage-c-latents" --latent-mean 1 --latent-std 0 \
  --text-encoder "$text" --train-text-encoder \
  --resolution 256 --batch 32 --steps "$steps_c" --lr 3e-4 --warmup 200 --lr-schedule cosine --ema diffusers \
  --checkpoint-every 500 --seed 3

# 6b. The v loss weighting (1/ᾱ): the p2 loss hardly penalises x0 errors near t = 1, where the first sampling steps
#     decide the outline. Unstable from scratch, so it is a fine-tune.
train "$work/stage-c-v" stage-c --data "$data" --init "$work/stage-c" --effnet "$effnet" \
  --latent-cache "$work/stage-c-latents" --train-text-encoder \
  --resolution 256 --batch 32 --steps "$steps_cv" --lr 1e-4 --warmup 100 --lr-schedule cosine --loss-weight v \
  --ema diffusers --checkpoint-every 500 --seed 5

# 7. Assemble models/default (f16 weights to keep the repository small) and measure adherence.
"$repo/scripts/assemble-default-model.sh" "$work" "$repo/models/default" "$work/stage-c-v" "$work/stage-b32"
# The sampling settings chosen for this architecture (session 15: prior guidance 3-5 within a prompt of each other).
cat > "$repo/models/default/defaults.json" <<'JSON'
{
  "width": 256,
  "height": 256,
  "prior_num_inference_steps": 60,
  "prior_guidance_scale": 4,
  "num_inference_steps": 24,
  "decoder_guidance_scale": 2
}
JSON
wuerstchen evaluate-adherence --model "$repo/models/default" --output "$work/adherence" | tee "$work/adherence.txt"
