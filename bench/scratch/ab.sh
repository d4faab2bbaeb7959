#!/bin/bash
# A/B: alternates a baseline tree and the working tree; prints each run's median of 5.
# Usage: ab.sh row "contestant" n [rounds] [basedir]   (basedir: default /tmp/base, made with
#   git archive <commit> | tar -x -C /tmp/base && ln -s /work/main/node_modules /tmp/base/)
row=$1; name=$2; n=$3; rounds=${4:-3}; base=${5:-/tmp/base}
med() { (cd $1/bench && npx node --experimental-strip-types --no-warnings --expose-gc one.ts "$row" "$name" default "$n" 5 2>&1 | grep -o '[0-9]* ns/op' | awk '{print $1}' | sort -n | sed -n 3p); }
for r in $(seq $rounds); do echo "base $(med $base)  new $(med /work/main)"; done
