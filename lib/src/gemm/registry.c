/* gemm/registry.c — the GEMM kernel registry (kernels.def), spec parsing, dispatch and counters.
 * Spec: NAME | NAME ":" key=value ("," key=value)*; unknown names and keys are LB_ERR_SPEC
 * errors that name them and list the accepted ones. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gemm/internal.h"
#include "lowbit/nn.h"

#define LB_GEMM(vt) extern const lb_gemm_vtable vt;
#include "gemm/kernels.def"
#undef LB_GEMM

static const lb_gemm_vtable *const table[] = {
#define LB_GEMM(vt) &vt,
#include "gemm/kernels.def"
#undef LB_GEMM
};
enum { NKERNELS = sizeof table / sizeof table[0] };

struct lb_gemm_kernel {
    const lb_gemm_vtable *vt;
    void *state;
    char spec[160];
    _Atomic uint64_t calls, macs, overflows, underflows;
};

const char *const *lb_gemm_names(void)
{
    static const char *names[NKERNELS + 1];
    for (int i = 0; i < NKERNELS; i++)
        names[i] = table[i]->name;
    names[NKERNELS] = NULL;
    return names;
}

static const lb_gemm_vtable *find(const char *name, size_t len)
{
    for (int i = 0; i < NKERNELS; i++)
        if (strlen(table[i]->name) == len && strncmp(table[i]->name, name, len) == 0)
            return table[i];
    return NULL;
}

const char *lb_gemm_describe(const char *name)
{
    const lb_gemm_vtable *vt = name ? find(name, strlen(name)) : NULL;
    return vt ? vt->desc : NULL;
}

const char *lb_gemm_keys_help(const char *name)
{
    const lb_gemm_vtable *vt = name ? find(name, strlen(name)) : NULL;
    return vt ? vt->keys_help : NULL;
}

lb_status lb_gemm_create(lb_gemm_kernel **out, const char *spec, lb_error *err)
{
    *out = NULL;
    if (!spec || !*spec) return lb_fail(err, LB_ERR_SPEC, "empty GEMM kernel spec");
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    const lb_gemm_vtable *vt = find(spec, nlen);
    if (!vt) {
        char known[256] = "";
        for (int i = 0; i < NKERNELS; i++) {
            if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
            strncat(known, table[i]->name, sizeof known - strlen(known) - 1);
        }
        return lb_fail(err, LB_ERR_SPEC, "unknown GEMM kernel '%.*s' (known: %s)", (int)nlen, spec,
                       known);
    }
    lb_kv kv[16];
    int nkv = 0;
    if (colon) {
        if (!colon[1]) return lb_fail(err, LB_ERR_SPEC, "GEMM spec '%s' has no parameters", spec);
        lb_status st = lb_kv_split(colon + 1, kv, 16, &nkv, err);
        if (st) return st;
    }
    lb_gemm_kernel *k = calloc(1, sizeof *k);
    if (!k) return lb_fail(err, LB_ERR_NOMEM, "out of memory");
    k->vt = vt;
    char canon[128] = "";
    lb_status st = vt->create(&k->state, kv, nkv, canon, sizeof canon, err);
    if (st) {
        free(k);
        return st;
    }
    for (int i = 0; i < nkv; i++)
        if (!kv[i].used) {
            vt->destroy(k->state);
            free(k);
            return lb_fail(err, LB_ERR_SPEC, "unknown %s '%s' for GEMM kernel '%s' (accepted: %s)",
                           kv[i].value[0] ? "key" : "flag", kv[i].key, vt->name,
                           vt->keys_help[0] ? vt->keys_help : "none");
        }
    snprintf(k->spec, sizeof k->spec, "%s%s%s", vt->name, canon[0] ? ":" : "", canon);
    *out = k;
    return LB_OK;
}

void lb_gemm_destroy(lb_gemm_kernel *k)
{
    if (!k) return;
    k->vt->destroy(k->state);
    free(k);
}

const char *lb_gemm_spec(const lb_gemm_kernel *k)
{
    return k ? k->spec : "fp32";
}

int lb_gemm_is_float(const lb_gemm_kernel *k)
{
    return !k || k->vt == &lb_gemm_fp32;
}

const struct lb_lns_adder *lb_gemm_lns_adder(const lb_gemm_kernel *k, int *bits)
{
    return k && k->vt->lns_adder ? k->vt->lns_adder(k->state, bits) : NULL;
}

size_t lb_gemm_histogram(const lb_gemm_kernel *k, uint64_t *counts, size_t cap)
{
    return k && k->vt->histogram ? k->vt->histogram(k->state, counts, cap) : 0;
}

lb_status lb_gemm_mac(const lb_gemm_kernel *k, lb_mac_model *m, lb_error *err)
{
    memset(m, 0, sizeof *m);
    if (!k || !k->vt->mac)
        return lb_fail(err, LB_ERR_ARG, "GEMM kernel '%s' has no hardware MAC model",
                       lb_gemm_spec(k));
    k->vt->mac(k->state, m);
    return LB_OK;
}

lb_status lb_gemm_run(const lb_gemm_kernel *k, const lb_gemm_call *c)
{
    if (c->M <= 0 || c->N <= 0) return LB_OK;
    if (lb_gemm_is_float(k)) {
        lb_sgemm(c->ta, c->tb, c->M, c->N, c->K, c->alpha, c->A, c->B, c->beta, c->C);
        if (k) {
            lb_gemm_kernel *m = (lb_gemm_kernel *)k;
            atomic_fetch_add(&m->calls, 1);
            atomic_fetch_add(&m->macs, (uint64_t)c->M * c->N * (c->K > 0 ? c->K : 0));
        }
        return LB_OK;
    }
    lb_gemm_counts n = {0, 0, 0};
    lb_status st = k->vt->run(k->state, c, &n);
    lb_gemm_kernel *m = (lb_gemm_kernel *)k; /* counters are the only mutable part */
    atomic_fetch_add(&m->calls, 1);
    atomic_fetch_add(&m->macs, n.macs);
    atomic_fetch_add(&m->overflows, n.overflows);
    atomic_fetch_add(&m->underflows, n.underflows);
    return st;
}

