/* VM analysis: the text report and the JSON document. */
#include "report/json_writer.h"
#include "report/table.h"
#include "tracesync/timefmt.h"
#include "util/fileio.h"
#include "vm/vm_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dur(double ns, char *buf, size_t size)
{
    if (!isfinite(ns)) return "-";
    return ts_format_duration((int64_t)llround(ns), buf, size);
}

static void add_count_cells(ts_table *t, const ts_vm_counts *c)
{
    char b1[32], b2[32], b3[32];
    ts_table_addf(t, "%llu", (unsigned long long)c->total);
    ts_table_addf(t, "%llu", (unsigned long long)c->checked);
    ts_table_addf(t, "%llu", (unsigned long long)ts_vm_counts_unchecked(c));
    ts_table_addf(t, "%llu", (unsigned long long)c->bad);
    ts_table_addf(t, "%.3f", ts_vm_bad_percent(c));
    ts_table_add(t, c->bad ? dur(c->mean_abs_ns, b1, sizeof b1) : "-");
    ts_table_add(t, c->bad ? ts_format_duration(c->max_abs_ns, b2, sizeof b2) : "-");
    ts_table_add(t, c->bad ? dur(c->mean_signed_ns, b3, sizeof b3) : "-");
}

static void count_headers(ts_table *t, const char *first)
{
    ts_table_header(t, 0, first, false);
    ts_table_header(t, 1, "events", true);
    ts_table_header(t, 2, "checked", true);
    ts_table_header(t, 3, "unchecked", true);
    ts_table_header(t, 4, "bad", true);
    ts_table_header(t, 5, "bad %", true);
    ts_table_header(t, 6, "mean |d|", true);
    ts_table_header(t, 7, "max |d|", true);
    ts_table_header(t, 8, "mean d", true);
}

static void hist_label(int i, char *buf, size_t size)
{
    static const char *const pw[] = {"1ns", "10ns", "100ns", "1us", "10us", "100us",
                                     "1ms", "10ms", "100ms", "1s",  "+inf"};
    int sign;
    int64_t lo, hi;
    ts_vm_hist_bin(i, &sign, &lo, &hi);
    int k = i < 10 ? 9 - i : i - 10;
    if (sign < 0)
        snprintf(buf, size, "(-%s, -%s]", k == 9 ? "inf" : pw[k + 1], pw[k]);
    else
        snprintf(buf, size, "[%s, %s)", pw[k], pw[k + 1]);
}

static void histogram(ts_strbuf *sb, const ts_vm_counts *c)
{
    int first = -1, last = -1;
    uint64_t max = 0;
    for (int i = 0; i < TS_VM_HIST_BINS; i++)
        if (c->hist[i]) {
            if (first < 0) first = i;
            last = i;
            if (c->hist[i] > max) max = c->hist[i];
        }
    if (first < 0) return;
    for (int i = first; i <= last; i++) {
        char lab[48];
        hist_label(i, lab, sizeof lab);
        int bar = max ? (int)((c->hist[i] * 40 + max - 1) / max) : 0;
        sb_printf(sb, "    %-16s %10llu  ", lab, (unsigned long long)c->hist[i]);
        for (int k = 0; k < bar; k++) sb_putc(sb, '#');
        sb_putc(sb, '\n');
    }
}

typedef struct name_row {
    size_t i;
    ts_vm_name_info info;
} name_row;

static int cmp_name_row(const void *a, const void *b)
{
    const name_row *x = a, *y = b;
    if (x->info.counts.bad != y->info.counts.bad)
        return x->info.counts.bad > y->info.counts.bad ? -1 : 1;
    if (x->info.counts.total != y->info.counts.total)
        return x->info.counts.total > y->info.counts.total ? -1 : 1;
    return strcmp(x->info.name, y->info.name);
}

