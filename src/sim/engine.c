/* The simulation engine: builds the world from a scenario, runs the CPU actors
 * in time order (conservative, one thread) and finishes the traces. */
#include "sim/act.h"
#include "sim/net.h"
#include "sim/truth.h"
#include "sim/world.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

/* ---- small containers ---------------------------------------------------------- */

static int uop_less(const uop *a, const uop *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int uopq_push(uopq *q, int64_t t, uint16_t op, uint16_t a, uint32_t b, uint64_t c)
{
    if (q->n == q->cap) {
        uint32_t ncap = q->cap ? q->cap * 2 : 16;
        uop *nv = realloc(q->v, ncap * sizeof *nv);
        if (!nv) {
            q->oom = 1;
            return -1;
        }
        q->v = nv;
        q->cap = ncap;
    }
    uop x = {t, q->seq++, op, a, b, c};
    uint32_t i = q->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!uop_less(&x, &q->v[p])) break;
        q->v[i] = q->v[p];
        i = p;
    }
    q->v[i] = x;
    return 0;
}

void uopq_pop(uopq *q, uop *out)
{
    *out = q->v[0];
    uop x = q->v[--q->n];
    uint32_t i = 0, n = q->n;
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        uint32_t m = l + 1 < n && uop_less(&q->v[l + 1], &q->v[l]) ? l + 1 : l;
        if (!uop_less(&q->v[m], &x)) break;
        q->v[i] = q->v[m];
        i = m;
    }
    if (n) q->v[i] = x;
}

static int ai_less(const aitem *a, const aitem *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int aheap_push(aheap *h, int64_t t, uint16_t kind, uint16_t a, uint32_t ref, uint32_t c)
{
    if (h->n == h->cap) {
        uint32_t ncap = h->cap ? h->cap * 2 : 16;
        aitem *nv = realloc(h->v, ncap * sizeof *nv);
        if (!nv) return -1;
        h->v = nv;
        h->cap = ncap;
    }
    aitem x = {t, h->seq++, kind, a, ref, c};
    uint32_t i = h->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!ai_less(&x, &h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
    return 0;
}

void aheap_pop(aheap *h, aitem *out)
{
    *out = h->v[0];
    aitem x = h->v[--h->n];
    uint32_t i = 0, n = h->n;
    for (;;) {
        uint32_t l = 2 * i + 1;
        if (l >= n) break;
        uint32_t m = l + 1 < n && ai_less(&h->v[l + 1], &h->v[l]) ? l + 1 : l;
        if (!ai_less(&h->v[m], &x)) break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (n) h->v[i] = x;
}

uint32_t pkt_alloc(sim_world *w)
{
    if (w->free_pkt != UINT32_MAX) {
        uint32_t i = w->free_pkt;
        w->free_pkt = w->pkts[i].next_free;
        return i;
    }
    if (w->npkts == w->cappkts) {
        uint32_t ncap = w->cappkts ? w->cappkts * 2 : 256;
        sim_pkt *nv = realloc(w->pkts, ncap * sizeof *nv);
        if (!nv) {
            w->fail = 1;
            return UINT32_MAX;
        }
        w->pkts = nv;
        w->cappkts = ncap;
    }
    return w->npkts++;
}

void pkt_free(sim_world *w, uint32_t i)
{
    w->pkts[i].next_free = w->free_pkt;
    w->free_pkt = i;
}

/* ---- the global heap of actors ---------------------------------------------------- */

static int cpu_less(const sim_cpu *a, const sim_cpu *b)
{
    return a->key < b->key || (a->key == b->key && a->index < b->index);
}

static void heap_set(sim_world *w, int i, sim_cpu *c)
{
    w->heap[i] = c;
    c->hpos = i;
}

static void heap_up(sim_world *w, int i)
{
    sim_cpu *c = w->heap[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!cpu_less(c, w->heap[p])) break;
        heap_set(w, i, w->heap[p]);
        i = p;
    }
    heap_set(w, i, c);
}

static void heap_down(sim_world *w, int i)
{
    sim_cpu *c = w->heap[i];
    for (;;) {
        int l = 2 * i + 1;
        if (l >= w->nheap) break;
        int m = l + 1 < w->nheap && cpu_less(w->heap[l + 1], w->heap[l]) ? l + 1 : l;
        if (!cpu_less(w->heap[m], c)) break;
        heap_set(w, i, w->heap[m]);
        i = m;
    }
    heap_set(w, i, c);
}

static void heap_push(sim_world *w, sim_cpu *c)
{
    w->heap[w->nheap] = c;
    c->hpos = w->nheap++;
    heap_up(w, c->hpos);
}

static sim_cpu *heap_pop(sim_world *w)
{
    sim_cpu *top = w->heap[0];
    w->nheap--;
    top->hpos = -1;
    if (w->nheap) {
        heap_set(w, 0, w->heap[w->nheap]);
        heap_down(w, 0);
    }
    return top;
}

void world_post(sim_world *w, sim_cpu *to, int64_t t, uint16_t kind, uint16_t a, uint32_t ref,
                uint32_t c)
{
    if (aheap_push(&to->ah, t, kind, a, ref, c)) {
        w->fail = 1;
        return;
    }
    if (to->hpos >= 0) {
        /* another actor: it may now run earlier, and answer us after t + lookahead */
        if (t < to->key) {
            to->key = t;
            heap_up(w, to->hpos);
        }
        if (t + w->lookahead < w->horizon) w->horizon = t + w->lookahead;
    }
}

int64_t world_stress_latency(const sim_world *w, int64_t t, int64_t d)
{
    const ts_sim_scenario *s = w->scn;
    for (int i = 0; i < s->nstress; i++) {
        const scn_stress *st = &s->stress[i];
        if (t >= w->t0 + st->from && t < w->t0 + st->to)
            d = (int64_t)((__int128)d * st->latency_x100 / 100);
    }
    return d;
}

uint32_t world_stress_load(const sim_world *w, int64_t t, uint32_t load_ppm)
{
    const ts_sim_scenario *s = w->scn;
    for (int i = 0; i < s->nstress; i++) {
        const scn_stress *st = &s->stress[i];
        if (st->load_ppm > load_ppm && t >= w->t0 + st->from && t < w->t0 + st->to)
            load_ppm = st->load_ppm;
    }
    return load_ppm;
}

/* ---- building the world ------------------------------------------------------------ */

static ts_status mkdir_p(const char *path, ts_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return ts_error_set(err, TS_ERR_ARG, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) && errno != EEXIST)
                return ts_error_set(err, TS_ERR_IO, "cannot create directory %s: %s", buf,
                                    strerror(errno));
            buf[i] = c;
        }
    }
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode))
        return ts_error_set(err, TS_ERR_IO, "%s is not a directory", path);
    return TS_OK;
}

