#!/usr/bin/env bash
# Runs a libFuzzer target, or all of them, for SECONDS each, from a corpus seeded with the bundled data:
#   scripts/fuzz.sh TARGET SECONDS
# TARGET: rlp, witness_json, compact, pre_state_trie, source, proof_file, verify, or all. Builds the fuzz preset
# (clang, AddressSanitizer and UndefinedBehaviorSanitizer) into build-fuzz/ first. Corpora grow in
# build-fuzz/corpus/TARGET and are kept between runs; a finding (crash, sanitizer report, leak, timeout,
# allocation above 2 GB) is saved in build-fuzz/findings/TARGET/ and fails the run: reproduce it with
# `build-fuzz/.../fuzz_TARGET FILE`, then make it a regression test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
targets=(rlp witness_json compact pre_state_trie source proof_file verify)
if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET SECONDS (TARGET: ${targets[*]} all)" >&2
  exit 2
fi
if [ "$1" = all ]; then
  chosen=("${targets[@]}")
elif [[ " ${targets[*]} " == *" $1 "* ]]; then
  chosen=("$1")
else
  echo "fuzz.sh: unknown target $1 (${targets[*]} all)" >&2
  exit 2
fi
seconds=$2

"$root/scripts/install-deps.sh" --fuzz
build="$root/build-fuzz"
cmake --preset fuzz -S "$root" >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${chosen[@]/#/fuzz_}" prove-witness verify-proof >/dev/null

# Seeds, made once: the bundled witnesses and the shared cases (when present), their transactions and
# receipts (RLP), their compact pre-images, archives of them, and a real proof in both forms.
seeds="$build/seeds"
if [ ! -d "$seeds" ]; then
  mkdir -p "$seeds".tmp/{rlp,witness_json,compact,source,proof_file,verify}
  witnesses=("$root"/testdata/witnesses/*.json "$root"/testdata/generated/*.json)
  if [ -d "$root/../shared/cases" ]; then witnesses+=("$root"/../shared/cases/*.json); fi
  n=0
  for w in "${witnesses[@]}"; do
    n=$((n + 1))
    cp "$w" "$seeds.tmp/witness_json/$n.json"
    jq -r '(if type == "array" then .[] else . end) | .block_trace.txn_info[]?.meta | .byte_code, .new_receipt_trie_node_byte' \
      "$w" 2>/dev/null | grep -E '^0x[0-9a-fA-F]+$' | head -20 | while read -r hex; do
      printf '%s' "${hex#0x}" | perl -ne 'print pack("H*", $_)' > "$seeds.tmp/rlp/$n-$RANDOM.bin"
    done || true  # a file without transactions, or not a witness at all
    jq -r '(if type == "array" then .[] else . end) | .block_trace.trie_pre_images.combined.compact // empty' "$w" \
      2>/dev/null | head -2 | while read -r hex; do
      printf '%s' "${hex#0x}" | perl -ne 'print pack("H*", $_)' > "$seeds.tmp/compact/$n-$RANDOM.bin"
    done || true
  done
  cp "$seeds.tmp"/witness_json/* "$seeds.tmp/source/"
  tar -C "$root/testdata/witnesses" -cJf "$seeds.tmp/source/witnesses.tar.xz" .
  xz -c "$root/testdata/generated/shanghai.json" > "$seeds.tmp/source/shanghai.json.xz"
  if [ -d "$root/../shared/cases" ]; then cp "$root"/../shared/cases/*.tar.xz "$seeds.tmp/source/" 2>/dev/null || true; fi
  apps=$(dirname "$(find "$build" -name prove-witness -type f | head -1)")
  # compact parameters: the smallest proof (about 0.6 MB), so that mutations run fast
  "$apps/prove-witness" --witness "$root/testdata/generated/shanghai.json" --parameter-set compact \
    --output "$seeds.tmp/verify/shanghai.proof" 2>/dev/null
  "$apps/verify-proof" --export-json "$seeds.tmp/proof_file/shanghai.json" "$seeds.tmp/verify/shanghai.proof" >/dev/null
  cp "$seeds.tmp/verify/shanghai.proof" "$seeds.tmp/proof_file/"
  mv "$seeds.tmp" "$seeds"
fi

status=0
for t in "${chosen[@]}"; do
  binary=$(find "$build/lib" -name "fuzz_$t" -type f | head -1)
  case $t in
    pre_state_trie) seed_dir=compact ;;
    *) seed_dir=$t ;;
  esac
  mkdir -p "$build/corpus/$t" "$build/findings/$t"
  echo "fuzz.sh: $t for ${seconds}s" >&2
  # -max_len above the largest seed (a proof, a witness file): libFuzzer would cut longer inputs at 1 MB
  if ! "$binary" -max_total_time="$seconds" -max_len=4194304 -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$build/findings/$t/" "$build/corpus/$t" "$seeds/$seed_dir" 2> "$build/findings/$t.log"; then
    echo "fuzz.sh: $t found a problem; see $build/findings/$t.log and $build/findings/$t/" >&2
    tail -30 "$build/findings/$t.log" >&2
    status=1
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$build/findings/$t.log" | tr '\n' ' ' >&2
    echo >&2
  fi
done
exit $status