static void unchecked_line(ts_strbuf *sb, const char *who, const ts_vm_counts *c)
{
    if (c->total == c->checked) return;
    sb_printf(sb, "  %s: %llu unchecked:", who, (unsigned long long)ts_vm_counts_unchecked(c));
    const char *sep = " ";
    if (c->before_first) {
        sb_printf(sb, "%s%llu before the first vCPU state event", sep,
                  (unsigned long long)c->before_first);
        sep = ", ";
    }
    if (c->after_last) {
        sb_printf(sb, "%s%llu after the last", sep, (unsigned long long)c->after_last);
        sep = ", ";
    }
    if (c->unknown) {
        sb_printf(sb, "%s%llu where host events were lost", sep, (unsigned long long)c->unknown);
        sep = ", ";
    }
    if (c->no_mapping)
        sb_printf(sb, "%s%llu on a vCPU with no host thread", sep,
                  (unsigned long long)c->no_mapping);
    sb_putc(sb, '\n');
}

char *ts_vm_format_report(const ts_vm *vm, size_t top_names)
{
    ts_strbuf sb;
    sb_init(&sb);
    char b1[48], b2[48];
    /* roles */
    sb_puts(&sb, "traces:\n");
    for (size_t i = 0; i < vm->ntraces; i++) {
        const vm_trace *t = &vm->traces[i];
        sb_printf(&sb, "  %-20s ", t->name);
        if (t->kvm_events && t->guest >= 0) sb_puts(&sb, "host and ");
        if (t->kvm_events) {
            size_t ng = 0;
            for (size_t g = 0; g < vm->nguests; g++)
                if (vm->guests[g].host_trace == (int)i) ng++;
            sb_printf(&sb, "host: %zu guest(s), %llu vCPU thread(s)", ng,
                      (unsigned long long)t->vcpu_threads);
            if (t->guest >= 0) sb_printf(&sb, "; guest %s", vm->guests[t->guest].name);
        } else if (t->guest >= 0) {
            sb_printf(&sb, "guest %s", vm->guests[t->guest].name);
        } else {
            sb_puts(&sb, "not involved (no kvm or vmsync event)");
        }
        sb_putc(&sb, '\n');
    }
    sb_printf(&sb, "clocks: %s\n",
              vm->corrected ? "corrected (formulas / offsets) onto the reference"
                            : "raw (as recorded; no correction)");
    if (vm->window)
        sb_printf(&sb, "window: guest events in [%s, %s]\n",
                  ts_format_time(vm->begin_ns, b1, sizeof b1),
                  ts_format_time(vm->end_ns, b2, sizeof b2));
    /* model */
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        sb_printf(&sb, "\nguest %s", gi.name);
        if (gi.ntraces > 1) {
            sb_puts(&sb, " (traces");
            for (size_t k = 0; k < gi.ntraces; k++)
                sb_printf(&sb, " %s", vm->traces[gi.traces[k]].name);
            sb_puts(&sb, ")");
        }
        if (gi.host_trace < 0) {
            sb_puts(&sb, ": not mapped to a host (see the notes)\n");
            continue;
        }
        sb_printf(&sb, ": host %s, QEMU process ", vm->traces[gi.host_trace].name);
        if (gi.qemu_pid > 0)
            sb_printf(&sb, "%d", (int)gi.qemu_pid);
        else
            sb_puts(&sb, "unknown");
        if (gi.source == TS_VM_MAP_VMSYNC)
            sb_printf(&sb, " (from the vmsync hypercalls, vm_uid %llu)\n",
                      (unsigned long long)gi.vm_uid);
        else
            sb_puts(&sb, " (given)\n");
        for (size_t v = 0; v < gi.nvcpus; v++) {
            ts_vm_vcpu_info vi;
            if (!ts_vm_vcpu(vm, g, v, &vi)) continue;
            if (vi.source == TS_VM_VCPU_UNMAPPED) {
                sb_printf(&sb, "  vCPU %u: no host thread\n", vi.vcpu);
                continue;
            }
            sb_printf(&sb, "  vCPU %u: host thread %d", vi.vcpu, (int)vi.tid);
            if (vi.thread[0]) sb_printf(&sb, " \"%s\"", vi.thread);
            sb_printf(&sb, " (number from the %s), %llu state events, %zu out-periods",
                      ts_vm_vcpu_source_name(vi.source), (unsigned long long)vi.state_events,
                      vi.out_periods);
            if (vi.unknown_ranges) sb_printf(&sb, ", %zu unknown ranges", vi.unknown_ranges);
            sb_putc(&sb, '\n');
        }
    }
    bool any_host = false;
    for (size_t i = 0; i < vm->ntraces; i++) any_host |= vm->traces[i].kvm_events > 0;
    if (!any_host) sb_puts(&sb, "\nno host: no trace has kvm entry/exit events\n");
    if (!vm->nguests)
        sb_puts(&sb, "no guest: no trace has vmsync guest events (name guests with --guest "
                     "NAME=QEMU_PID)\n");
    /* counts */
    ts_table *t = ts_table_new(9);
    if (!t) {
        sb_free(&sb);
        return NULL;
    }
    count_headers(t, "guest / vCPU");
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        ts_table_add(t, gi.name);
        add_count_cells(t, &gi.counts);
        for (size_t v = 0; v < gi.nvcpus; v++) {
            ts_vm_vcpu_info vi;
            if (!ts_vm_vcpu(vm, g, v, &vi)) continue;
            ts_table_addf(t, "  vCPU %u", vi.vcpu);
            add_count_cells(t, &vi.counts);
        }
    }
    if (vm->nguests > 1) {
        ts_vm_counts tot;
        ts_vm_total(vm, &tot);
        ts_table_rule(t);
        ts_table_add(t, "total");
        add_count_cells(t, &tot);
    }
    if (vm->nguests) {
        sb_putc(&sb, '\n');
        ts_table_render(t, &sb);
    }
    bool failed = ts_table_failed(t);
    ts_table_free(t);
    /* unchecked */
    bool any = false;
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        if (gi.counts.total != gi.counts.checked) any = true;
    }
    if (any) {
        sb_puts(&sb, "\n");
        for (size_t g = 0; g < vm->nguests; g++) {
            ts_vm_guest_info gi;
            ts_vm_guest(vm, g, &gi);
            unchecked_line(&sb, gi.name, &gi.counts);
        }
    }
    /* per event name and histogram */
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        if (!gi.counts.bad) continue;
        name_row *rows = malloc(gi.nnames * sizeof *rows);
        if (!rows) {
            failed = true;
            break;
        }
        size_t n = 0;
        for (size_t i = 0; i < gi.nnames; i++) {
            rows[n].i = i;
            ts_vm_name(vm, g, i, &rows[n].info);
            if (rows[n].info.counts.bad) n++;
        }
        if (n > 1) qsort(rows, n, sizeof *rows, cmp_name_row);
        size_t shown = top_names && top_names < n ? top_names : n;
        sb_printf(&sb, "\n%s: events with bad placements (%zu of %zu event names%s)\n", gi.name,
                  shown, gi.nnames, shown < n ? ", --top to see more" : "");
        ts_table *nt = ts_table_new(9);
        if (!nt) {
            free(rows);
            failed = true;
            break;
        }
        count_headers(nt, "event");
        for (size_t i = 0; i < shown; i++) {
            ts_table_add(nt, rows[i].info.name);
            add_count_cells(nt, &rows[i].info.counts);
        }
        ts_table_render(nt, &sb);
        failed |= ts_table_failed(nt);
        ts_table_free(nt);
        free(rows);
        sb_printf(&sb, "\n%s: distances of the bad events (+: guest clock late, -: early)\n",
                  gi.name);
        histogram(&sb, &gi.counts);
    }
    if (vm->nnotes) {
        sb_puts(&sb, "\nnotes:\n");
        for (size_t i = 0; i < vm->nnotes; i++) sb_printf(&sb, "  - %s\n", vm->notes[i]);
    }
    if (failed || sb.oom) {
        sb_free(&sb);
        return NULL;
    }
    if (!sb.data) sb_puts(&sb, "");
    return sb_take(&sb);
}

