#!/usr/bin/env bash
# Per-record cost of scoring a PMML document, counted by valgrind rather than timed, so the figures
# hold on a loaded or virtual machine. Each figure is the difference between a run of 6,000 and a
# run of 2,000 records divided by 4,000: loading the document and reading the input cancel out.
#
# Usage: scripts/pmml-profile.sh instructions|mispredictions|functions BUILD_DIR MODEL.pmml INPUT.csv [typed|strings]
#   instructions    instructions per record (callgrind's total)
#   mispredictions  simulated branch mispredictions per record (cachegrind's branch simulator: a
#                   simple predictor, so read the change between two builds, not the level)
#   functions       instructions per record per function and per source line, most first
# The path (default typed) is scorestream-pmml bench's --path. Needs valgrind (and python3 for the
# last two modes); BUILD_DIR is a CMake build of this repository (Release, -g for line names).
set -euo pipefail

if [[ $# -lt 4 || $# -gt 5 ]]; then
  sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
mode=$1 build=$2 model=$3 input=$4 path=${5:-typed}
tool="$build/src/pmml/cli/scorestream-pmml"
[[ -x "$tool" ]] || { echo "pmml-profile: no $tool (build the scorestream-pmml target)" >&2; exit 2; }
[[ -f "$model" && -f "$input" ]] || { echo "pmml-profile: no such model or input file" >&2; exit 2; }
case "$path" in typed | strings) ;; *) echo "pmml-profile: path must be typed or strings" >&2; exit 2 ;; esac
command -v valgrind > /dev/null || { echo "pmml-profile: valgrind is not installed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

case "$mode" in
  instructions)
    for n in 2000 6000; do
      valgrind --tool=callgrind --callgrind-out-file="$work/cg.$n" "$tool" bench --model "$model" \
        --input "$input" --records "$n" --path "$path" > /dev/null 2> "$work/log.$n"
      grep -o 'refs: *[0-9,]*' "$work/log.$n" | tr -dc 0-9 > "$work/ir.$n"
    done
    echo "$(( ($(cat "$work/ir.6000") - $(cat "$work/ir.2000")) / 4000 )) instructions per record ($path)"
    ;;
  mispredictions | functions)
    for n in 2000 6000; do
      if [[ $mode == mispredictions ]]; then
        valgrind --tool=cachegrind --cache-sim=no --branch-sim=yes --cachegrind-out-file="$work/out.$n" \
          "$tool" bench --model "$model" --input "$input" --records "$n" --path "$path" > /dev/null 2>&1
      else
        valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$work/out.$n" \
          "$tool" bench --model "$model" --input "$input" --records "$n" --path "$path" > /dev/null 2>&1
      fi
    done
    # Both tools write "fl=" / "fn=" headers and lines of "line cost..." (callgrind compresses names
    # as "(id) name" the first time, "(id)" after); costs are summed per file and line.
    python3 - "$mode" "$work/out.2000" "$work/out.6000" << 'EOF'
import collections, re, sys

mode, small, large = sys.argv[1:4]

def costs(path):
    per = collections.Counter()
    names, fl, fn, events, sub, pos = {}, "?", "?", [], False, 0
    def name(v):
        m = re.match(r"\((\d+)\)(?: (.*))?", v)
        if not m:
            return v
        if m.group(2):
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), "?")
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith(("fl=", "fi=", "fe=")):
            fl = name(line[3:])
        elif line.startswith("fn="):
            fn = name(line[3:])
        elif line.startswith(("cfn=", "cfi=", "cfl=")):
            name(line[4:])
        elif line.startswith("calls="):
            sub = True  # the next cost line is a call's inclusive cost
        elif line[:1].isdigit() or (line[:1] != "" and line[:1] in "+-*"):
            parts = line.split()
            # callgrind may write a line number relative to the previous one (+n, -n, *)
            if parts[0] == "*":
                pass
            elif parts[0][0] in "+-":
                pos = pos + int(parts[0])
            elif parts[0].isdigit():
                pos = int(parts[0])
            else:
                continue
            if sub:
                sub = False
                continue
            values = dict(zip(events, (int(p) for p in parts[1:])))
            cost = values.get("Bcm", 0) + values.get("Bim", 0) if mode == "mispredictions" else values.get("Ir", 0)
            per[(fn if mode == "functions" else "", fl, pos)] += cost
    return per

a, b = costs(small), costs(large)
rows = sorted(((b[k] - a[k]) / 4000, k) for k in set(a) | set(b))
rows.reverse()
unit = "mispredictions" if mode == "mispredictions" else "instructions"
print("%.2f %s per record in all" % (sum(r[0] for r in rows), unit))
for value, (fn, fl, ln) in rows[:25]:
    if value < 0.01:
        break
    where = "%s:%s" % (fl.split("/")[-1], ln)
    print("%8.2f  %-28s %s" % (value, where, fn[:100]))
EOF
    ;;
  *)
    echo "pmml-profile: unknown mode '$mode' (instructions, mispredictions, functions)" >&2
    exit 2
    ;;
esac