static void random_uuid(sim_rng *r, uint8_t u[16])
{
    uint64_t a = rng_next(r), b = rng_next(r);
    for (int i = 0; i < 8; i++) {
        u[i] = (uint8_t)(a >> (8 * i));
        u[8 + i] = (uint8_t)(b >> (8 * i));
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
}

static int add_task(sim_machine *m, int32_t tid, int32_t pid, int32_t ppid, const char *comm,
                    int kthread, int app)
{
    if (m->ntasks == m->captasks) {
        int ncap = m->captasks ? m->captasks * 2 : 64;
        sim_task *nv = realloc(m->tasks, (size_t)ncap * sizeof *nv);
        if (!nv) return -1;
        m->tasks = nv;
        m->captasks = ncap;
    }
    sim_task *t = &m->tasks[m->ntasks];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->pid = pid;
    t->ppid = ppid;
    snprintf(t->comm, sizeof t->comm, "%s", comm);
    t->prio = 20;
    t->kthread = (uint8_t)kthread;
    t->app = (uint8_t)app;
    t->blocked_sys = -1;
    return m->ntasks++;
}

/* The process table: swappers, per-CPU kernel threads, daemons, applications. */
static int build_tasks(sim_machine *m, sim_rng *r)
{
    char name[32];
    int n = m->ncpus;
    for (int c = 0; c < n; c++) {
        snprintf(name, sizeof name, "swapper/%d", c);
        if (add_task(m, 0, 0, 0, name, 1, 0) < 0) return -1;
        m->tasks[c].cpu = (uint32_t)c;
    }
    int32_t tid = 20;
    for (int c = 0; c < n; c++) {
        snprintf(name, sizeof name, "kworker/%d:1", c);
        int i = add_task(m, tid + c, tid + c, 2, name, 1, 0);
        if (i < 0) return -1;
        m->tasks[i].cpu = (uint32_t)c;
    }
    tid += n;
    if (add_task(m, 1, 1, 0, "systemd", 0, 0) < 0 || add_task(m, 2, 2, 0, "kthreadd", 1, 0) < 0)
        return -1;
    for (int c = 0; c < n; c++) {
        snprintf(name, sizeof name, "ksoftirqd/%d", c);
        int i = add_task(m, tid + c, tid + c, 2, name, 1, 0);
        if (i < 0) return -1;
        m->tasks[i].cpu = (uint32_t)c;
    }
    tid = 300 + (int32_t)rng_below(r, 100);
    if (add_task(m, tid, tid, 1, "systemd-journal", 0, 0) < 0) return -1;
    tid += 200 + (int32_t)rng_below(r, 300);
    if (add_task(m, tid, tid, 1, "sshd", 0, 1) < 0) return -1;
    tid += 300 + (int32_t)rng_below(r, 200);
    int sd = add_task(m, tid, tid, 1, "lttng-sessiond", 0, 0);
    if (sd < 0) return -1;
    m->sessiond_task = sd;
    if (add_task(m, tid + 40, tid + 40, tid, "lttng-consumerd", 0, 0) < 0) return -1;
    tid += 100 + (int32_t)rng_below(r, 100);
    if (add_task(m, tid, tid, 1, "bash", 0, 1) < 0) return -1;
    static const char *const host_apps[] = {"libvirtd", "nginx", "postgres"};
    static const char *const guest_apps[] = {"nginx", "python3", "postgres", "redis-server"};
    static const char *const machine_apps[] = {"nginx", "java", "redis-server", "python3"};
    const char *const *apps = m->role == ROLE_HOST    ? host_apps
                              : m->role == ROLE_GUEST ? guest_apps
                                                      : machine_apps;
    int napps = m->role == ROLE_HOST ? 3 : 4;
    for (int i = 0; i < napps; i++) {
        tid += 50 + (int32_t)rng_below(r, 400);
        int pid = tid;
        if (add_task(m, tid, pid, 1, apps[i], 0, 1) < 0) return -1;
        /* a worker thread of the same process */
        tid += 1 + (int32_t)rng_below(r, 3);
        if (add_task(m, tid, pid, 1, apps[i], 0, 1) < 0) return -1;
    }
    m->next_tid = tid + 1000;
    return 0;
}

static int finish_apps(sim_machine *m)
{
    m->napp = 0;
    m->app_tasks = malloc((size_t)m->ntasks * sizeof *m->app_tasks);
    if (!m->app_tasks) return -1;
    for (int i = 0; i < m->ntasks; i++)
        if (m->tasks[i].app) m->app_tasks[m->napp++] = i;
    for (int i = 0; i < m->ntasks; i++)
        if (!m->tasks[i].cpu && i >= m->ncpus) m->tasks[i].cpu = (uint32_t)(i % m->ncpus);
    return 0;
}

static void civil(int64_t secs, char out[32])
{
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, days--;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t mo = mp + (mp < 10 ? 3 : -9);
    y += mo <= 2;
    snprintf(out, 32,
             "%04" PRId64 "%02" PRId64 "%02" PRId64 "T%02" PRId64 "%02" PRId64 "%02" PRId64 "+0000",
             y, mo, d, rem / 3600, rem / 60 % 60, rem % 60);
}

static ts_status build_machines(sim_world *w, const char *outdir, ts_error *err)
{
    const ts_sim_scenario *s = w->scn;
    w->nm = s->nmachines;
    w->m = calloc((size_t)w->nm, sizeof *w->m);
    if (!w->m) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    int64_t span = w->t_end - w->t0 + SEC;
    /* clocks in dependency order (a followed clock first) */
    int done[SCN_MAX_MACHINES] = {0}, ndone = 0;
    while (ndone < w->nm) {
        for (int i = 0; i < w->nm; i++) {
            if (done[i]) continue;
            const scn_machine *sm = &s->m[i];
            int f = sm->clock.follow;
            if (f >= 0 && !done[f]) continue;
            sim_machine *m = &w->m[i];
            sim_rng r;
            rng_seed(&r, w->seed, 0x10000 + (uint64_t)i);
            ts_status st = clock_build(&sm->clock, f >= 0 ? &w->m[f].clock : NULL, w->t0, span, &r,
                                       &m->clock, err);
            if (st != TS_OK)
                return ts_error_prefix(err, "%s: clock of %s (line %d)", s->name, sm->name,
                                       sm->clock_line ? sm->clock_line : sm->line);
            size_t bad = clockfn_first_bad(&m->clock);
            if (bad) {
                int64_t at = m->clock.k[bad].t - w->t0;
                return ts_error_set(err, TS_ERR_ARG,
                                    "%s: clock of %s (line %d) goes back at %" PRId64
                                    " ns after the start: a monotonic clock must keep "
                                    "increasing (reduce the drift, amplitude or jitter)",
                                    s->name, sm->name, sm->clock_line ? sm->clock_line : sm->line,
                                    at);
            }
            done[i] = 1;
            ndone++;
        }
    }
    for (int i = 0; i < w->nm; i++) {
        const scn_machine *sm = &s->m[i];
        sim_machine *m = &w->m[i];
        m->spec = sm;
        m->index = i;
        m->role = sm->role;
        m->ncpus = sm->ncpus;
        sim_rng r;
        rng_seed(&r, w->seed, 0x20000 + (uint64_t)i);
        catalog_build(&m->cat, sm->role, sm->small_events);
        act_tables(m);
        random_uuid(&r, m->trace_uuid);
        uint8_t u[16];
        random_uuid(&r, u);
        catalog_uuid_str(u, m->boot_id);
        random_uuid(&r, u);
        catalog_uuid_str(u, m->product_uuid);
        int64_t uptime = sm->uptime >= 0 ? sm->uptime
                                         : (int64_t)(3600 + rng_below(&r, 40 * 86400)) * SEC +
                                               (int64_t)rng_below(&r, SEC);
        m->clock_offset = clockfn_eval(&m->clock, w->t0) - uptime;
        if (build_tasks(m, &r)) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        m->busy_mean = sm->burst;
        int64_t ev_interval = (int64_t)((__int128)sm->rate * 1000000 / (int64_t)w->scale_ppm);
        if (ev_interval < 20) ev_interval = 20;
        /* a system call (entry + exit) every 2 * ev_interval of busy time */
        int64_t cycle = 2 * ev_interval;
        m->sys_mean = cycle * 2 / 5;
        if (m->sys_mean > 3000) m->sys_mean = 3000;
        m->gap_mean = cycle - m->sys_mean - 2;
        if (m->gap_mean < 10) m->gap_mean = 10;
        if (m->role == ROLE_GUEST) {
            m->ip4 = 0xC0A87A0Au + (uint32_t)i; /* 192.168.122.10+i */
            m->irqs[0] = (sim_irq){25, "virtio0-input.0"};
        } else {
            m->ip4 = 0x0A00000Au + (uint32_t)i; /* 10.0.0.10+i */
            m->irqs[0] = (sim_irq){m->role == ROLE_HOST ? 35 : 27, "eno1-rx-0"};
        }
        m->irqs[1] = (sim_irq){8, "rtc0"};
        m->irqs[2] = (sim_irq){40, "nvme0q1"};
        m->irqs[3] = (sim_irq){26, "virtio0-output.0"};
        uint16_t ip6[8] = {0xfd00, 0, 0, 0, 0, 0, 0, (uint16_t)(0x10 + i)};
        memcpy(m->ip6, ip6, sizeof ip6);
        snprintf(m->dir, sizeof m->dir, "%s/%s/kernel", outdir, sm->name);
        m->t_end = w->t_end;
    }
    /* QEMU processes of the guests on their hosts */
    for (int i = 0; i < w->nm; i++) {
        sim_machine *g = &w->m[i];
        if (g->role != ROLE_GUEST) continue;
        sim_machine *h = &w->m[g->spec->host];
        sim_rng r;
        rng_seed(&r, w->seed, 0x30000 + (uint64_t)i);
        g->vm_uid = rng_next(&r);
        int32_t pid = 2000 + 1000 * h->nguests + (int32_t)rng_below(&r, 500);
        g->qemu_pid = pid;
        h->nguests++;
        if (add_task(h, pid, pid, 1, "qemu-system-x86", 0, 0) < 0 ||
            add_task(h, pid + 1, pid, 1, "qemu-system-x86", 0, 0) < 0)
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        for (int v = 0; v < g->ncpus; v++) {
            char name[32];
            snprintf(name, sizeof name, "CPU %d/KVM", v);
            if (add_task(h, pid + 3 + v, pid, 1, name, 0, 0) < 0)
                return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        char vh[32];
        snprintf(vh, sizeof vh, "vhost-%d", pid);
        if (add_task(h, pid + 3 + g->ncpus, pid, 1, vh, 0, 0) < 0)
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < w->nm; i++)
        if (finish_apps(&w->m[i])) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    return TS_OK;
}

static ts_status open_out(sim_world *w, sim_out *o, sim_machine *m, uint32_t cpu, ts_error *err)
{
    clock_cursor_init(&o->cc, &m->clock);
    o->ids = m->cat.id;
    o->clock_offset = m->clock_offset;
    uint64_t begin = (uint64_t)(clockfn_eval(&m->clock, w->t0) - m->clock_offset);
    ts_status st = ctfw_stream_open(&o->w, m->dir, cpu, m->trace_uuid, m->cat.header_type,
                                    (size_t)m->spec->packet_size, begin, err);
    if (st == TS_OK) o->open = 1;
    return st;
}

static ts_status build_actors(sim_world *w, ts_error *err)
{
    int n = 0, nv = 0;
    for (int i = 0; i < w->nm; i++) {
        if (w->m[i].role == ROLE_GUEST)
            nv += w->m[i].ncpus;
        else
            n += w->m[i].ncpus;
    }
    w->ncpus = n;
    w->nvcpus = nv;
    w->cpus = calloc((size_t)n, sizeof *w->cpus);
    w->vcpus = calloc((size_t)(nv ? nv : 1), sizeof *w->vcpus);
    w->heap = calloc((size_t)n, sizeof *w->heap);
    if (!w->cpus || !w->vcpus || !w->heap) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    int k = 0;
    for (int i = 0; i < w->nm; i++) {
        sim_machine *m = &w->m[i];
        if (m->role == ROLE_GUEST) continue;
        m->first_cpu = k;
        for (int c = 0; c < m->ncpus; c++, k++) {
            sim_cpu *cp = &w->cpus[k];
            cp->index = k;
            cp->machine = i;
            cp->cpu = c;
            cp->hpos = -1;
            rng_seed(&cp->rng, w->seed, 0x40000 + (uint64_t)k);
        }
        if (m->role == ROLE_HOST) {
            m->vcpu_of_task = malloc((size_t)m->ntasks * sizeof *m->vcpu_of_task);
            if (!m->vcpu_of_task) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
            for (int t = 0; t < m->ntasks; t++) m->vcpu_of_task[t] = -1;
        }
    }
    int j = 0;
    for (int i = 0; i < w->nm; i++) {
        sim_machine *g = &w->m[i];
        if (g->role != ROLE_GUEST) continue;
        sim_machine *h = &w->m[g->spec->host];
        g->first_vcpu = j;
        for (int v = 0; v < g->ncpus; v++, j++) {
            sim_vcpu *vc = &w->vcpus[j];
            vc->id = j;
            vc->guest = i;
            vc->index = v;
            vc->cpu = h->first_cpu + g->spec->pin[v % g->spec->npin];
            /* the host task "CPU v/KVM" of this guest's QEMU */
            vc->task = -1;
            for (int t = 0; t < h->ntasks; t++) {
                char name[32];
                snprintf(name, sizeof name, "CPU %d/KVM", v);
                if (h->tasks[t].pid == g->qemu_pid && !strcmp(h->tasks[t].comm, name)) {
                    vc->task = t;
                    break;
                }
            }
            if (vc->task < 0) return ts_error_set(err, TS_ERR_INTERNAL, "vCPU thread not found");
            h->vcpu_of_task[vc->task] = j;
            h->tasks[vc->task].cpu = (uint32_t)w->cpus[vc->cpu].cpu;
            rng_seed(&vc->rng, w->seed, 0x50000 + (uint64_t)j);
            vc->entry_vcpu_id = g->spec->entry_vcpu_id_pointer
                                    ? (uint32_t)(0x8a3c0000u + 0x4540u * (uint32_t)v)
                                    : (uint32_t)v;
            vc->st = VC_HALTED;
            vc->slice_end = INT64_MAX;
            vc->gtask = v;
            vc->act.next = INT64_MAX;
            vchk_init(&vc->chk);
            vc->chk.host_begin = clockfn_eval(&h->clock, w->t0);
            vc->chk.host_end = clockfn_eval(&h->clock, w->t_end);
            w->cpus[vc->cpu].nvcpus++;
        }
    }
    for (int c = 0; c < n; c++) {
        sim_cpu *cp = &w->cpus[c];
        cp->vcpus = calloc((size_t)(cp->nvcpus + 1), sizeof *cp->vcpus);
        cp->runq = calloc((size_t)(cp->nvcpus + 1), sizeof *cp->runq);
        if (!cp->vcpus || !cp->runq) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        cp->nvcpus = 0;
    }
    for (int v = 0; v < nv; v++) {
        sim_cpu *cp = &w->cpus[w->vcpus[v].cpu];
        cp->vcpus[cp->nvcpus++] = &w->vcpus[v];
    }
    return TS_OK;
}

/* Remove stream and index files a previous run left in dir (with overwrite:
 * a machine may now have fewer CPUs).  Only names this writer creates. */
static void remove_old_streams(const char *dir)
{
    char path[4200];
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            snprintf(path, sizeof path, "%s/index", dir);
        else
            snprintf(path, sizeof path, "%s", dir);
        DIR *d = opendir(path);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strncmp(e->d_name, "channel0_", 9)) continue;
            char f[4500];
            snprintf(f, sizeof f, "%s/%s", path, e->d_name);
            unlink(f);
        }
        closedir(d);
    }
}