void lb_gemm_get_stats(const lb_gemm_kernel *k, lb_gemm_stats *s)
{
    memset(s, 0, sizeof *s);
    if (!k) return;
    lb_gemm_kernel *m = (lb_gemm_kernel *)k;
    s->calls = atomic_load(&m->calls);
    s->macs = atomic_load(&m->macs);
    s->overflows = atomic_load(&m->overflows);
    s->underflows = atomic_load(&m->underflows);
}

void lb_gemm_reset_stats(lb_gemm_kernel *k)
{
    if (!k) return;
    atomic_store(&k->calls, 0);
    atomic_store(&k->macs, 0);
    atomic_store(&k->overflows, 0);
    atomic_store(&k->underflows, 0);
}

void lb_gemm_pack(const lb_gemm_call *c, float *a, float *bt)
{
    for (int i = 0; i < c->M; i++)
        for (int k = 0; k < c->K; k++)
            a[(size_t)i * c->K + k] = lb_gemm_a(c, i, k);
    for (int j = 0; j < c->N; j++)
        for (int k = 0; k < c->K; k++)
            bt[(size_t)j * c->K + k] = lb_gemm_b(c, k, j);
}

static _Thread_local struct {
    void *p;
    size_t cap;
} lb_scratch[LB_GEMM_SCRATCH_SLOTS];

void *lb_gemm_scratch(int slot, size_t bytes)
{
    if (lb_scratch[slot].cap < bytes) {
        free(lb_scratch[slot].p);
        lb_scratch[slot].p = malloc(bytes);
        lb_scratch[slot].cap = lb_scratch[slot].p ? bytes : 0;
    }
    return lb_scratch[slot].p;
}
