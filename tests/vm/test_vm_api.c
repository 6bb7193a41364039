/* VM analysis: helpers, misuse, and a randomized comparison of the state and check
 * passes with a brute-force reading of their definition (vm.h). */
#include "tracesync/vm.h"
#include "unit.h"
#include "vm/vm_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

TEST(vm_hist_bins)
{
    CHECK_EQ_I64(ts_vm_hist_index(1), 10);
    CHECK_EQ_I64(ts_vm_hist_index(9), 10);
    CHECK_EQ_I64(ts_vm_hist_index(10), 11);
    CHECK_EQ_I64(ts_vm_hist_index(999999999), 18);
    CHECK_EQ_I64(ts_vm_hist_index(1000000000), 19);
    CHECK_EQ_I64(ts_vm_hist_index(INT64_MAX), 19);
    CHECK_EQ_I64(ts_vm_hist_index(-1), 9);
    CHECK_EQ_I64(ts_vm_hist_index(-10), 8);
    CHECK_EQ_I64(ts_vm_hist_index(-1000000000), 0);
    CHECK_EQ_I64(ts_vm_hist_index(-INT64_MAX), 0);
    for (int i = 0; i < TS_VM_HIST_BINS; i++) {
        int sign;
        int64_t lo, hi;
        ts_vm_hist_bin(i, &sign, &lo, &hi);
        CHECK_EQ_I64(ts_vm_hist_index(sign * lo), i);
        if (hi > 0) {
            CHECK_EQ_I64(ts_vm_hist_index(sign * (hi - 1)), i);
            CHECK(ts_vm_hist_index(sign * hi) != i);
        }
    }
}

TEST(vm_guest_pid_parse)
{
    char buf[64];
    ts_vm_guest_pid g;
    ts_error err;
    CHECK(ts_vm_guest_pid_parse("guest1=1234", buf, sizeof buf, &g, &err) == TS_OK);
    CHECK_STR(g.guest, "guest1");
    CHECK_EQ_I64(g.pid, 1234);
    CHECK(g.host == NULL);
    CHECK(ts_vm_guest_pid_parse("a=b=77@host0", buf, sizeof buf, &g, &err) == TS_OK);
    CHECK_STR(g.guest, "a=b");
    CHECK_EQ_I64(g.pid, 77);
    CHECK_STR(g.host, "host0");
    CHECK(ts_vm_guest_pid_parse("guest1", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(strstr(err.msg, "NAME=QEMU_PID"));
    CHECK(ts_vm_guest_pid_parse("=12", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("g=0", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("g=-3", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("g=12x", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("g=12@", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("g=99999999999", buf, sizeof buf, &g, &err) == TS_ERR_ARG);
    CHECK(ts_vm_guest_pid_parse("a-very-long-guest-name-that-does-not-fit-in-the-buffer=1", buf, 16,
                                &g, &err) == TS_ERR_ARG);
}

TEST(vm_names_and_kernels)
{
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 0/KVM", 9), 0);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 12/KVM", 10), 12);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 3/KVM\0\0\0\0\0\0\0", 16), 3);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU /KVM", 8), -1);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 1/KVMx", 10), -1);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 1/KV", 8), -1);
    CHECK_EQ_I64(vm_parse_vcpu_name("qemu-system-x86", 15), -1);
    CHECK_EQ_I64(vm_parse_vcpu_name("CPU 99999999/KVM", 16), -1);
    bool known;
    CHECK(vm_kernel_entry_is_index("5.8.18-100.fc31.x86_64", &known) && known);
    CHECK(vm_kernel_entry_is_index("4.19.0", &known) && known);
    CHECK(!vm_kernel_entry_is_index("5.9.0", &known) && known);
    CHECK(!vm_kernel_entry_is_index("6.1.0-18-amd64", &known) && known);
    CHECK(!vm_kernel_entry_is_index("5.10", &known) && known);
    CHECK(!vm_kernel_entry_is_index(NULL, &known) && !known);
    CHECK(!vm_kernel_entry_is_index("linux", &known) && !known);
    bool gh;
    CHECK_EQ_I64(ts_vm_event_kind_from_name("kvm_x86_exit", &gh), TS_VM_EV_KVM_EXIT);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("kvm_exit", &gh), TS_VM_EV_KVM_EXIT);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("kvm_entry", &gh), TS_VM_EV_KVM_ENTRY);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("kvm_hypercall", &gh), TS_VM_EV_KVM_HYPERCALL);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("vmsync_gh_guest", &gh), TS_VM_EV_VMSYNC_GUEST);
    CHECK(gh);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("vmsync_hg_guest", &gh), TS_VM_EV_VMSYNC_GUEST);
    CHECK(!gh);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("sched_process_fork", NULL), TS_VM_EV_PROCESS);
    CHECK_EQ_I64(ts_vm_event_kind_from_name("syscall_entry_read", NULL), TS_VM_EV_OTHER);
}