static ts_status write_metadata(sim_world *w, ts_error *err)
{
    for (int i = 0; i < w->nm; i++) {
        sim_machine *m = &w->m[i];
        char idx[4200], dt[32];
        snprintf(idx, sizeof idx, "%s/index", m->dir);
        ts_status st = mkdir_p(idx, err);
        if (st != TS_OK) return st;
        remove_old_streams(m->dir);
        civil(w->t0 / SEC, dt);
        const char *kr = m->spec->kernel[0]      ? m->spec->kernel
                         : m->role == ROLE_GUEST ? "6.1.0-18-cloud-amd64"
                         : m->role == ROLE_HOST  ? "6.1.0-18-amd64"
                                                 : "5.15.0-97-generic";
        char tname[96];
        snprintf(tname, sizeof tname, "tracesync-sim-%s", m->spec->name);
        sim_meta_env env = {
            .hostname = m->spec->hostname,
            .kernel_release = kr,
            .kernel_version = m->role == ROLE_MACHINE && !m->spec->kernel[0]
                                  ? "#107-Ubuntu SMP Fri Feb 9 09:48:22 UTC 2024"
                                  : "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
            .tracer_patchlevel = 8,
            .trace_name = tname,
            .creation_datetime = dt,
            .product_uuid = m->product_uuid,
            .trace_uuid = m->trace_uuid,
            .clock_uuid = m->boot_id,
            .clock_offset = m->clock_offset,
        };
        ts_strbuf tsdl;
        sb_init(&tsdl);
        catalog_metadata(&m->cat, &env, &tsdl);
        if (tsdl.oom) {
            sb_free(&tsdl);
            return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/metadata", m->dir);
        st = ctfw_write_metadata(path, m->trace_uuid, tsdl.data, tsdl.len, err);
        sb_free(&tsdl);
        if (st != TS_OK) return st;
    }
    return TS_OK;
}

static ts_status open_streams(sim_world *w, ts_error *err)
{
    for (int c = 0; c < w->ncpus; c++) {
        sim_cpu *cp = &w->cpus[c];
        ts_status st = open_out(w, &cp->out, &w->m[cp->machine], (uint32_t)cp->cpu, err);
        if (st != TS_OK) return st;
    }
    for (int v = 0; v < w->nvcpus; v++) {
        sim_vcpu *vc = &w->vcpus[v];
        ts_status st = open_out(w, &vc->out, &w->m[vc->guest], (uint32_t)vc->index, err);
        if (st != TS_OK) return st;
        vc->out.chk = vc;
    }
    return TS_OK;
}

static const char *dev_name(sim_world *w, int me, int peer, char *buf, size_t n)
{
    const sim_machine *a = &w->m[me], *b = &w->m[peer];
    if (a->role == ROLE_GUEST) return "ens3";
    if (a->role == ROLE_HOST && b->role == ROLE_GUEST && b->spec->host == me) {
        /* vnetK: K = rank of the guest among the host's guests */
        int k = 0;
        for (int i = 0; i < peer; i++)
            if (w->m[i].role == ROLE_GUEST && w->m[i].spec->host == me) k++;
        snprintf(buf, n, "vnet%d", k);
        return buf;
    }
    return a->role == ROLE_HOST ? "eno1" : "eth0";
}

static ts_status build_flows(sim_world *w, ts_error *err)
{
    const ts_sim_scenario *s = w->scn;
    w->nflows = s->nflows;
    w->flows = calloc((size_t)(s->nflows ? s->nflows : 1), sizeof *w->flows);
    /* device names live as long as the world: a small arena */
    w->devnames = calloc((size_t)(s->nflows ? s->nflows : 1) * 2, 16);
    if (!w->flows || !w->devnames) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    w->lookahead = INT64_MAX;
    for (int i = 0; i < s->nflows; i++) {
        sim_flow *fl = &w->flows[i];
        const scn_flow *f = &s->flows[i];
        fl->f = f;
        fl->idx = i;
        fl->m[0] = f->a;
        fl->m[1] = f->b;
        for (int side = 0; side < 2; side++) {
            sim_machine *m = &w->m[fl->m[side]];
            rng_seed(&fl->rng[side], w->seed, 0x60000 + (uint64_t)i * 2 + (uint64_t)side);
            if (m->role == ROLE_GUEST) {
                int v = m->first_vcpu + i % m->ncpus;
                fl->vcpu[side] = v;
                fl->cpu[side] = w->vcpus[v].cpu;
            } else {
                fl->vcpu[side] = -1;
                /* prefer CPUs without vCPU threads for host services */
                int cand[SCN_MAX_CPUS], nc = 0;
                for (int c = 0; c < m->ncpus; c++)
                    if (!w->cpus[m->first_cpu + c].nvcpus) cand[nc++] = c;
                int c = nc ? cand[i % nc] : i % m->ncpus;
                fl->cpu[side] = m->first_cpu + c;
            }
            char *buf = w->devnames + (size_t)(2 * i + side) * 16;
            const char *d = dev_name(w, fl->m[side], fl->m[1 - side], buf, 16);
            fl->dev_tx[side] = fl->dev_rx[side] = d;
        }
        for (int dir = 0; dir < 2; dir++) {
            int64_t mn = s->lat[fl->m[dir]][fl->m[1 - dir]].min;
            if (mn < w->lookahead) w->lookahead = mn;
        }
    }
    if (w->lookahead == INT64_MAX) w->lookahead = MS;
    return TS_OK;
}

static void free_world(sim_world *w)
{
    for (int i = 0; i < w->ncpus; i++) {
        sim_cpu *c = &w->cpus[i];
        if (c->out.open) ctfw_stream_abort(&c->out.w);
        free(c->q.v);
        free(c->ah.v);
        free(c->vcpus);
        free(c->runq);
    }
    for (int i = 0; i < w->nvcpus; i++) {
        sim_vcpu *v = &w->vcpus[i];
        if (v->out.open) ctfw_stream_abort(&v->out.w);
        free(v->q.v);
        free(v->pending);
        vchk_free(&v->chk);
    }
    for (int i = 0; i < w->nm; i++) {
        sim_machine *m = &w->m[i];
        clockfn_free(&m->clock);
        free(m->tasks);
        free(m->app_tasks);
        free(m->vcpu_of_task);
    }
    free(w->m);
    free(w->cpus);
    free(w->vcpus);
    free(w->flows);
    free(w->devnames);
    free(w->pkts);
    free(w->heap);
    if (w->csv) fclose(w->csv);
}

static void guests_start(sim_world *w)
{
    for (int v = 0; v < w->nvcpus; v++) {
        sim_vcpu *vc = &w->vcpus[v];
        sim_cpu *c = &w->cpus[vc->cpu];
        int64_t t = w->t0 + 10 * US + (int64_t)rng_below(&vc->rng, 2 * MS);
        world_post(w, c, t, AI_WAKE, 0, (uint32_t)v, 0);
        if (vc->index == 0) {
            /* the guest's state dump runs on its CPU 0 */
            sim_machine *g = &w->m[vc->guest];
            int64_t vt = 2 * US;
            uopq_push(&vc->q, vt, OP_STATEDUMP, 0, 0, 0);
            for (int i = g->ncpus; i < g->ntasks; i++) {
                vt += 800 + (int64_t)rng_below(&vc->rng, 1200);
                uopq_push(&vc->q, vt, OP_STATEDUMP, 1, (uint32_t)i, 0);
            }
            uopq_push(&vc->q, vt + 2 * US, OP_STATEDUMP, 2, 0, 0);
        }
    }
}

static ts_status run(sim_world *w, ts_error *err)
{
    int src;
    for (int c = 0; c < w->ncpus; c++) {
        w->cpus[c].key = cpu_next(w, &w->cpus[c], &src);
        heap_push(w, &w->cpus[c]);
    }
    uint64_t steps = 0;
    while (w->nheap) {
        sim_cpu *c = heap_pop(w);
        if (c->key >= w->t_end) {
            heap_push(w, c);
            break;
        }
        w->horizon = w->nheap ? w->heap[0]->key : INT64_MAX;
        if (w->horizon < INT64_MAX - w->lookahead) w->horizon += w->lookahead;
        if (w->horizon > w->t_end) w->horizon = w->t_end;
        for (;;) {
            int64_t n = cpu_next(w, c, &src);
            if (n >= w->horizon) {
                c->key = n;
                break;
            }
            cpu_step(w, c, n, src);
            if ((++steps & 0xffff) == 0 && w->fail) break;
        }
        if (w->fail) return ts_error_set(err, TS_ERR_NOMEM, "out of memory during the simulation");
        heap_push(w, c);
    }
    return TS_OK;
}

static ts_status close_out(sim_world *w, sim_out *o, sim_machine *m, ts_error *err)
{
    uint64_t end = (uint64_t)(clockfn_eval(&m->clock, w->t_end) - m->clock_offset);
    m->events += o->w.nevents;
    o->open = 0;
    uint64_t regressions = o->w.regressions;
    uint32_t cpu = o->w.cpu;
    ts_status st = ctfw_stream_close(&o->w, end, err);
    if (st == TS_OK && regressions)
        st =
            ts_error_set(err, TS_ERR_INTERNAL,
                         "%s: stream channel0_%u: %" PRIu64 " event(s) older than the previous one",
                         m->spec->name, cpu, regressions);
    m->bytes += o->w.file_off;
    m->packets += o->w.seq;
    return st;
}

void ts_sim_options_init(ts_sim_options *o)
{
    memset(o, 0, sizeof *o);
    o->scale_ppm = 1000000;
    o->truth_matches = true;
}

/* Is the directory missing or empty? */
static int dir_empty(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 1;
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = 0;
            break;
        }
    }
    closedir(d);
    return empty;
}

