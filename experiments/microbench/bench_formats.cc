// experiments/microbench/bench_formats.cc — Google Benchmark microbenchmarks of the format
// kernels, registered from the format registry so a new format needs no edit here:
//   BM_quantize/<format>/<round>/<n>   lb_quantize, out of place, one thread
//   BM_encode/<format>/<n>             lb_encode (formats of <= 16 bits), n = 65536
//   BM_memcpy/<n>                      the roofline: memcpy of the same bytes
// Counters: items_per_second (elements) and bytes_per_second (4 read + 4 written per element,
// the same accounting for memcpy, so ratios are comparable).
// Filter, e.g.: lowbit_bench --benchmark_filter='BM_quantize/bf16/.*/65536'
// --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/format.h"
#include "lowbit/rng.h"

namespace
{

const size_t kSizes[] = {65536, 16777216};

struct AlignedFree {
    void operator()(float *p) const
    {
        std::free(p);
    }
};
using Buf = std::unique_ptr<float, AlignedFree>;

Buf alloc_floats(size_t n)
{
    return Buf(static_cast<float *>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64)));
}

// Seeded, roughly normal data spread over the format's range: +-(sum of 4 uniforms) scaled to
// a quarter of the format's max (scaled formats: unit range).
void fill_input(float *x, size_t n, double scale)
{
    lb_rng_key k = lb_rng_make_key(12345, 1, 0);
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++)
            s += lb_rng_uniform(k, 4 * i + j) - 0.5;
        x[i] = static_cast<float>(s * scale);
    }
}

double data_scale(const lb_format &f)
{
    lb_format_info info;
    lb_format_info_get(&f, &info);
    if (info.scaled) return 1.0;
    double m = info.max / 4;
    return m > 1e6 ? 1e6 : m;
}

void BM_quantize(benchmark::State &st, lb_format f, lb_round r, size_t n)
{
    Buf in = alloc_floats(n), out = alloc_floats(n);
    fill_input(in.get(), n, data_scale(f));
    std::memset(out.get(), 0, n * 4);
    lb_qctx ctx;
    std::memset(&ctx, 0, sizeof ctx);
    ctx.round_override = 1 + static_cast<int>(r);
    ctx.threads = 1;
    ctx.seed = 7;
    for (auto _ : st) {
        lb_quantize(&f, out.get(), in.get(), n, &ctx);
        benchmark::DoNotOptimize(out.get());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n) * 8);
}

void BM_encode(benchmark::State &st, lb_format f, size_t n)
{
    Buf in = alloc_floats(n);
    fill_input(in.get(), n, data_scale(f));
    std::vector<uint16_t> codes(n);
    for (auto _ : st) {
        lb_encode(&f, codes.data(), in.get(), n, nullptr);
        benchmark::DoNotOptimize(codes.data());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n) * 6);
}

void BM_memcpy(benchmark::State &st, size_t n)
{
    Buf in = alloc_floats(n), out = alloc_floats(n);
    fill_input(in.get(), n, 1.0);
    std::memset(out.get(), 0, n * 4);
    for (auto _ : st) {
        std::memcpy(out.get(), in.get(), n * 4);
        benchmark::DoNotOptimize(out.get());
        benchmark::ClobberMemory();
    }
    st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n));
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * static_cast<int64_t>(n) * 8);
}

void register_all()
{
    int count = 0;
    const lb_registry_entry *reg = lb_registry(&count);
    for (size_t n : kSizes)
        benchmark::RegisterBenchmark(("BM_memcpy/" + std::to_string(n)).c_str(), BM_memcpy, n);
    for (int i = 0; i < count; i++) {
        lb_format f;
        lb_error err;
        if (lb_format_parse(&f, reg[i].name, &err) != LB_OK) continue;
        for (int r = LB_ROUND_RNE; r <= LB_ROUND_SR; r++)
            for (size_t n : kSizes) {
                std::string name = std::string("BM_quantize/") + reg[i].name + "/" +
                                   lb_round_name(static_cast<lb_round>(r)) + "/" +
                                   std::to_string(n);
                benchmark::RegisterBenchmark(name.c_str(), BM_quantize, f, static_cast<lb_round>(r),
                                             n);
            }
        lb_format_info info;
        lb_format_info_get(&f, &info);
        if (info.encodable)
            benchmark::RegisterBenchmark(
                (std::string("BM_encode/") + reg[i].name + "/65536").c_str(), BM_encode, f,
                static_cast<size_t>(65536));
    }
}

} // namespace

int main(int argc, char **argv)
{
    register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
