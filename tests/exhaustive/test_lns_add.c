/* tests/exhaustive/test_lns_add.c — LNS addition (lowbit/lnsadd.h), for every QAA-LNS
 * bit-width 16/8, 15/7, 14/6, 13/5 and every code d in [0, 16·2^F):
 *   exact  within half a grid step of the double-precision Δ±;
 *   lut    equal to the bin-centre value truncated to the grid (recomputed here from the bin
 *          index), and within the bin's variation of Δ plus one grid step;
 *   pwl    lb_pwl_eval by hand on the first segments of the generic table, the adder's tables
 *          equal to lb_pwl_eval, and every published table within 0.04 (Δ+) of log2(1 + 2^-x);
 * add/mul rules: commutativity, zero operands, exact cancellation, saturation at +-maxlog,
 * x + x = x·2; and the table file: write/read round trip and malformed files. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lowbit/lnsadd.h"

static const char *tables(void)
{
    static char p[1024];
    const char *s = getenv("LOWBIT_SOURCE_DIR");
    snprintf(p, sizeof p, "%s/experiments/data/qaa_lns_pwl_tables.csv", s ? s : LB_SOURCE_DIR);
    return p;
}

static double dplus(double x)
{
    return log2(1.0 + exp2(-x));
}
static double dminus(double x)
{
    return log2(1.0 - exp2(-x));
}

static unsigned rs = 11;
static unsigned urand(void)
{
    rs = rs * 1664525u + 1013904223u;
    return rs >> 8;
}

int main(void)
{
    static const int bw[][2] = {{16, 8}, {15, 7}, {14, 6}, {13, 5}};
    lb_error err;
    for (int w = 0; w < 4; w++) {
        const int bits = bw[w][0], F = bw[w][1];
        const double g = (double)(1 << F), step = 1.0 / g;
        lb_lns_adder ex, lut, pw;
        CHECK(lb_lns_adder_from_spec(&ex, bits, F, "exact", NULL, &err) == LB_OK, "%s", err.msg);
        CHECK(lb_lns_adder_from_spec(&lut, bits, F, "lut", NULL, &err) == LB_OK, "%s", err.msg);
        char name[32];
        snprintf(name, sizeof name, "pwl:%d/%d", bits, F);
        CHECK(lb_lns_adder_from_spec(&pw, bits, F, name, tables(), &err) == LB_OK, "%s", err.msg);
        CHECK(ex.n == 16 << F && ex.maxlog == (1 << (bits - 3)) - 1, "%d/%d: n, maxlog", bits, F);
        for (int32_t d = 0; d < ex.n; d++) {
            double x = d * step;
            CHECK(fabs(ex.dp[d] * step - dplus(x)) <= step / 2 + 1e-12, "%d/%d exact d+ %d", bits,
                  F, d);
            if (d)
                CHECK(fabs(ex.dm[d] * step - dminus(x)) <= step / 2 + 1e-12, "%d/%d exact d- %d",
                      bits, F, d);
            /* LUT: bin b = floor(x / 0.25), value at the centre truncated toward zero */
            int b = (int)floor(x * 4.0);
            double c = (b + 0.5) * 0.25;
            CHECK(lut.dp[d] == (int32_t)(dplus(c) * g) && lut.dm[d] == (int32_t)(dminus(c) * g),
                  "%d/%d lut %d", bits, F, d);
            double lo = b * 0.25 > step ? b * 0.25 : step, hi = (b + 1) * 0.25;
            CHECK(fabs(lut.dp[d] * step - dplus(x)) <= dplus(b * 0.25) - dplus(hi) + step,
                  "%d/%d lut d+ bound %d", bits, F, d);
            if (d)
                CHECK(fabs(lut.dm[d] * step - dminus(x)) <= dminus(hi) - dminus(lo) + step,
                      "%d/%d lut d- bound %d", bits, F, d);
            CHECK(fabs(pw.dp[d] * step - dplus(x)) <= 0.04, "%d/%d pwl d+ %d: %g vs %g", bits, F, d,
                  pw.dp[d] * step, dplus(x));
        }
        /* add and multiply */
        lb_lns_adder *ads[] = {&ex, &lut, &pw};
        for (int a = 0; a < 3; a++) {
            const lb_lns_adder *A = ads[a];
            for (int t = 0; t < 20000; t++) {
                lb_lns_val x = {(int32_t)(urand() % (2u * (unsigned)A->maxlog + 1)) - A->maxlog,
                                (uint8_t)(urand() & 1), (uint8_t)(urand() % 16 == 0)};
                lb_lns_val y = {(int32_t)(urand() % (2u * (unsigned)A->maxlog + 1)) - A->maxlog,
                                (uint8_t)(urand() & 1), (uint8_t)(urand() % 16 == 0)};
                if (x.zero) x.log = 0;
                if (y.zero) y.log = 0;
                if (t % 7 == 0) y.log = x.log; /* equal logs: doubling or cancellation */
                lb_lns_val s1 = lb_lns_add(A, x, y), s2 = lb_lns_add(A, y, x);
                CHECK(s1.zero == s2.zero && (s1.zero || (s1.log == s2.log && s1.neg == s2.neg)),
                      "add not commutative");
                CHECK(s1.zero || (s1.log >= -A->maxlog && s1.log <= A->maxlog), "add range");
                if (x.zero) CHECK(!memcmp(&s1, &y, sizeof s1), "0 + y != y");
                if (!x.zero && !y.zero && x.log == y.log && x.neg != y.neg)
                    CHECK(s1.zero, "x + (-x) not zero");
                if (!x.zero && !y.zero && x.log == y.log && x.neg == y.neg) {
                    int32_t want = x.log + A->dp[0];
                    want = want > A->maxlog ? A->maxlog : want;
                    CHECK(!s1.zero && s1.log == want && s1.neg == x.neg, "x + x");
                }
                lb_lns_val p = lb_lns_mul(A, x, y);
                int32_t pl = x.log + y.log;
                pl = pl > A->maxlog ? A->maxlog : pl < -A->maxlog ? -A->maxlog : pl;
                CHECK(p.zero == (x.zero | y.zero) &&
                          (p.zero || (p.log == pl && p.neg == (x.neg ^ y.neg))),
                      "mul");
            }
        }
        CHECK(ex.dp[0] == 1 << F, "exact d+(0) = 1");
        lb_lns_val big = {ex.maxlog, 0, 0};
        lb_lns_val sat = lb_lns_add(&ex, big, big);
        CHECK(sat.log == ex.maxlog && !sat.zero, "saturation");
        lb_lns_adder_free(&ex), lb_lns_adder_free(&lut), lb_lns_adder_free(&pw);
    }

    /* lb_pwl_eval by hand: generic delta_plus at F = 8. bp0 = (int)(0.3458669·256) = 88,
     * ic0 = (int)(1.0034515·256) = 256, shift 1; segment 1: ic1 = (int)(1.0173065·256) = 260 */
    lb_pwl_table t;
    CHECK(lb_pwl_read(tables(), "generic", &t, &err) == LB_OK, "%s", err.msg);
    CHECK(t.nseg[0] == 16 && t.nseg[1] == 16, "generic: 16 segments each");
    CHECK(lb_pwl_eval(&t, 8, 1, 0) == 256, "generic d+(0)");
    CHECK(lb_pwl_eval(&t, 8, 1, 88) == 256 - 44, "generic d+(88)");
    CHECK(lb_pwl_eval(&t, 8, 1, 89) == 260 - 44, "generic d+(89)");
    CHECK(lb_pwl_eval(&t, 8, 1, 16 * 256 + 1) == 0, "beyond the last breakpoint");
    /* delta_minus segment 0 (bp (int)(0.0051837·256) = 1, shift 10, ic (int)(-30.748·256) =
     * -7871): d = 1 -> -7871 + 1024 */
    CHECK(lb_pwl_eval(&t, 8, 0, 1) == -7871 + 1024, "generic d-(1) = %d", lb_pwl_eval(&t, 8, 0, 1));

    /* the table file: round trip and malformed input */
    char path[] = "/tmp/lb_pwl_testXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd >= 0) close(fd);
    snprintf(t.name, sizeof t.name, "ours");
    CHECK(lb_pwl_write(path, &t, &err) == LB_OK, "%s", err.msg);
    lb_pwl_table u;
    CHECK(lb_pwl_read(path, "ours", &u, &err) == LB_OK, "%s", err.msg);
    CHECK(!memcmp(u.bp, t.bp, sizeof t.bp) && !memcmp(u.icpt, t.icpt, sizeof t.icpt) &&
              !memcmp(u.shift, t.shift, sizeof t.shift) && u.nseg[0] == 16 && u.nseg[1] == 16,
          "round trip");
    CHECK(lb_pwl_read(path, "nope", &u, &err) == LB_ERR_DATA, "unknown config");
    static const char *bad[] = {
        "config,function,segment\n",
        "config,function,segment,breakpoint,shift,intercept\nx,delta_plus,0,1.0,1\n",
        "config,function,segment,breakpoint,shift,intercept\nx,delta_pluss,0,1.0,1,0.5\n",
        "config,function,segment,breakpoint,shift,intercept\nx,delta_plus,1,1.0,1,0.5\n",
        "config,function,segment,breakpoint,shift,intercept\nx,delta_plus,0,2.0,1,0.5\n"
        "x,delta_plus,1,1.0,1,0.5\n",
        "config,function,segment,breakpoint,shift,intercept\nx,delta_plus,0,1.0,1,0.5\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *fp = fopen(path, "w");
        fputs(bad[i], fp);
        fclose(fp);
        lb_status st = lb_pwl_read(path, "x", &u, &err);
        CHECK(st == LB_ERR_DATA, "malformed file %zu accepted", i);
        CHECK(st == LB_OK || strstr(err.msg, path), "error names the file: %s", err.msg);
    }
    remove(path);
    CHECK(lb_pwl_read("/nonexistent/t.csv", "x", &u, &err) == LB_ERR_IO, "missing file");
    return lb_check_summary("test_lns_add");
}