TEST(vm_misuse)
{
    ts_vm *vm = ts_vm_new();
    ts_error err;
    CHECK(vm);
    CHECK(ts_vm_add_trace(vm, "h", NULL, "6.1.0", &err) == TS_OK);
    ts_vm_event ev = {.trace = 3, .kind = TS_VM_EV_KVM_EXIT, .cpu = 0, .vcpu_id = -1};
    CHECK(ts_vm_model_event(vm, &ev, &err) == TS_ERR_ARG);
    CHECK(strstr(err.msg, "trace 3"));
    ev.trace = 0;
    CHECK(ts_vm_state_event(vm, &ev, &err) == TS_ERR_ARG);
    CHECK(ts_vm_add_loss(vm, 0, 1, 2, &err) == TS_ERR_ARG);
    CHECK(ts_vm_state_finish(vm, &err) == TS_ERR_ARG);
    ts_vm_guest_pid gp = {.guest = "nosuch", .pid = 5};
    CHECK(ts_vm_set_guest_pid(vm, &gp, &err) == TS_ERR_NOTFOUND);
    CHECK(strstr(err.msg, "nosuch") && strstr(err.msg, "h"));
    CHECK(ts_vm_model_finish(vm, &err) == TS_OK);
    CHECK(ts_vm_model_finish(vm, &err) == TS_ERR_ARG);
    CHECK(ts_vm_add_trace(vm, "late", NULL, NULL, &err) == TS_ERR_ARG);
    CHECK(ts_vm_check_finish(vm, &err) == TS_ERR_ARG);
    CHECK(ts_vm_state_finish(vm, &err) == TS_OK);
    ts_vm_check_event(vm, 0, 0, 1, 1, -1); /* not a guest: ignored */
    ts_vm_check_event(vm, 9, 0, 1, 1, -1); /* no such trace: ignored */
    CHECK(ts_vm_check_finish(vm, &err) == TS_OK);
    ts_vm_counts c;
    ts_vm_total(vm, &c);
    CHECK_EQ_U64(c.total, 0);
    CHECK_EQ_U64(ts_vm_guest_count(vm), 0);
    int a = ts_vm_name_id(vm, "x", 1), b = ts_vm_name_id(vm, "y", 1);
    CHECK(a >= 0 && b >= 0 && a != b);
    CHECK_EQ_I64(ts_vm_name_id(vm, "x", 1), a);
    ts_vm_free(vm);
    ts_vm_free(NULL);
}

/* ---- randomized comparison with a brute-force reading of the definition ---------- */

#define NV     3 /* vCPUs mapped (0..NV-1); guest events also on vCPU NV (unmapped) */
#define NSTATE 40
#define NGUEST 60

typedef struct sev {
    int64_t t;
    int v, kind; /* kind: 0 exit, 1 entry, 2 switch out, 3 switch in */
} sev;

static uint64_t rng_state;
static int64_t rnd(int64_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (int64_t)((rng_state >> 33) % (uint64_t)n);
}

typedef struct iv {
    int64_t s, e;
} iv;

typedef struct got_bad {
    int64_t t, d;
    uint32_t vcpu;
} got_bad;

typedef struct bad_sink {
    got_bad v[NGUEST];
    int n;
} bad_sink;

static void sink(void *ctx, const ts_vm_bad *b)
{
    bad_sink *s = ctx;
    if (s->n < NGUEST) s->v[s->n++] = (got_bad){b->ts, b->distance_ns, b->vcpu};
}

static int cmp_sev(const void *a, const void *b)
{
    const sev *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t; /* qsort is not stable: ties keep index below */
}

