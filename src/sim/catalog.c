/* Event classes of lttng-modules 2.13 (x86-64) and the TSDL that declares them. */
#include "sim/catalog.h"
#include "sim/ctfw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Field lists in a compact notation, expanded to TSDL by emit_fields():
 *   s32:name / u64:name   signed/unsigned integer of that size, base 10
 *   x64:name              unsigned, base 16
 *   c16:name              char[16] text array
 *   str:name              NUL-terminated string
 *   q8s32:name            sequence of s32 whose u8 length field precedes it
 *   net                   the net_dev_template payload (headers) */
typedef struct ev_desc {
    const char *name;
    const char *fields;
} ev_desc;

static const ev_desc events[EV_SYSCALL_FIRST] = {
    [EV_STATEDUMP_START] = {"lttng_statedump_start", ""},
    [EV_STATEDUMP_END] = {"lttng_statedump_end", ""},
    [EV_STATEDUMP_PROCESS_STATE] = {"lttng_statedump_process_state",
                                    "s32:tid s32:pid s32:ppid c16:name s32:type s32:mode "
                                    "s32:submode s32:status u32:cpu x64:file_table_address"},
    [EV_SCHED_SWITCH] = {"sched_switch", "c16:prev_comm s32:prev_tid s32:prev_prio s64:prev_state "
                                         "c16:next_comm s32:next_tid s32:next_prio"},
    [EV_SCHED_WAKING] = {"sched_waking", "c16:comm s32:tid s32:prio s32:target_cpu"},
    [EV_SCHED_WAKEUP] = {"sched_wakeup", "c16:comm s32:tid s32:prio s32:target_cpu"},
    [EV_SCHED_WAKEUP_NEW] = {"sched_wakeup_new", "c16:comm s32:tid s32:prio s32:target_cpu"},
    [EV_SCHED_PROCESS_FORK] = {"sched_process_fork",
                               "c16:parent_comm s32:parent_tid s32:parent_pid u32:parent_ns_inum "
                               "c16:child_comm s32:child_tid q8s32:vtids s32:child_pid "
                               "u32:child_ns_inum"},
    [EV_SCHED_PROCESS_EXIT] = {"sched_process_exit", "c16:comm s32:tid s32:prio"},
    [EV_IRQ_HANDLER_ENTRY] = {"irq_handler_entry", "s32:irq str:name"},
    [EV_IRQ_HANDLER_EXIT] = {"irq_handler_exit", "s32:irq s32:ret"},
    [EV_SOFTIRQ_RAISE] = {"irq_softirq_raise", "u32:vec"},
    [EV_SOFTIRQ_ENTRY] = {"irq_softirq_entry", "u32:vec"},
    [EV_SOFTIRQ_EXIT] = {"irq_softirq_exit", "u32:vec"},
    [EV_HRTIMER_START] = {"timer_hrtimer_start",
                          "x64:hrtimer x64:function s64:expires s64:softexpires"},
    [EV_HRTIMER_CANCEL] = {"timer_hrtimer_cancel", "x64:hrtimer"},
    [EV_HRTIMER_EXPIRE_ENTRY] = {"timer_hrtimer_expire_entry", "x64:hrtimer s64:now x64:function"},
    [EV_HRTIMER_EXPIRE_EXIT] = {"timer_hrtimer_expire_exit", "x64:hrtimer"},
    [EV_NET_DEV_QUEUE] = {"net_dev_queue", "net"},
    [EV_NET_IF_RECEIVE_SKB] = {"net_if_receive_skb", "net"},
    [EV_KVM_ENTRY] = {"kvm_x86_entry", "u32:vcpu_id"},
    [EV_KVM_EXIT] = {"kvm_x86_exit", "u32:exit_reason u64:guest_rip u32:isa u64:info1 u64:info2 "
                                     "u32:intr_info u32:error_code u32:vcpu_id"},
    [EV_KVM_HYPERCALL] = {"kvm_x86_hypercall", "u64:nr u64:a0 u64:a1 u64:a2 u64:a3"},
    [EV_KVM_MSR] = {"kvm_x86_msr", "u32:write u32:ecx u64:data u8:exception"},
    [EV_KVM_PIO] = {"kvm_x86_pio", "u32:rw u32:port u32:size u32:count"},
    [EV_VMSYNC_GH_GUEST] = {"vmsync_gh_guest", "u32:cnt u64:vm_uid"},
    [EV_VMSYNC_HG_GUEST] = {"vmsync_hg_guest", "u32:cnt u64:vm_uid"},
    [EV_VMSYNC_GH_HOST] = {"vmsync_gh_host", "u32:cnt u64:vm_uid"},
    [EV_VMSYNC_HG_HOST] = {"vmsync_hg_host", "u32:cnt u64:vm_uid"},
};

