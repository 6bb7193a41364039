# Shared by the benchmark scripts (sourced): RUNS must be set.

# measure CMD...: best wall time over RUNS runs and that run's peak RSS -> "secs kb"
# (exits if CMD fails)
measure() {
    local best="" rss="" tf
    tf=$(mktemp)
    for _ in $(seq "$RUNS"); do
        if ! /usr/bin/time -o "$tf" -f "%e %M" "$@" >/dev/null 2>"$tf.err"; then
            echo "failed: $* (see below)" >&2
            tail -5 "$tf.err" >&2
            rm -f "$tf" "$tf.err"
            exit 1
        fi
        local t m
        read -r t m <"$tf"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$t rss=$m
        fi
    done
    rm -f "$tf" "$tf.err"
    echo "$best $rss"
}
