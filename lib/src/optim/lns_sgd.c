/* optim/lns_sgd.c — SGD with momentum and weight decay in LNS arithmetic (lowbit/optim.h):
 * element-wise, so the result does not depend on threads or order. */
#include "lowbit/lnsadd.h"
#include "lowbit/optim.h"

#define CHUNK 256

void lb_lns_sgd_step(const lb_lns_ops *o, float *w, const float *g, float *buf, size_t n, float lr,
                     float momentum, float wd, int *first)
{
    const lb_lns_adder *ad = o->ad;
    const lb_lns_val mlr = lb_lns_negate(lb_lns_ops_enc1(o, lr)), mv = lb_lns_ops_enc1(o, momentum),
                     wdv = lb_lns_ops_enc1(o, wd);
    const int use_buf = momentum != 0.0f;
    lb_lns_val wv[CHUNK], gv[CHUNK], bv[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        lb_lns_ops_enc(o, w + i0, m, wv);
        lb_lns_ops_enc(o, g + i0, m, gv);
        if (use_buf && !*first) lb_lns_ops_enc(o, buf + i0, m, bv);
        for (size_t i = 0; i < m; i++) {
            lb_lns_val d = lb_lns_add(ad, gv[i], lb_lns_mul(ad, wdv, wv[i]));
            if (use_buf) d = bv[i] = *first ? d : lb_lns_add(ad, lb_lns_mul(ad, mv, bv[i]), d);
            wv[i] = lb_lns_add(ad, wv[i], lb_lns_mul(ad, mlr, d));
        }
        lb_lns_ops_dec(o, wv, m, w + i0);
        if (use_buf) lb_lns_ops_dec(o, bv, m, buf + i0);
    }
    if (use_buf) *first = 0;
}
