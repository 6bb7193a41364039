/* Runner for the C unit tests (see unit.h). */
#include "unit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

typedef struct unit_test {
    const char *name;
    const char *file;
    unit_fn fn;
} unit_test;

static unit_test tests[4096];
static int ntests;
static int cur_failed;

void unit_register(const char *name, const char *file, unit_fn fn)
{
    if (ntests < (int)(sizeof tests / sizeof tests[0])) {
        tests[ntests].name = name;
        tests[ntests].file = file;
        tests[ntests].fn = fn;
        ntests++;
    }
}

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    cur_failed = 1;
    fprintf(stdout, "    %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
}

int unit_failed_now(void)
{
    return cur_failed;
}

const char *unit_shared_dir(void)
{
    const char *d = getenv("TS_SHARED");
    if (!d) d = "../shared";
    struct stat st;
    return stat(d, &st) == 0 && S_ISDIR(st.st_mode) ? d : NULL;
}

static int cmp_test(const void *a, const void *b)
{
    const unit_test *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    qsort(tests, (size_t)ntests, sizeof tests[0], cmp_test);
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]) && !strstr(tests[i].file, argv[1]))
            continue;
        cur_failed = 0;
        tests[i].fn();
        if (cur_failed) {
            failed++;
            printf("not ok %s (%s)\n", tests[i].name, tests[i].file);
        } else {
            passed++;
            printf("ok %s\n", tests[i].name);
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
