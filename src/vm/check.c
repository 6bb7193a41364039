/* VM analysis, third pass: every guest event placed against its vCPU's periods. */
#include "vm/vm_impl.h"

#include <stdlib.h>
#include <string.h>

/* ---- accumulators ------------------------------------------------------------ */

static const int64_t pow10s[11] = {1,       10,       100,       1000,       10000,        100000,
                                   1000000, 10000000, 100000000, 1000000000, 10000000000LL};

int ts_vm_hist_index(int64_t d)
{
    uint64_t m = d < 0 ? (uint64_t)0 - (uint64_t)d : (uint64_t)d;
    int k = 0;
    while (k < 9 && m >= (uint64_t)pow10s[k + 1]) k++;
    return d < 0 ? 9 - k : 10 + k;
}

void ts_vm_hist_bin(int i, int *sign, int64_t *lo, int64_t *hi)
{
    if (i < 0) i = 0;
    if (i >= TS_VM_HIST_BINS) i = TS_VM_HIST_BINS - 1;
    int k = i < 10 ? 9 - i : i - 10;
    *sign = i < 10 ? -1 : 1;
    *lo = pow10s[k];
    *hi = k == 9 ? -1 : pow10s[k + 1];
}

void vm_acc_bad(vm_acc *a, int64_t d)
{
    int64_t m = d < 0 ? (d == INT64_MIN ? INT64_MAX : -d) : d;
    if (!a->bad || m > a->max_abs) a->max_abs = m;
    if (!a->bad || d < a->min_signed) a->min_signed = d;
    if (!a->bad || d > a->max_signed) a->max_signed = d;
    a->bad++;
    a->sum_abs += m;
    a->sum_signed += d;
    a->hist[ts_vm_hist_index(d)]++;
}

void vm_acc_add(vm_acc *dst, const vm_acc *src)
{
    if (src->bad) {
        if (!dst->bad || src->max_abs > dst->max_abs) dst->max_abs = src->max_abs;
        if (!dst->bad || src->min_signed < dst->min_signed) dst->min_signed = src->min_signed;
        if (!dst->bad || src->max_signed > dst->max_signed) dst->max_signed = src->max_signed;
    }
    dst->total += src->total;
    dst->checked += src->checked;
    dst->bad += src->bad;
    dst->no_mapping += src->no_mapping;
    dst->before_first += src->before_first;
    dst->after_last += src->after_last;
    dst->unknown += src->unknown;
    dst->sum_abs += src->sum_abs;
    dst->sum_signed += src->sum_signed;
    for (int i = 0; i < TS_VM_HIST_BINS; i++) dst->hist[i] += src->hist[i];
}

void vm_acc_counts(const vm_acc *a, ts_vm_counts *out)
{
    memset(out, 0, sizeof *out);
    out->total = a->total;
    out->checked = a->checked;
    out->bad = a->bad;
    out->no_mapping = a->no_mapping;
    out->before_first = a->before_first;
    out->after_last = a->after_last;
    out->unknown = a->unknown;
    if (a->bad) {
        out->max_abs_ns = a->max_abs;
        out->min_signed_ns = a->min_signed;
        out->max_signed_ns = a->max_signed;
        out->mean_abs_ns = (double)a->sum_abs / (double)a->bad;
        out->mean_signed_ns = (double)a->sum_signed / (double)a->bad;
    }
    memcpy(out->hist, a->hist, sizeof out->hist);
}

double ts_vm_bad_percent(const ts_vm_counts *c)
{
    return c->checked ? 100.0 * (double)c->bad / (double)c->checked : 0.0;
}

/* ---- event names --------------------------------------------------------------- */

