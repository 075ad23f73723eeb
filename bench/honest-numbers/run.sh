#!/bin/sh
# Honest numbers on data nobody on the project wrote (#83 must-show; docs/notes/2026-11-29-honest-numbers.md).
#   sh bench/honest-numbers/run.sh [OUT]      (default /tmp/honest-numbers; about a minute on 2 cores)
# Needs Debian's python3-sklearn and python3-statsmodels for /usr/bin/python3, and man-db's index.
set -eu
OUT=${1:-/tmp/honest-numbers}
HERE=$(dirname "$0")
TRAIN="npx tsx src-engine/node/train-cli.ts"
mkdir -p "$OUT"
/usr/bin/python3 "$HERE/prepare.py" "$OUT/data"
D=$OUT/data
$TRAIN examples/iris-mlp.json --data "$D/wine/train.csv" --target cultivar --val-data "$D/wine/val.csv" --test-data "$D/wine/test.csv" --json > "$OUT/wine.jsonl"
$TRAIN examples/housing-mlp.json --data "$D/diabetes/train.csv" --target progression --val-data "$D/diabetes/val.csv" --test-data "$D/diabetes/test.csv" --json > "$OUT/diabetes.jsonl"
$TRAIN "$HERE/co2-mlp.json" --data "$D/co2/co2_monthly.csv" --json > "$OUT/co2.jsonl"
# Rolling-origin cross-validation of the series: each fold tested on a later block, trained on the months before it.
$TRAIN "$HERE/co2-mlp.json" --data "$D/co2/co2_monthly.csv" --folds 5 --json > "$OUT/co2-folds.jsonl"
# A text table keeps its own fixed test split (--test-data is refused for it): Netwright splits, split-indices.ts says how.
$TRAIN examples/fortunes-topics-bow.json --data "$D/man/all.csv" --target label --json > "$OUT/man.jsonl"
npx tsx "$HERE/split-indices.ts" texts "$D/man/all.csv" label 0.05 1 > "$OUT/man-split.json"
$TRAIN examples/iris-mlp.json --data "$D/wine/all.csv" --target cultivar --folds 5 --json > "$OUT/wine-folds.jsonl"
npx tsx "$HERE/split-indices.ts" folds "$D/wine/all.csv" cultivar 5,0.1 1 > "$OUT/wine-folds.json"
/usr/bin/python3 "$HERE/compare.py" "$OUT"
