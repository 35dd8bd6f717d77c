# Before-and-after benchmarks (compare.sh, compare-rebuild.sh): the base checkout and the
# rounds that run both sides in turn.
#
# base_checkout BASE_COMMIT|BASE_DIR: sets `base` to a checkout of the commit (a detached
# worktree under .local/compare, made once) or to the directory given, using this checkout's
# installed libraries and tools. Needs `root`.
base_checkout() {
    base="$1"
    if [ ! -d "$base" ]; then
        local commit dir part
        commit="$(git rev-parse --verify "$base^{commit}")"
        dir="$root/.local/compare/$commit"
        if [ ! -d "$dir" ]; then
            git worktree add --detach "$dir" "$commit" >/dev/null
        fi
        base="$dir"
    fi
    base="$(cd "$base" && pwd)"
    mkdir -p "$base/.local"
    for part in bin lib python; do
        [ -e "$base/.local/$part" ] || ln -s "$root/.local/$part" "$base/.local/$part"
    done
}

# run_rounds ROUNDS RUNS_DIR PATTERN SCRIPT [ARGS...]: runs Tests/Benchmarks/SCRIPT of the base
# checkout and of this one in turn, ROUNDS times, each run's output in RUNS_DIR/<side>-<round>.txt,
# showing its lines that match PATTERN; stops with the failed run's tail. Needs `root`, `base`.
run_rounds() {
    local rounds="$1" runs="$2" pattern="$3" script="$4" round side checkout
    shift 4
    for ((round = 1; round <= rounds; round++)); do
        for side in base this; do
            checkout="$root"
            [ "$side" = base ] && checkout="$base"
            echo "== round $round of $rounds: $side ($(git -C "$checkout" rev-parse --short HEAD))"
            "$checkout/Tests/Benchmarks/$script" "$@" >"$runs/$side-$round.txt" 2>&1 ||
                { tail -n 20 "$runs/$side-$round.txt"; exit 1; }
            grep -E "$pattern" "$runs/$side-$round.txt" | sed 's/^/   /'
        done
    done
}
