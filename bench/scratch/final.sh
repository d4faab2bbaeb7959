#!/bin/bash
# Side by side, same session: baseline tree (default /tmp/base) vs working tree for effect-go,
# plus the peers the issue-6 targets compare with. Median of 5 per run; R rounds interleaved.
base=${1:-/tmp/base}; R=${2:-3}
med() { (cd $1/bench && npx node --experimental-strip-types --no-warnings --expose-gc one.ts "$2" "$3" default "$4" 5 2>&1 | grep -o '[0-9]* ns/op' | awk '{print $1}' | sort -n | sed -n 3p); }
for r in $(seq $R); do
  echo "== round $r"
  for spec in "pingpong|0|300000" "spsc-cap1|1|500000" "spsc-cap64|64|2000000" "spsc-cap1024|1024|2000000" "mpmc-4x4|64|2000000"; do
    IFS='|' read row c n <<< "$spec"
    line="$row: base $(med $base $row "effect-go Chan($c)" $n)  new $(med /work/main $row "effect-go Chan($c)" $n)  queue $(med /work/main $row "Effect Queue.bounded($c)" $n)"
    case $row in pingpong|spsc-cap1) line="$line  ts-chan-unsafe $(med /work/main $row "ts-chan (unsafe: no macrotask yield)" $n)";; esac
    echo "$line"
  done
  echo "select-4: base $(med $base select-4 "effect-go Select" 400000)  new $(med /work/main select-4 "effect-go Select" 400000)"
done