typedef struct sys_desc {
    const char *name;
    const char *entry, *exit;
} sys_desc;

static const sys_desc syscalls[SYS__COUNT] = {
    [SYS_READ] = {"read", "u32:fd u64:count", "s64:ret u64:buf"},
    [SYS_WRITE] = {"write", "u32:fd u64:buf u64:count", "s64:ret"},
    [SYS_FUTEX] = {"futex", "u64:uaddr s32:op u32:val u64:utime u64:uaddr2 u32:val3",
                   "s64:ret u64:uaddr u64:uaddr2"},
    [SYS_SENDTO] = {"sendto", "s32:fd u64:buff u64:len u32:flags u64:addr s32:addr_len", "s64:ret"},
    [SYS_RECVFROM] = {"recvfrom", "s32:fd u64:size u32:flags u64:addr_len",
                      "s64:ret u64:ubuf u64:addr u64:addr_len"},
    [SYS_IOCTL] = {"ioctl", "u32:fd u32:cmd u64:arg", "s64:ret u64:arg"},
    [SYS_OPENAT] = {"openat", "s32:dfd str:filename s32:flags u16:mode", "s64:ret"},
    [SYS_CLOSE] = {"close", "u32:fd", "s64:ret"},
    [SYS_NEWFSTAT] = {"newfstat", "u32:fd", "s64:ret u64:statbuf"},
    [SYS_LSEEK] = {"lseek", "u32:fd s64:offset u32:whence", "s64:ret"},
    [SYS_MMAP] = {"mmap", "x64:addr u64:len s32:prot s32:flags s32:fd s64:offset", "x64:ret"},
    [SYS_MUNMAP] = {"munmap", "u64:addr u64:len", "s64:ret"},
    [SYS_BRK] = {"brk", "u64:brk", "s64:ret"},
    [SYS_RT_SIGPROCMASK] = {"rt_sigprocmask", "s32:how u64:nset u64:sigsetsize",
                            "s64:ret u64:oset"},
    [SYS_NANOSLEEP] = {"nanosleep", "u64:rqtp", "s64:ret u64:rmtp"},
    [SYS_CLOCK_NANOSLEEP] = {"clock_nanosleep", "s32:which_clock s32:flags u64:rqtp",
                             "s64:ret u64:rmtp"},
    [SYS_SENDMSG] = {"sendmsg", "s32:fd u64:msg u32:flags", "s64:ret"},
    [SYS_RECVMSG] = {"recvmsg", "s32:fd u64:msg u32:flags", "s64:ret u64:msg"},
    [SYS_GETPID] = {"getpid", "", "s64:ret"},
    [SYS_SCHED_YIELD] = {"sched_yield", "", "s64:ret"},
    [SYS_WRITEV] = {"writev", "u64:fd u64:vec u64:vlen", "s64:ret u64:vec"},
};

/* The names of EV_SYSCALL_FIRST.. events, built from the table above. */
static const char *const sys_event_names[2 * SYS__COUNT] = {
#define SYSN(x) "syscall_entry_" #x, "syscall_exit_" #x
    SYSN(read),     SYSN(write),          SYSN(futex),     SYSN(sendto),
    SYSN(recvfrom), SYSN(ioctl),          SYSN(openat),    SYSN(close),
    SYSN(newfstat), SYSN(lseek),          SYSN(mmap),      SYSN(munmap),
    SYSN(brk),      SYSN(rt_sigprocmask), SYSN(nanosleep), SYSN(clock_nanosleep),
    SYSN(sendmsg),  SYSN(recvmsg),        SYSN(getpid),    SYSN(sched_yield),
    SYSN(writev),
#undef SYSN
};

const char *catalog_event_name(int ev)
{
    if (ev < 0 || ev >= (int)EV__COUNT) return "?";
    if (ev < EV_SYSCALL_FIRST) return events[ev].name;
    return sys_event_names[ev - EV_SYSCALL_FIRST];
}

const char *catalog_sys_name(int sys)
{
    return sys >= 0 && sys < SYS__COUNT ? syscalls[sys].name : "?";
}

