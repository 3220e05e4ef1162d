#!/usr/bin/env bash
# Runs examples/hello (the arguments are the command: the emulator, if any,
# then the program) and checks that it prints "Hello ..." and then, a
# second later, "... World!". Each line is stamped when it arrives; only a
# lower bound is checked (the machine may be slow, never fast).
set -euo pipefail
stamped=$("$@" | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done)
printf '%s\n' "$stamped" | cut -d' ' -f2-
printf '%s\n' "$stamped" | awk '
  NR == 1 { t1 = $1; sub(/^[^ ]+ /, ""); l1 = $0 }
  NR == 2 { t2 = $1; sub(/^[^ ]+ /, ""); l2 = $0 }
  END {
    if (NR != 2 || l1 != "Hello ..." || l2 != "... World!") { print "expected two lines, Hello ... and ... World!"; exit 1 }
    gap = t2 - t1
    printf "the lines came %.2f s apart\n", gap
    if (gap < 0.8) { print "expected about a second between them"; exit 1 }
  }'
