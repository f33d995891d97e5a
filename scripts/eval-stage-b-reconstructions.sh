#!/usr/bin/env bash
# Scores Stage B alone: reconstructs the first N images of a 'make-dataset shapes' folder from their true image
# embeddings (semantic compressor → Stage B → Stage A) and runs the adherence analyser on them against the known
# attributes. This is how docs/ and models/README.md measure whether Stage B draws what the embedding carries.
#   scripts/eval-stage-b-reconstructions.sh CLI_DLL DATASET EFFNET DECODER OUT [N=40] [GUIDANCE=2] [STEPS=24] [STRENGTH=1]
# CLI_DLL: a published Wuerstchen.Cli.dll; EFFNET: a compressor folder; DECODER: a decoder pipeline folder
# (a 'train stage-b' output or models/default/decoder); OUT: a new folder for the reconstructions and the report.
# STRENGTH below 1 starts Stage B from each image's own Stage A latent noised to t = STRENGTH (reconstruct
# --strength): where the score recovers tells at which noise level Stage B loses the shape.
set -euo pipefail
cli="$1"; data="$2"; effnet="$3"; decoder="$4"; out="$5"; n="${6:-40}"; guidance="${7:-2}"; steps="${8:-24}"; strength="${9:-1}"
[[ -f "$data/metadata.jsonl" ]] || { echo "$data: no metadata.jsonl (make it with 'make-dataset shapes')" >&2; exit 1; }
[[ -e "$out" ]] && { echo "$out exists: give a new folder" >&2; exit 1; }
mkdir -p "$out"
head -n "$n" "$data/metadata.jsonl" > "$out/metadata.jsonl"
i=0
while IFS= read -r line; do
  name="$(printf '%06d' "$i")"
  [[ -f "$data/$name.png" ]] || { echo "$data/$name.png: missing (expected the dataset's numbering)" >&2; exit 1; }
  cp "$data/$name.txt" "$out/" 2>/dev/null || true
  dotnet "$cli" reconstruct "$data/$name.png" --effnet "$effnet" --decoder "$decoder" --guidance "$guidance" \
    --steps "$steps" --strength "$strength" --seed "$i" -o "$out/$name.png" > /dev/null
  i=$((i + 1))
done < "$out/metadata.jsonl"
dotnet "$cli" evaluate-adherence --shapes-dataset "$out" --output "$out/report"