static void declare(sim_catalog *c, int ev)
{
    if (c->id[ev] == SIM_NOID) c->id[ev] = c->nevents++;
}

void catalog_build(sim_catalog *c, sim_role role, int small)
{
    for (int i = 0; i < (int)EV__COUNT; i++) c->id[i] = SIM_NOID;
    c->nevents = 0;
    c->nsys = 0;
    /* Syscalls first, as `lttng enable-event -k --syscall -a` then tracepoints. */
    int want_sys = small ? 0 : SYS__COUNT;
    for (int s = 0; s < want_sys; s++) {
        declare(c, ev_sys_entry(s));
        declare(c, ev_sys_exit(s));
        c->sys[c->nsys++] = (uint8_t)s;
    }
    static const int core[] = {
        EV_STATEDUMP_START,   EV_STATEDUMP_END,        EV_STATEDUMP_PROCESS_STATE,
        EV_SCHED_SWITCH,      EV_SCHED_WAKING,         EV_SCHED_WAKEUP,
        EV_SCHED_WAKEUP_NEW,  EV_SCHED_PROCESS_FORK,   EV_SCHED_PROCESS_EXIT,
        EV_IRQ_HANDLER_ENTRY, EV_IRQ_HANDLER_EXIT,     EV_SOFTIRQ_RAISE,
        EV_SOFTIRQ_ENTRY,     EV_SOFTIRQ_EXIT,         EV_HRTIMER_START,
        EV_HRTIMER_CANCEL,    EV_HRTIMER_EXPIRE_ENTRY, EV_HRTIMER_EXPIRE_EXIT,
        EV_NET_DEV_QUEUE,     EV_NET_IF_RECEIVE_SKB,
    };
    for (size_t i = 0; i < sizeof core / sizeof core[0]; i++) declare(c, core[i]);
    if (role == ROLE_HOST) {
        declare(c, EV_KVM_ENTRY);
        declare(c, EV_KVM_EXIT);
        declare(c, EV_KVM_HYPERCALL);
        if (!small) {
            declare(c, EV_KVM_MSR);
            declare(c, EV_KVM_PIO);
        }
    }
    if (role == ROLE_HOST || role == ROLE_GUEST) {
        /* The vmsync addon declares its four events on both sides. */
        declare(c, EV_VMSYNC_GH_GUEST);
        declare(c, EV_VMSYNC_HG_GUEST);
        declare(c, EV_VMSYNC_GH_HOST);
        declare(c, EV_VMSYNC_HG_HOST);
    }
    if (small) {
        /* A few system calls while the channel keeps fewer than 31 ids. */
        for (int s = 0; s < SYS__COUNT && c->nevents + 2 <= 30; s++) {
            declare(c, ev_sys_entry(s));
            declare(c, ev_sys_exit(s));
            c->sys[c->nsys++] = (uint8_t)s;
        }
    }
    c->header_type = c->nevents < 31 ? CTFW_HEADER_COMPACT : CTFW_HEADER_LARGE;
}