/* ---- JSON -------------------------------------------------------------------------- */

static void json_counts(ts_jw *w, const ts_vm_counts *c)
{
    ts_jw_kv_u64(w, "events_total", c->total);
    ts_jw_kv_u64(w, "checked", c->checked);
    ts_jw_kv_u64(w, "unchecked", ts_vm_counts_unchecked(c));
    ts_jw_kv_u64(w, "unchecked_no_mapping", c->no_mapping);
    ts_jw_kv_u64(w, "unchecked_before_first", c->before_first);
    ts_jw_kv_u64(w, "unchecked_after_last", c->after_last);
    ts_jw_kv_u64(w, "unchecked_unknown", c->unknown);
    ts_jw_kv_u64(w, "bad", c->bad);
    ts_jw_kv_double(w, "bad_percent", ts_vm_bad_percent(c), 6);
    ts_jw_kv_double(w, "mean_abs_ns", c->mean_abs_ns, 3);
    ts_jw_kv_i64(w, "max_abs_ns", c->max_abs_ns);
    ts_jw_kv_double(w, "mean_signed_ns", c->mean_signed_ns, 3);
    ts_jw_kv_i64(w, "min_signed_ns", c->min_signed_ns);
    ts_jw_kv_i64(w, "max_signed_ns", c->max_signed_ns);
    ts_jw_key(w, "histogram");
    ts_jw_begin_array(w);
    for (int i = 0; i < TS_VM_HIST_BINS; i++) ts_jw_u64(w, c->hist[i]);
    ts_jw_end_array(w);
}

