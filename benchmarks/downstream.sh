#!/usr/bin/env bash
# The downstream tables of benchmarks/README.md ("Downstream: aligner compare on real data").
#
# Trains word2vec and GloVe (aligner's defaults, dim 100) on the 10 M-token
# corpus in ../shared/data, aligns each to the vocabulary of a dataset-1 task
# (counted from its train and test texts, no labels), and runs `aligner compare`
# with both artifacts side by side: every way, 3 seeds, training sizes 500,
# 1000 and all, for the GRU and the CNN. Vectors and artifacts already made are
# reused; results are replaced.
#
# Usage (from the repository root):
#   bash benchmarks/downstream.sh                          # everything (about 1.5 hours on 2 cores)
#   TASKS=trec6 MODELS=gru bash benchmarks/downstream.sh   # one table
set -euo pipefail

DATA=${DATA:-../shared/data}
WORK=${WORK:-/tmp/aligner-bench/downstream}
TASKS=${TASKS:-"trec6 sms_spam"}
MODELS=${MODELS:-"gru cnn"}
ALIGNER=${ALIGNER:-.venv/bin/aligner}

mkdir -p "$WORK/vec" "$WORK/art" "$WORK/results"
for method in word2vec glove; do
    vectors="$WORK/vec/$method.bin"
    if [ ! -f "$vectors" ]; then
        "$ALIGNER" train --corpus "$DATA/gutenberg_dev_10M.txt.gz" --method "$method" \
            --dim 100 --seed 1 --threads 2 --out "$vectors"
    fi
done

for task in $TASKS; do
    for method in word2vec glove; do
        artifact="$WORK/art/$task-$method"
        if [ ! -f "$artifact/manifest.json" ]; then
            "$ALIGNER" build --pretrained "$WORK/vec/$method.bin" \
                --data "$DATA/dataset1/$task" --data-column 2 \
                --tokenizer regex --lowercase --seed 1 --out "$artifact"
        fi
    done
    for model in $MODELS; do
        "$ALIGNER" compare --artifact "$WORK/art/$task-word2vec" --artifact "$WORK/art/$task-glove" \
            --train "$DATA/dataset1/$task/train.tsv" --test "$DATA/dataset1/$task/test.tsv" \
            --text-column 2 --label-column 1 \
            --ways random,init,frozen,slow,partial,unfreeze --seeds 3 --train-sizes 500,1000,all \
            --model "$model" --out "$WORK/results/$task-$model" --force
    done
done