TEST(vm_random_against_definition)
{
    for (int round = 0; round < 400; round++) {
        rng_state = 0x9E3779B97F4A7C15ULL * (uint64_t)(round + 1);
        int64_t span = 20 + rnd(200); /* small spans: many ties */
        sev st[NSTATE];
        for (int i = 0; i < NSTATE; i++) {
            st[i].t = rnd(span);
            st[i].v = (int)rnd(NV);
            st[i].kind = (int)rnd(4);
        }
        /* stable sort by time (insertion sort keeps generation order on ties) */
        for (int i = 1; i < NSTATE; i++)
            for (int j = i; j > 0 && st[j].t < st[j - 1].t; j--) {
                sev x = st[j];
                st[j] = st[j - 1];
                st[j - 1] = x;
            }
        (void)cmp_sev;
        /* each vCPU thread is switched in on its own CPU at -10, before everything */
        sev all[NSTATE + NV];
        for (int v = 0; v < NV; v++) all[v] = (sev){-10, v, 3};
        memcpy(all + NV, st, sizeof st);
        const int nall = NSTATE + NV;
        /* brute force: per vCPU, per-flag intervals, first/last */
        iv ints[NV][NSTATE + NV + 2];
        int nint[NV] = {0};
        int64_t first[NV], last[NV];
        int64_t on_s[NV][2];
        bool on[NV][2];
        memset(on, 0, sizeof on);
        for (int v = 0; v < NV; v++) first[v] = last[v] = VM_NONE;
        for (int i = 0; i < nall; i++) {
            int v = all[i].v, flag = all[i].kind / 2, set = all[i].kind % 2 == 0;
            if (first[v] == VM_NONE) first[v] = all[i].t;
            last[v] = all[i].t;
            if (set && !on[v][flag]) {
                on[v][flag] = true;
                on_s[v][flag] = all[i].t;
            } else if (!set && on[v][flag]) {
                ints[v][nint[v]++] = (iv){on_s[v][flag], all[i].t};
                on[v][flag] = false;
            }
        }
        for (int v = 0; v < NV; v++)
            for (int f = 0; f < 2; f++)
                if (on[v][f]) ints[v][nint[v]++] = (iv){on_s[v][f], INT64_MAX};

        /* the library: host trace 0 (vCPU v's thread 100+v current on CPU v, switched
         * in and out elsewhere, on CPU NV + 1), guest trace 1 */
        ts_vm *vm = ts_vm_new();
        ts_error err;
        CHECK(ts_vm_add_trace(vm, "host", NULL, "6.1", &err) == TS_OK);
        CHECK(ts_vm_add_trace(vm, "guest", NULL, NULL, &err) == TS_OK);
        bad_sink bs = {.n = 0};
        ts_vm_set_bad_callback(vm, sink, &bs);
        ts_vm_event ev;
        for (int v = 0; v < NV; v++) {
            char name[32];
            snprintf(name, sizeof name, "CPU %d/KVM", v);
            memset(&ev, 0, sizeof ev);
            ev.ts = -20;
            ev.kind = TS_VM_EV_PROCESS;
            ev.tid = 100 + v;
            ev.pid = 99;
            ev.comm = name;
            ev.comm_len = strlen(name);
            ev.cpu = (uint32_t)v;
            CHECK(ts_vm_model_event(vm, &ev, &err) == TS_OK);
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < nall; i++) {
                memset(&ev, 0, sizeof ev);
                ev.ts = all[i].t;
                ev.cpu = (uint32_t)all[i].v;
                ev.vcpu_id = -1;
                switch (all[i].kind) {
                case 0:
                    ev.kind = TS_VM_EV_KVM_EXIT;
                    break;
                case 1:
                    ev.kind = TS_VM_EV_KVM_ENTRY;
                    break;
                case 2:
                    ev.kind = TS_VM_EV_SCHED_SWITCH;
                    ev.cpu = NV + 1;
                    ev.tid = 100 + all[i].v;
                    ev.tid2 = 0;
                    break;
                default:
                    ev.kind = TS_VM_EV_SCHED_SWITCH;
                    ev.cpu = i < NV ? (uint32_t)all[i].v : NV + 1;
                    ev.tid = 0;
                    ev.tid2 = 100 + all[i].v;
                    break;
                }
                CHECK((pass ? ts_vm_state_event(vm, &ev, &err)
                            : ts_vm_model_event(vm, &ev, &err)) == TS_OK);
                if (!pass && i == NV) { /* the vmsync hypercall, on CPU 0's thread (100) */
                    memset(&ev, 0, sizeof ev);
                    ev.ts = all[i].t;
                    ev.kind = TS_VM_EV_KVM_HYPERCALL;
                    ev.nr = 5;
                    ev.a1 = 42;
                    ev.cpu = 0;
                    CHECK(ts_vm_model_event(vm, &ev, &err) == TS_OK);
                }
            }
            if (!pass) {
                memset(&ev, 0, sizeof ev);
                ev.trace = 1;
                ev.kind = TS_VM_EV_VMSYNC_GUEST;
                ev.gh = true;
                ev.has_vm_uid = true;
                ev.vm_uid = 42;
                CHECK(ts_vm_model_event(vm, &ev, &err) == TS_OK);
                CHECK(ts_vm_model_finish(vm, &err) == TS_OK);
            }
        }
        CHECK(ts_vm_state_finish(vm, &err) == TS_OK);
        /* guest events, in time order */
        int64_t gt[NGUEST];
        int gv[NGUEST];
        for (int i = 0; i < NGUEST; i++) {
            gt[i] = rnd(span + 30) - 15;
            gv[i] = (int)rnd(NV + 1);
        }
        for (int i = 1; i < NGUEST; i++)
            for (int j = i; j > 0 && gt[j] < gt[j - 1]; j--) {
                int64_t x = gt[j];
                gt[j] = gt[j - 1];
                gt[j - 1] = x;
                int y = gv[j];
                gv[j] = gv[j - 1];
                gv[j - 1] = y;
            }
        int id = ts_vm_name_id(vm, "e", 1);
        for (int i = 0; i < NGUEST; i++)
            ts_vm_check_event(vm, 1, (uint32_t)gv[i], gt[i], gt[i], id);
        CHECK(ts_vm_check_finish(vm, &err) == TS_OK);

        /* expected */
        uint64_t exp_before = 0, exp_after = 0, exp_nomap = 0, exp_checked = 0;
        int nb = 0;
        for (int i = 0; i < NGUEST; i++) {
            int v = gv[i];
            int64_t g = gt[i];
            if (v >= NV) {
                exp_nomap++;
                continue;
            }
            if (first[v] == VM_NONE || g < first[v]) {
                exp_before++;
                continue;
            }
            if (g > last[v]) {
                exp_after++;
                continue;
            }
            exp_checked++;
            bool inside = false;
            for (int k = 0; k < nint[v]; k++) inside |= ints[v][k].s < g && g < ints[v][k].e;
            if (!inside) continue;
            /* the union component around g: intervals joined by strict overlaps */
            int64_t lo = INT64_MAX, hi = INT64_MIN;
            for (int k = 0; k < nint[v]; k++)
                if (ints[v][k].s < g && g < ints[v][k].e) {
                    if (ints[v][k].s < lo) lo = ints[v][k].s;
                    if (ints[v][k].e > hi) hi = ints[v][k].e;
                }
            for (bool grew = true; grew;) {
                grew = false;
                for (int k = 0; k < nint[v]; k++) {
                    const iv *x = &ints[v][k];
                    if (x->s < x->e && x->s < hi && x->e > lo && (x->s < lo || x->e > hi)) {
                        if (x->s < lo) lo = x->s;
                        if (x->e > hi) hi = x->e;
                        grew = true;
                    }
                }
            }
            int64_t d_out = g - lo, d_in = hi == INT64_MAX ? INT64_MAX : hi - g;
            int64_t d = d_out < d_in ? d_out : -d_in;
            CHECK_MSG(nb < bs.n, "round %d: event %d (vCPU %d at %lld) should be bad (%lld)", round,
                      i, v, (long long)g, (long long)d);
            CHECK_MSG(bs.v[nb].t == g && bs.v[nb].d == d && bs.v[nb].vcpu == (uint32_t)v,
                      "round %d: bad %d: got vCPU %u at %lld distance %lld, expected vCPU %d at "
                      "%lld distance %lld",
                      round, nb, bs.v[nb].vcpu, (long long)bs.v[nb].t, (long long)bs.v[nb].d, v,
                      (long long)g, (long long)d);
            nb++;
        }
        CHECK_MSG(nb == bs.n, "round %d: %d bad events, expected %d", round, bs.n, nb);
        ts_vm_guest_info gi;
        CHECK_EQ_U64(ts_vm_guest_count(vm), 1);
        ts_vm_guest(vm, 0, &gi);
        CHECK_EQ_U64(gi.counts.total, NGUEST);
        CHECK_EQ_U64(gi.counts.no_mapping, exp_nomap);
        CHECK_EQ_U64(gi.counts.before_first, exp_before);
        CHECK_EQ_U64(gi.counts.after_last, exp_after);
        CHECK_EQ_U64(gi.counts.checked, exp_checked);
        CHECK_EQ_U64(gi.counts.bad, (uint64_t)nb);
        ts_vm_free(vm);
    }
}