static uint32_t hash_str(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int name_hash_grow(ts_vm *vm)
{
    size_t ncap = vm->name_hashcap ? vm->name_hashcap * 2 : 256;
    uint32_t *nh = calloc(ncap, sizeof *nh);
    if (!nh) return -1;
    for (size_t i = 0; i < vm->nnames; i++) {
        size_t h = hash_str(vm->names[i], strlen(vm->names[i])) & (ncap - 1);
        while (nh[h]) h = (h + 1) & (ncap - 1);
        nh[h] = (uint32_t)i + 1;
    }
    free(vm->name_hash);
    vm->name_hash = nh;
    vm->name_hashcap = ncap;
    return 0;
}

int ts_vm_name_id(ts_vm *vm, const char *name, size_t len)
{
    if (vm->name_hashcap) {
        size_t h = hash_str(name, len) & (vm->name_hashcap - 1);
        while (vm->name_hash[h]) {
            const char *s = vm->names[vm->name_hash[h] - 1];
            if (strlen(s) == len && !memcmp(s, name, len)) return (int)vm->name_hash[h] - 1;
            h = (h + 1) & (vm->name_hashcap - 1);
        }
    }
    if ((vm->nnames + 1) * 2 > vm->name_hashcap && name_hash_grow(vm)) return -1;
    if (vm->nnames == vm->capnames) {
        size_t ncap = vm->capnames ? vm->capnames * 2 : 64;
        char **nv = realloc(vm->names, ncap * sizeof *nv);
        if (!nv) return -1;
        vm->names = nv;
        vm->capnames = ncap;
    }
    char *s = malloc(len + 1);
    if (!s) return -1;
    memcpy(s, name, len);
    s[len] = 0;
    vm->names[vm->nnames] = s;
    size_t h = hash_str(name, len) & (vm->name_hashcap - 1);
    while (vm->name_hash[h]) h = (h + 1) & (vm->name_hashcap - 1);
    vm->name_hash[h] = (uint32_t)vm->nnames + 1;
    return (int)vm->nnames++;
}

/* The accumulator of name id in guest G, created on first use (NULL: no memory). */
static vm_acc *name_acc(ts_vm *vm, vm_guest *G, int id)
{
    if (id < 0) return NULL;
    if ((size_t)id >= G->nnames) {
        size_t n = vm->nnames > (size_t)id ? vm->nnames : (size_t)id + 1;
        if (n < G->nnames * 2) n = G->nnames * 2;
        vm_acc *na = realloc(G->names, n * sizeof *na);
        if (!na) {
            G->oom = true;
            return NULL;
        }
        memset(na + G->nnames, 0, (n - G->nnames) * sizeof *na);
        G->names = na;
        G->nnames = n;
    }
    vm_acc *a = &G->names[id];
    if (!a->total) {
        uint32_t *no = realloc(G->order, (G->norder + 1) * sizeof *no);
        if (!no) {
            G->oom = true;
            return NULL;
        }
        G->order = no;
        G->order[G->norder++] = (uint32_t)id;
    }
    return a;
}

/* ---- placement ------------------------------------------------------------------- */

/* First period whose end reaches ts (e > ts for open intervals, e >= ts for closed
 * ones); ends are non-decreasing.  The hint makes a forward walk O(1) amortized. */
static size_t seek(const vm_periods *p, size_t *hint, int64_t ts, bool closed)
{
    size_t i = *hint;
    if (i > p->n) i = p->n;
#define REACH(j) (closed ? p->v[j].e >= ts : p->v[j].e > ts)
    if (i > 0 && REACH(i - 1)) {
        size_t lo = 0, hi = i - 1; /* answer in [lo, hi] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (REACH(mid))
                hi = mid;
            else
                lo = mid + 1;
        }
        i = lo;
    } else {
        /* exponential then binary search for the first j >= i that reaches ts */
        size_t lo = i, hi = i, step = 1;
        while (hi < p->n && !REACH(hi)) {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        if (hi > p->n) hi = p->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (REACH(mid))
                hi = mid;
            else
                lo = mid + 1;
        }
        i = lo;
    }
#undef REACH
    *hint = i;
    return i;
}

void ts_vm_check_event(ts_vm *vm, uint32_t trace, uint32_t cpu, int64_t ts, int64_t ts_raw,
                       int name_id)
{
    if (trace >= vm->ntraces) return;
    int g = vm->traces[trace].guest;
    if (g < 0) return;
    vm_guest *G = &vm->guests[g];
    vm_acc *na = name_acc(vm, G, name_id);
    vm_acc *va;
    vm_vcpu *v = NULL;
    if (cpu >= VM_MAX_CPU) {
        va = &G->nocpu;
    } else {
        if (cpu >= G->nvcpus) {
            size_t n = (size_t)cpu + 1;
            vm_vcpu *nv = realloc(G->vcpus, n * sizeof *nv);
            if (!nv) {
                G->oom = true;
                return;
            }
            memset(nv + G->nvcpus, 0, (n - G->nvcpus) * sizeof *nv);
            for (size_t i = G->nvcpus; i < n; i++) {
                nv[i].host_trace = -1;
                nv[i].tid = -1;
                nv[i].first = VM_NONE;
                nv[i].last = VM_NONE;
            }
            G->vcpus = nv;
            G->nvcpus = n;
        }
        v = &G->vcpus[cpu];
        v->present = true;
        va = &v->acc;
    }
    va->total++;
    if (na) na->total++;
    if (!v || !v->mapped) {
        va->no_mapping++;
        if (na) na->no_mapping++;
        return;
    }
    if (v->first == VM_NONE || ts < v->first) {
        va->before_first++;
        if (na) na->before_first++;
        return;
    }
    if (ts > v->last) {
        va->after_last++;
        if (na) na->after_last++;
        return;
    }
    if (v->unk.n) {
        size_t i = seek(&v->unk, &v->cur_unk, ts, true);
        if (i < v->unk.n && v->unk.v[i].s <= ts) {
            va->unknown++;
            if (na) na->unknown++;
            return;
        }
    }
    va->checked++;
    if (na) na->checked++;
    if (!v->out.n) return;
    size_t i = seek(&v->out, &v->cur_out, ts, false);
    if (i >= v->out.n || v->out.v[i].s >= ts) return;
    /* bad: inside the open interval (s, e) */
    const vm_period *p = &v->out.v[i];
    __int128 d_out = (__int128)ts - p->s;
    __int128 d_in = p->e == INT64_MAX ? (__int128)INT64_MAX * 4 : (__int128)p->e - ts;
    __int128 d = d_out < d_in ? d_out : -d_in;
    if (d > INT64_MAX) d = INT64_MAX;
    if (d < -INT64_MAX) d = -INT64_MAX;
    int64_t dist = (int64_t)d;
    vm_acc_bad(va, dist);
    if (na) vm_acc_bad(na, dist);
    if (vm->on_bad) {
        ts_vm_bad b = {
            .guest = (size_t)g,
            .trace = trace,
            .vcpu = cpu,
            .event = name_id >= 0 && (size_t)name_id < vm->nnames ? vm->names[name_id] : "",
            .ts = ts,
            .ts_raw = ts_raw,
            .distance_ns = dist,
            .out_begin = p->s,
            .out_end = p->e,
            .host_tid = v->tid,
        };
        vm->on_bad(vm->on_bad_ctx, &b);
    }
}

ts_status ts_vm_check_finish(ts_vm *vm, ts_error *err)
{
    if (!vm->stated || vm->checked)
        return ts_error_set(err, TS_ERR_ARG, "check pass finished out of order");
    if (vm->oom) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    memset(&vm->total, 0, sizeof vm->total);
    for (size_t g = 0; g < vm->nguests; g++) {
        vm_guest *G = &vm->guests[g];
        if (G->oom) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        vm_acc_add(&vm->total, &G->nocpu);
        for (size_t i = 0; i < G->nvcpus; i++) vm_acc_add(&vm->total, &G->vcpus[i].acc);
    }
    vm->checked = true;
    return TS_OK;
}
