#!/usr/bin/env bash
# The figures of plugins/babyai/README.md: the teacher and minigrid's BabyAIBot on the held-out
# levels of every kind (50 episodes each, seeds 0-49), the teacher's agreement with the bot, and
# decision latency. Run from the repository root; writes plugins/babyai/results/*.json.
set -euo pipefail
export HF_HUB_OFFLINE=1
N=${N:-50}
OUT=plugins/babyai/results
mkdir -p "$OUT"
for kind in goto pickup open putnext pick_up_seq_go_to; do
  logicdistill eval --task babyai --agent teacher --variant "$kind:test" --episodes "$N" --seed 0 --json "$OUT/teacher-$kind.json"
  logicdistill eval --task babyai --agent bot --variant "$kind:test" --episodes "$N" --seed 0 --json "$OUT/bot-$kind.json"
done
python plugins/babyai/scripts/measure.py --episodes "$N" --json "$OUT/agreement.json"
