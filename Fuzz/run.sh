#!/usr/bin/env bash
# Builds meshtop-fuzz with libFuzzer and runs targets for a while; prints each target's
# executions, executions per second, coverage and corpus size. See Fuzz/README.md.
#   Fuzz/run.sh                       every target, 600 s each
#   Fuzz/run.sh --seconds 20          every target, 20 s each (the CI smoke)
#   Fuzz/run.sh --seconds 60 pem      one target
# Exit status 1 when a target crashed (the reproducer is under .build-fuzz/crashes/).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(exposition envoy istiod pem apis)

# SwiftPM links executables with their own entry point while -sanitize=fuzzer links libFuzzer's
# main as well: lld with --allow-multiple-definition accepts both, and both run the same driver.
swift build -c release --product meshtop-fuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING \
    -Xlinker --allow-multiple-definition -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
fuzzer=.build-fuzz/release/meshtop-fuzz

# Extra read-only seeds from the captured fixtures, when they are beside the repository.
fixtures=../shared/fixtures
declare -A extra=(
    [exposition]="$fixtures/OpenMetrics/tests/testdata/parsers $fixtures/prometheus $fixtures/linkerd2"
    [envoy]="$fixtures/istio/istioctl/pkg/writer/envoy $fixtures/istio/pilot/pkg/xds/testdata"
    [istiod]="$fixtures/istio/istioctl/pkg/writer/pilot $fixtures/istio/tests/testdata/config"
    [pem]="$fixtures/istio/security/pkg/pki/testdata $fixtures/istio/samples/certs"
    [apis]="$fixtures/mosn $fixtures/kiali $fixtures/istio/istioctl/pkg/writer/ztunnel"
)

failed=0
mkdir -p .build-fuzz/crashes
for target in "${targets[@]}"; do
    work=.build-fuzz/corpus/$target
    mkdir -p "$work"
    seeds=("Fuzz/Corpus/$target")
    for dir in ${extra[$target]:-}; do [ -d "$dir" ] && seeds+=("$dir"); done
    log=.build-fuzz/$target.log
    status=0
    MESHTOP_FUZZ_TARGET=$target "$fuzzer" "$work" "${seeds[@]}" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix=".build-fuzz/crashes/$target-" >"$log" 2>&1 || status=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    corpus=$(ls "$work" | wc -l)
    if [ $status -eq 0 ]; then verdict="no crash"; else verdict="CRASHED (status $status, see $log)"; failed=1; fi
    printf '%-11s %5ss  %12s runs  %8s exec/s  cov %6s  corpus %5s  %s\n' \
        "$target" "$seconds" "$runs" "$rate" "$cov" "$corpus" "$verdict"
done
exit $failed