ts_status ts_sim_run(const ts_sim_scenario *scn, const ts_sim_options *o, const char *outdir,
                     ts_sim_result *res, ts_error *err)
{
    ts_sim_options defaults;
    ts_sim_options_init(&defaults);
    if (!o) o = &defaults;
    if (res) memset(res, 0, sizeof *res);
    if (!scn || !outdir || !*outdir)
        return ts_error_set(err, TS_ERR_ARG, "no scenario or no output directory");
    uint64_t scale = o->scale_ppm ? o->scale_ppm : 1000000;
    if (scale < 1000 || scale > 1000000000ULL)
        return ts_error_set(err, TS_ERR_ARG, "scale %" PRIu64 " ppm: expected 0.001 to 1000 (x)",
                            scale);
    if (o->duration < 0) return ts_error_set(err, TS_ERR_ARG, "negative duration");
    if (!o->overwrite && !dir_empty(outdir))
        return ts_error_set(err, TS_ERR_ARG,
                            "output directory %s is not empty (choose another one or overwrite)",
                            outdir);
    sim_world w;
    memset(&w, 0, sizeof w);
    w.scn = scn;
    w.seed = o->seed_set ? o->seed : scn->seed;
    w.scale_ppm = scale;
    w.t0 = scn->start_epoch;
    int64_t dur = o->duration > 0 ? o->duration : scn->duration;
    w.t_end = w.t0 + dur;
    w.free_pkt = UINT32_MAX;
    ts_status st = mkdir_p(outdir, err);
    if (st == TS_OK) st = build_machines(&w, outdir, err);
    if (st == TS_OK) st = build_actors(&w, err);
    if (st == TS_OK) st = write_metadata(&w, err);
    if (st == TS_OK) st = open_streams(&w, err);
    if (st == TS_OK) st = build_flows(&w, err);
    if (st == TS_OK) st = truth_open(&w, outdir, o->truth_matches, err);
    if (st == TS_OK) {
        for (int i = 0; i < w.nflows; i++) flow_init(&w, &w.flows[i]);
        guests_start(&w);
        for (int c = 0; c < w.ncpus; c++) cpu_start(&w, &w.cpus[c]);
        st = run(&w, err);
    }
    if (st == TS_OK) {
        for (int c = 0; c < w.ncpus && st == TS_OK; c++)
            st = close_out(&w, &w.cpus[c].out, &w.m[w.cpus[c].machine], err);
        for (int v = 0; v < w.nvcpus && st == TS_OK; v++) {
            sim_vcpu *vc = &w.vcpus[v];
            st = close_out(&w, &vc->out, &w.m[vc->guest], err);
            vchk_finish(&vc->chk);
        }
    }
    if (st == TS_OK) {
        int oom = 0;
        for (int c = 0; c < w.ncpus; c++) oom |= w.cpus[c].q.oom;
        for (int v = 0; v < w.nvcpus; v++) oom |= w.vcpus[v].q.oom | w.vcpus[v].chk.oom;
        if (oom) st = ts_error_set(err, TS_ERR_NOMEM, "out of memory during the simulation");
    }
    if (st == TS_OK) st = truth_close(&w, outdir, err);
    if (st == TS_OK && res) {
        res->nmachines = (size_t)w.nm;
        res->machines = calloc((size_t)w.nm, sizeof *res->machines);
        if (!res->machines) {
            st = ts_error_set(err, TS_ERR_NOMEM, "out of memory");
        } else {
            for (int i = 0; i < w.nm; i++) {
                sim_machine *m = &w.m[i];
                ts_sim_machine_result *mr = &res->machines[i];
                snprintf(mr->name, sizeof mr->name, "%s", m->spec->name);
                mr->role = m->role == ROLE_HOST    ? "host"
                           : m->role == ROLE_GUEST ? "guest"
                                                   : "machine";
                mr->cpus = (uint32_t)m->ncpus;
                mr->events = m->events;
                mr->bytes = m->bytes;
                mr->packets = m->packets;
                res->events += mr->events;
                res->bytes += mr->bytes;
            }
            res->tcp_pairs = w.matches_tcp;
            res->vmsync_pairs = w.matches_vmsync;
            res->packets_lost = w.packets_sent - w.packets_received;
            res->true_begin = w.t0;
            res->true_end = w.t_end;
            res->seed = w.seed;
        }
    }
    free_world(&w);
    return st;
}

void ts_sim_result_free(ts_sim_result *res)
{
    if (!res) return;
    free(res->machines);
    res->machines = NULL;
    res->nmachines = 0;
}

const char *ts_sim_scenario_name(const ts_sim_scenario *sc)
{
    return sc->name;
}

int64_t ts_sim_scenario_duration(const ts_sim_scenario *sc)
{
    return sc->duration;
}