char *ts_vm_to_json(const ts_vm *vm)
{
    ts_strbuf sb;
    sb_init(&sb);
    ts_jw w;
    ts_jw_init(&w, &sb, 2);
    ts_jw_begin_object(&w);
    ts_jw_kv_bool(&w, "corrected", vm->corrected);
    ts_jw_key(&w, "window");
    if (vm->window) {
        ts_jw_begin_object(&w);
        ts_jw_kv_i64(&w, "begin_ns", vm->begin_ns);
        ts_jw_kv_i64(&w, "end_ns", vm->end_ns);
        ts_jw_end_object(&w);
    } else {
        ts_jw_null(&w);
    }
    ts_jw_key(&w, "histogram_bins");
    ts_jw_begin_array(&w);
    for (int i = 0; i < TS_VM_HIST_BINS; i++) {
        int sign;
        int64_t lo, hi;
        ts_vm_hist_bin(i, &sign, &lo, &hi);
        ts_jw_begin_object(&w);
        ts_jw_kv_i64(&w, "sign", sign);
        ts_jw_kv_i64(&w, "abs_min_ns", lo);
        ts_jw_key(&w, "abs_max_ns");
        if (hi < 0)
            ts_jw_null(&w);
        else
            ts_jw_i64(&w, hi);
        ts_jw_end_object(&w);
    }
    ts_jw_end_array(&w);
    ts_jw_key(&w, "traces");
    ts_jw_begin_array(&w);
    for (size_t i = 0; i < vm->ntraces; i++) {
        const vm_trace *t = &vm->traces[i];
        ts_jw_begin_object(&w);
        ts_jw_kv_str(&w, "name", t->name);
        ts_jw_kv_bool(&w, "host", t->kvm_events > 0);
        ts_jw_kv_str(&w, "guest", t->guest >= 0 ? vm->guests[t->guest].name : NULL);
        ts_jw_end_object(&w);
    }
    ts_jw_end_array(&w);
    ts_jw_key(&w, "guests");
    ts_jw_begin_array(&w);
    for (size_t g = 0; g < vm->nguests; g++) {
        ts_vm_guest_info gi;
        ts_vm_guest(vm, g, &gi);
        ts_jw_begin_object(&w);
        ts_jw_kv_str(&w, "name", gi.name);
        ts_jw_key(&w, "traces");
        ts_jw_begin_array(&w);
        for (size_t k = 0; k < gi.ntraces; k++) ts_jw_str(&w, vm->traces[gi.traces[k]].name);
        ts_jw_end_array(&w);
        ts_jw_kv_str(&w, "host", gi.host_trace >= 0 ? vm->traces[gi.host_trace].name : NULL);
        ts_jw_key(&w, "qemu_pid");
        if (gi.qemu_pid > 0)
            ts_jw_i64(&w, gi.qemu_pid);
        else
            ts_jw_null(&w);
        ts_jw_kv_str(&w, "mapping", ts_vm_map_source_name(gi.source));
        ts_jw_key(&w, "vm_uid");
        if (gi.has_vm_uid)
            ts_jw_u64(&w, gi.vm_uid);
        else
            ts_jw_null(&w);
        json_counts(&w, &gi.counts);
        ts_jw_key(&w, "vcpus");
        ts_jw_begin_array(&w);
        for (size_t v = 0; v < gi.nvcpus; v++) {
            ts_vm_vcpu_info vi;
            if (!ts_vm_vcpu(vm, g, v, &vi)) continue;
            ts_jw_begin_object(&w);
            ts_jw_kv_u64(&w, "vcpu", vi.vcpu);
            ts_jw_key(&w, "host_tid");
            if (vi.tid >= 0)
                ts_jw_i64(&w, vi.tid);
            else
                ts_jw_null(&w);
            ts_jw_kv_str(&w, "thread", vi.thread);
            ts_jw_kv_str(&w, "source", ts_vm_vcpu_source_name(vi.source));
            ts_jw_kv_u64(&w, "state_events", vi.state_events);
            ts_jw_kv_u64(&w, "out_periods", vi.out_periods);
            ts_jw_kv_u64(&w, "unknown_ranges", vi.unknown_ranges);
            json_counts(&w, &vi.counts);
            ts_jw_end_object(&w);
        }
        ts_jw_end_array(&w);
        ts_jw_key(&w, "events");
        ts_jw_begin_array(&w);
        for (size_t i = 0; i < gi.nnames; i++) {
            ts_vm_name_info ni;
            ts_vm_name(vm, g, i, &ni);
            ts_jw_begin_object(&w);
            ts_jw_kv_str(&w, "name", ni.name);
            json_counts(&w, &ni.counts);
            ts_jw_end_object(&w);
        }
        ts_jw_end_array(&w);
        ts_jw_end_object(&w);
    }
    ts_jw_end_array(&w);
    ts_vm_counts tot;
    ts_vm_total(vm, &tot);
    ts_jw_key(&w, "total");
    ts_jw_begin_object(&w);
    json_counts(&w, &tot);
    ts_jw_end_object(&w);
    ts_jw_key(&w, "notes");
    ts_jw_begin_array(&w);
    for (size_t i = 0; i < vm->nnotes; i++) ts_jw_str(&w, vm->notes[i]);
    ts_jw_end_array(&w);
    ts_jw_end_object(&w);
    sb_putc(&sb, '\n');
    if (sb.oom) {
        sb_free(&sb);
        return NULL;
    }
    return sb_take(&sb);
}

ts_status ts_vm_write_json(const ts_vm *vm, const char *path, ts_error *err)
{
    char *s = ts_vm_to_json(vm);
    if (!s) return ts_error_set(err, TS_ERR_NOMEM, "out of memory");
    ts_status st = ts_write_file(path, s, strlen(s), err);
    free(s);
    return st;
}
