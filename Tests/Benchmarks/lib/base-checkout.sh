# The "before" side of a before-and-after benchmark (compare.sh, compare-rebuild.sh).
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