void catalog_uuid_str(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

/* ---- TSDL ---------------------------------------------------------------- */

static void tabs(ts_strbuf *o, int n)
{
    for (int i = 0; i < n; i++) sb_putc(o, '\t');
}

static void int_type(ts_strbuf *o, int size, int align, int sign, const char *enc, int base, int be)
{
    sb_printf(o, "integer { size = %d; align = %d; signed = %d; encoding = %s; base = %d;%s }",
              size, align, sign, enc, base, be ? " byte_order = be;" : "");
}

static void int_field(ts_strbuf *o, int nest, int size, int sign, int base, int be,
                      const char *name)
{
    tabs(o, nest);
    int_type(o, size, size % 8 == 0 ? 8 : size == 4 ? 4 : 1, sign, "none", base, be);
    sb_printf(o, " _%s;\n", name);
}

/* An 8-bit enum tag `tag` of the names (values 0, 1, ...; the first, "_unknown", an
 * empty struct), and the opening of the variant it selects, up to its first struct. */
static void tagged_variant(ts_strbuf *o, int n, const char *tag, const char *const *names,
                           int count)
{
    tabs(o, n);
    sb_puts(o, "enum : ");
    int_type(o, 8, 8, 0, "none", 10, 0);
    sb_puts(o, " {\n");
    for (int i = 0; i < count; i++) {
        tabs(o, n + 1);
        sb_printf(o, "\"%s\" = %d,\n", names[i], i);
    }
    tabs(o, n);
    sb_printf(o, "} %s;\n", tag);
    tabs(o, n);
    sb_printf(o, "variant <%s> {\n", tag);
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    tabs(o, n + 1);
    sb_puts(o, "} _unknown;\n");
}

/* Fields of the TCP/UDP/ICMP headers and the transport variant. */
static void transport(ts_strbuf *o, int n)
{
    static const char *const th[] = {"_unknown", "_tcp", "_udp", "_icmp"};
    tagged_variant(o, n, "_transport_header_type", th, 4);
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    int m = n + 2;
    int_field(o, m, 16, 0, 10, 1, "source_port");
    int_field(o, m, 16, 0, 10, 1, "dest_port");
    int_field(o, m, 32, 0, 10, 1, "seq");
    int_field(o, m, 32, 0, 10, 1, "ack_seq");
    int_field(o, m, 4, 0, 10, 1, "data_offset");
    int_field(o, m, 3, 0, 10, 1, "reserved");
    int_field(o, m, 9, 0, 16, 1, "flags");
    int_field(o, m, 16, 0, 10, 1, "window_size");
    int_field(o, m, 16, 0, 16, 1, "checksum");
    int_field(o, m, 16, 0, 10, 1, "urg_ptr");
    tabs(o, n + 1);
    sb_puts(o, "} _tcp;\n");
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    int_field(o, m, 16, 0, 10, 1, "source_port");
    int_field(o, m, 16, 0, 10, 1, "dest_port");
    int_field(o, m, 16, 0, 10, 1, "len");
    int_field(o, m, 16, 0, 10, 1, "check");
    tabs(o, n + 1);
    sb_puts(o, "} _udp;\n");
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    int_field(o, m, 8, 0, 10, 1, "type");
    int_field(o, m, 8, 0, 10, 1, "code");
    int_field(o, m, 16, 0, 10, 1, "checksum");
    int_field(o, m, 32, 0, 10, 1, "gateway");
    tabs(o, n + 1);
    sb_puts(o, "} _icmp;\n");
    tabs(o, n);
    sb_puts(o, "} _transport_header;\n");
}

static void proto_enum(ts_strbuf *o, int n, const char *name)
{
    tabs(o, n);
    sb_puts(o, "enum : ");
    int_type(o, 8, 8, 0, "none", 10, 1);
    sb_puts(o, " {\n");
    static const char *const lines[] = {
        "\"_unknown\" = 0,",        "\"_icmp\" = 1,", "\"_unknown\" = 2 ... 5,",    "\"_tcp\" = 6,",
        "\"_unknown\" = 7 ... 16,", "\"_udp\" = 17,", "\"_unknown\" = 18 ... 255,",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        tabs(o, n + 1);
        sb_printf(o, "%s\n", lines[i]);
    }
    tabs(o, n);
    sb_printf(o, "} _%s;\n", name);
}

static void array_field(ts_strbuf *o, int n, int size, int base, const char *name, int len)
{
    tabs(o, n);
    sb_printf(o, "struct { } align(8) _%s_padding;\n", name);
    tabs(o, n);
    int_type(o, size, 8, 0, "none", base, 1);
    sb_printf(o, " _%s[%d];\n", name, len);
}

static void net_fields(ts_strbuf *o)
{
    int n = 2;
    int_field(o, n, 64, 0, 16, 0, "skbaddr");
    int_field(o, n, 32, 0, 10, 0, "len");
    tabs(o, n);
    sb_puts(o, "string _name;\n");
    static const char *const nh[] = {"_unknown", "_ipv4", "_ipv6"};
    tagged_variant(o, n, "_network_header_type", nh, 3);
    /* IPv4 */
    int m = n + 2;
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    int_field(o, m, 4, 0, 10, 1, "version");
    int_field(o, m, 4, 0, 10, 1, "ihl");
    int_field(o, m, 8, 0, 10, 1, "tos");
    int_field(o, m, 16, 0, 10, 1, "tot_len");
    int_field(o, m, 16, 0, 16, 1, "id");
    int_field(o, m, 16, 0, 10, 1, "frag_off");
    int_field(o, m, 8, 0, 10, 1, "ttl");
    proto_enum(o, m, "protocol");
    int_field(o, m, 16, 0, 16, 1, "checksum");
    array_field(o, m, 8, 10, "saddr", 4);
    array_field(o, m, 8, 10, "daddr", 4);
    transport(o, m);
    tabs(o, n + 1);
    sb_puts(o, "} _ipv4;\n");
    /* IPv6 */
    tabs(o, n + 1);
    sb_puts(o, "struct {\n");
    int_field(o, m, 4, 0, 10, 1, "version");
    int_field(o, m, 4, 0, 10, 1, "prio");
    array_field(o, m, 8, 16, "flow_lbl", 3);
    int_field(o, m, 16, 0, 10, 1, "payload_len");
    proto_enum(o, m, "nexthdr");
    int_field(o, m, 8, 0, 10, 1, "hop_limit");
    array_field(o, m, 16, 16, "saddr", 8);
    array_field(o, m, 16, 16, "daddr", 8);
    transport(o, m);
    tabs(o, n + 1);
    sb_puts(o, "} _ipv6;\n");
    tabs(o, n);
    sb_puts(o, "} _network_header;\n");
}

static void emit_fields(ts_strbuf *o, const char *spec)
{
    char tok[64];
    const char *p = spec;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        size_t n = strcspn(p, " ");
        if (n >= sizeof tok) n = sizeof tok - 1;
        memcpy(tok, p, n);
        tok[n] = 0;
        p += n;
        if (!strcmp(tok, "net")) {
            net_fields(o);
            continue;
        }
        char *colon = strchr(tok, ':');
        if (!colon) continue;
        *colon = 0;
        const char *name = colon + 1;
        if (!strcmp(tok, "c16")) {
            tabs(o, 2);
            int_type(o, 8, 8, 0, "UTF8", 10, 0);
            sb_printf(o, " _%s[16];\n", name);
        } else if (!strcmp(tok, "str")) {
            tabs(o, 2);
            sb_printf(o, "string _%s;\n", name);
        } else if (!strcmp(tok, "q8s32")) {
            char len_name[80];
            snprintf(len_name, sizeof len_name, "_%s_length", name);
            int_field(o, 2, 8, 0, 10, 0, len_name);
            tabs(o, 2);
            int_type(o, 32, 8, 1, "none", 10, 0);
            sb_printf(o, " _%s[ _%s ];\n", name, len_name);
        } else {
            int sign = tok[0] == 's';
            int base = tok[0] == 'x' ? 16 : 10;
            int size = 0;
            sscanf(tok + 1, "%d", &size);
            int_field(o, 2, size, sign, base, 0, name);
        }
    }
}

