/* VM analysis: time ranges where a trace lost events (internal). */
#ifndef TS_VM_LOSSES_H
#define TS_VM_LOSSES_H

#include "tracesync/traceset.h"

typedef struct vm_loss {
    int64_t begin, end; /* ns from origin, the trace's own clock */
} vm_loss;

typedef struct vm_loss_list {
    vm_loss *v;
    size_t n, cap;
} vm_loss_list;

/* Append the trace's loss ranges (discarded events, lost packets); -1 if out of memory. */
int vm_trace_losses(const ts_trace *t, vm_loss_list *out);

#endif
