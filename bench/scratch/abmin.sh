#!/bin/bash
# A/B by minimum (robust to load from other processes): alternates base and working tree,
# each run 7 reps; prints min and median per run. Usage: abmin.sh row "contestant" n [rounds] [basedir]
row=$1; name=$2; n=$3; rounds=${4:-4}; base=${5:-/tmp/base}
st() { (cd $1/bench && npx node --experimental-strip-types --no-warnings --expose-gc one.ts "$row" "$name" default "$n" 7 2>&1 | grep -o '[0-9]* ns/op' | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {printf "min %d med %d", a[1], a[4]}'); }
for r in $(seq $rounds); do echo "base $(st $base)   new $(st /work/main)"; done