void catalog_metadata(const sim_catalog *c, const sim_meta_env *env, ts_strbuf *o)
{
    char uuid[37];
    catalog_uuid_str(env->trace_uuid, uuid);
    sb_puts(o, "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
               "typealias integer { size = 16; align = 8; signed = false; } := uint16_t;\n"
               "typealias integer { size = 32; align = 8; signed = false; } := uint32_t;\n"
               "typealias integer { size = 64; align = 8; signed = false; } := uint64_t;\n"
               "typealias integer { size = 64; align = 8; signed = false; } := unsigned long;\n"
               "typealias integer { size = 5; align = 1; signed = false; } := uint5_t;\n"
               "typealias integer { size = 27; align = 1; signed = false; } := uint27_t;\n"
               "\n");
    sb_printf(o,
              "trace {\n"
              "\tmajor = 1;\n"
              "\tminor = 8;\n"
              "\tuuid = \"%s\";\n"
              "\tbyte_order = le;\n"
              "\tpacket.header := struct {\n"
              "\t\tuint32_t magic;\n"
              "\t\tuint8_t  uuid[16];\n"
              "\t\tuint32_t stream_id;\n"
              "\t\tuint64_t stream_instance_id;\n"
              "\t};\n"
              "};\n\n",
              uuid);
    sb_printf(o,
              "env {\n"
              "\thostname = \"%s\";\n"
              "\tdomain = \"kernel\";\n"
              "\tsysname = \"Linux\";\n"
              "\tkernel_release = \"%s\";\n"
              "\tkernel_version = \"%s\";\n"
              "\ttracer_name = \"lttng-modules\";\n"
              "\ttracer_major = 2;\n"
              "\ttracer_minor = 13;\n"
              "\ttracer_patchlevel = %d;\n"
              "\ttrace_buffering_scheme = \"global\";\n"
              "\ttrace_name = \"%s\";\n"
              "\ttrace_creation_datetime = \"%s\";\n",
              env->hostname, env->kernel_release, env->kernel_version, env->tracer_patchlevel,
              env->trace_name, env->creation_datetime);
    if (env->product_uuid) sb_printf(o, "\tproduct_uuid = \"%s\";\n", env->product_uuid);
    sb_puts(o, "};\n\n");
    sb_printf(o,
              "clock {\n"
              "\tname = \"monotonic\";\n"
              "\tuuid = \"%s\";\n"
              "\tdescription = \"Monotonic Clock\";\n"
              "\tfreq = 1000000000; /* Frequency, in Hz */\n"
              "\t/* clock value offset from Epoch is: offset * (1/freq) */\n"
              "\toffset = %" PRId64 ";\n"
              "};\n\n",
              env->clock_uuid, env->clock_offset);
    sb_puts(o, "typealias integer {\n"
               "\tsize = 27; align = 1; signed = false;\n"
               "\tmap = clock.monotonic.value;\n"
               "} := uint27_clock_monotonic_t;\n"
               "\n"
               "typealias integer {\n"
               "\tsize = 32; align = 8; signed = false;\n"
               "\tmap = clock.monotonic.value;\n"
               "} := uint32_clock_monotonic_t;\n"
               "\n"
               "typealias integer {\n"
               "\tsize = 64; align = 8; signed = false;\n"
               "\tmap = clock.monotonic.value;\n"
               "} := uint64_clock_monotonic_t;\n\n");
    sb_puts(o, "struct packet_context {\n"
               "\tuint64_clock_monotonic_t timestamp_begin;\n"
               "\tuint64_clock_monotonic_t timestamp_end;\n"
               "\tuint64_t content_size;\n"
               "\tuint64_t packet_size;\n"
               "\tuint64_t packet_seq_num;\n"
               "\tunsigned long events_discarded;\n"
               "\tuint32_t cpu_id;\n"
               "};\n\n");
    sb_puts(o, "struct event_header_compact {\n"
               "\tenum : uint5_t { compact = 0 ... 30, extended = 31 } id;\n"
               "\tvariant <id> {\n"
               "\t\tstruct {\n"
               "\t\t\tuint27_clock_monotonic_t timestamp;\n"
               "\t\t} compact;\n"
               "\t\tstruct {\n"
               "\t\t\tuint32_t id;\n"
               "\t\t\tuint64_clock_monotonic_t timestamp;\n"
               "\t\t} extended;\n"
               "\t} v;\n"
               "} align(8);\n"
               "\n"
               "struct event_header_large {\n"
               "\tenum : uint16_t { compact = 0 ... 65534, extended = 65535 } id;\n"
               "\tvariant <id> {\n"
               "\t\tstruct {\n"
               "\t\t\tuint32_clock_monotonic_t timestamp;\n"
               "\t\t} compact;\n"
               "\t\tstruct {\n"
               "\t\t\tuint32_t id;\n"
               "\t\t\tuint64_clock_monotonic_t timestamp;\n"
               "\t\t} extended;\n"
               "\t} v;\n"
               "} align(8);\n\n");
    sb_printf(o,
              "stream {\n"
              "\tid = 0;\n"
              "\tevent.header := %s;\n"
              "\tpacket.context := struct packet_context;\n"
              "};\n\n",
              c->header_type == CTFW_HEADER_COMPACT ? "struct event_header_compact"
                                                    : "struct event_header_large");
    /* Events in id order. */
    int by_id[EV__COUNT];
    for (uint32_t i = 0; i < c->nevents; i++) by_id[i] = -1;
    for (int ev = 0; ev < (int)EV__COUNT; ev++)
        if (c->id[ev] != SIM_NOID) by_id[c->id[ev]] = ev;
    for (uint32_t i = 0; i < c->nevents; i++) {
        int ev = by_id[i];
        if (ev < 0) continue;
        const char *fields;
        if (ev < EV_SYSCALL_FIRST) {
            fields = events[ev].fields;
        } else {
            int s = (ev - EV_SYSCALL_FIRST) / 2;
            fields = (ev - EV_SYSCALL_FIRST) % 2 ? syscalls[s].exit : syscalls[s].entry;
        }
        sb_printf(o,
                  "event {\n"
                  "\tname = \"%s\";\n"
                  "\tid = %u;\n"
                  "\tstream_id = 0;\n"
                  "\tfields := struct {\n",
                  catalog_event_name(ev), i);
        emit_fields(o, fields);
        sb_puts(o, "\t};\n"
                   "};\n\n");
    }
}
