// experiments/microbench/bench_gemm.cc — GEMM kernels beside BLIS sgemm in one binary:
//   BM_sgemm/<M>x<N>x<K>                    lb_sgemm (BLIS), float operands
//   BM_lns_gemm/<exact|binned|binned_ref|hybrid>/<M>x<N>x<K>   lowbit/gemm.h kernels on lns8
//                                           operands (frac 3), including the per-call operand
//                                           decoding; one thread
//   BM_lns_gemm/<pwl|pwl_ref|lut|exactadd>/<T>_<F>/<M>x<N>x<K>   bit-true QAA-LNS kernels with
//                                           LNS addition (lib/src/gemm/lns_qaa.c), including
//                                           the per-call operand encoding
//   BM_mls_gemm/<e2m1|e2m4|e2m1_ref>/<M>x<N>x<K>  bit-true MLS kernels (lib/src/gemm/mls.c) on
//                                           float operands, including the per-call MLS encoding
//   BM_gemm/fpacc/<variant>/<M>x<N>x<K>     floating-point accumulation kernels
//                                           (lib/src/gemm/fpacc.c) on lns8 operands, e5m10
//                                           accumulator: e5m10_p128 (truncation, FP32 promotion
//                                           every 128), e5m10_p128_ref, e5m10_rne_p128,
//                                           e5m10_sr_p128, e5m10_pairwise (no promotion)
// Counter items_per_second = multiply-accumulates per second (MAC/s).
// Filter, e.g.: lowbit_bench --benchmark_filter='BM_(sgemm|lns_gemm)/.*'
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cmath>
#include <string>
#include <vector>

#include "lowbit/format.h"
#include "lowbit/gemm.h"
#include "lowbit/nn.h"
#include "lowbit/rng.h"

namespace
{

struct Shape {
    int M, N, K;
};
const Shape kShapes[] = {{64, 64, 512}, {16, 100, 150}};

std::vector<float> lns_operand(size_t n, uint64_t seed)
{
    std::vector<float> x(n);
    lb_rng_key k = lb_rng_make_key(seed, 1, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (lb_rng_uniform(k, i) - 0.5f) * 4.0f;
    lb_format f;
    lb_error err;
    lb_format_parse(&f, "lns8", &err);
    lb_quantize(&f, x.data(), x.data(), n, nullptr);
    return x;
}

void BM_sgemm(benchmark::State &st, Shape s)
{
    lb_nn_set_threads(1);
    auto A = lns_operand(size_t(s.M) * s.K, 1), B = lns_operand(size_t(s.K) * s.N, 2);
    std::vector<float> C(size_t(s.M) * s.N);
    for (auto _ : st) {
        lb_sgemm(0, 0, s.M, s.N, s.K, 1.0f, A.data(), B.data(), 0.0f, C.data());
        benchmark::DoNotOptimize(C.data());
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * s.M * s.N * s.K);
}

void BM_kernel(benchmark::State &st, std::string spec, Shape s)
{
    lb_gemm_kernel *k = nullptr;
    lb_error err;
    if (lb_gemm_create(&k, spec.c_str(), &err) != LB_OK) {
        st.SkipWithError(err.msg);
        return;
    }
    omp_set_num_threads(1); /* per core: kernels that split rows over OpenMP threads run on one */
    auto A = lns_operand(size_t(s.M) * s.K, 1), B = lns_operand(size_t(s.K) * s.N, 2);
    std::vector<float> C(size_t(s.M) * s.N);
    lb_gemm_call c = {LB_PASS_FORWARD, 0,        0,    s.M,     s.N, s.K, 1.0f,
                      A.data(),        B.data(), 0.0f, C.data()};
    for (auto _ : st) {
        lb_gemm_run(k, &c);
        benchmark::DoNotOptimize(C.data());
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * s.M * s.N * s.K);
    lb_gemm_destroy(k);
}

int register_gemm()
{
    const std::pair<const char *, const char *> kernels[] = {
        {"exact", "lns-exact:frac=3"},
        {"binned", "lns-binned:frac=3"},
        {"binned_ref", "lns-binned-ref:frac=3"},
        {"hybrid", "lns-binned:frac=3,hybrid=1"}};
    const std::pair<const char *, const char *> mls[] = {
        {"e2m1", "mls:e=2,m=1"}, {"e2m4", "mls:e=2,m=4"}, {"e2m1_ref", "mls-ref:e=2,m=1"}};
    const std::pair<const char *, const char *> lnsadd[] = {
        {"pwl/13_5", "lns-pwl:bits=13,frac=5"},
        {"pwl_ref/13_5", "lns-pwl-ref:bits=13,frac=5"},
        {"lut/13_5", "lns-lut:bits=13,frac=5"},
        {"exactadd/13_5", "lns-exactadd:bits=13,frac=5"},
        {"pwl/16_8", "lns-pwl:bits=16,frac=8"}};
    const std::pair<const char *, const char *> fpacc[] = {
        {"e5m10_p128", "fpacc:acc=e5m10,promote=128"},
        {"e5m10_p128_ref", "fpacc-ref:acc=e5m10,promote=128"},
        {"e5m10_rne_p128", "fpacc:acc=e5m10,align=rne,promote=128"},
        {"e5m10_sr_p128", "fpacc:acc=e5m10,align=sr,promote=128"},
        {"e5m10_pairwise", "fpacc:acc=e5m10,order=pairwise"}};
    for (const Shape &s : kShapes) {
        std::string dims =
            std::to_string(s.M) + "x" + std::to_string(s.N) + "x" + std::to_string(s.K);
        benchmark::RegisterBenchmark(("BM_sgemm/" + dims).c_str(), BM_sgemm, s);
        for (auto &kv : kernels)
            benchmark::RegisterBenchmark(
                (std::string("BM_lns_gemm/") + kv.first + "/" + dims).c_str(), BM_kernel,
                std::string(kv.second), s);
        for (auto &kv : lnsadd)
            benchmark::RegisterBenchmark(
                (std::string("BM_lns_gemm/") + kv.first + "/" + dims).c_str(), BM_kernel,
                std::string(kv.second), s);
        for (auto &kv : mls)
            benchmark::RegisterBenchmark(
                (std::string("BM_mls_gemm/") + kv.first + "/" + dims).c_str(), BM_kernel,
                std::string(kv.second), s);
        for (auto &kv : fpacc)
            benchmark::RegisterBenchmark(
                (std::string("BM_gemm/fpacc/") + kv.first + "/" + dims).c_str(), BM_kernel,
                std::string(kv.second), s);
    }
    return 0;
}
const int registered = register_gemm();

} // namespace
