#!/bin/bash
# effect-go vs Effect Queue on every channel row, same session, median of 5 each, interleaved.
cd /work/main/bench
med() { npx node --experimental-strip-types --no-warnings --expose-gc one.ts "$1" "$2" default "$3" 5 2>&1 | grep -o '[0-9]* ns/op' | awk '{print $1}' | sort -n | sed -n 3p; }
for row in "pingpong|0|300000" "spsc-cap1|1|500000" "spsc-cap64|64|2000000" "spsc-cap1024|1024|2000000" "mpmc-4x4|64|2000000"; do
  IFS='|' read r c n <<< "$row"
  echo "$r: effect-go $(med $r "effect-go Chan($c)" $n)  queue $(med $r "Effect Queue.bounded($c)" $n)"
done
