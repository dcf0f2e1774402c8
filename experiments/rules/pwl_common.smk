# pwl_common.smk — the run definitions of pwl.smk (functions only), docs/methods.md#p2.
PWL = config["pwl"]
PWL_OURS = [f"{RESULTS}/pwl/ours_{b}_{f}.csv" for b, f in PWL["bitwidths"]]
# P2(b): all-LNS training, one run per (model, bit-width, approximation) and FP32
PT = PWL["train"]
check_dataset(PT.get("dataset", "fashion-mnist"), PT.get("data_dir"), "pwl.train.dataset")
PT_MODELS = dict(PT["models"])
for _k in ("seed_models", "headline_models"):
    for _m in PT.get(_k) or []:
        if _m not in PT_MODELS:
            raise ValueError(f"pwl.train.{_k}: unknown model '{_m}' (accepted: the names of "
                             f"pwl.train.models: {', '.join(PT_MODELS)})")


def _pwl_tag(a):
    return {"exact": "exact", "lut": "lut"}.get(a, a.split(":", 1)[1] if ":" in a else a)


def pwl_train_runs():
    """{model: {name: (flags, extra inputs)}}: fp32, and per bit-width x approximation all-LNS
    training: the bit-true LNS GEMM with every tensor role in lns:bits=T,frac=F, and with
    --all-lns the element-wise arithmetic (bias, batchnorm, gradient sums, SGD with momentum)
    in the same LNS, the weights stored in it."""
    runs = {}
    narrow = min(PT["bitwidths"], key=lambda bf: bf[0])
    heads = ["fp32"] + [f"{narrow[0]}_{narrow[1]}_{t}" for t in ("generic", "bitwidth")]
    for model in PT_MODELS:
        r = runs[model] = {"fp32": ("", [])}
        for b, f in PT["bitwidths"]:
            fmt = f"lns:bits={b},frac={f}"
            for a in PT["approx"]:
                tag, deps = _pwl_tag(a), []
                if a == "exact":
                    g = f"lns-exactadd:bits={b},frac={f}"
                elif a == "lut":
                    g = f"lns-lut:bits={b},frac={f}"
                elif a == "pwl:bitwidth":
                    g = f"lns-pwl:bits={b},frac={f}"
                elif a == "pwl:ours":
                    deps = [f"{RESULTS}/pwl/ours_{b}_{f}.csv"]
                    g = f"lns-pwl:bits={b},frac={f},table=ours{b}_{f},file={deps[0]}"
                else:
                    g = f"lns-pwl:bits={b},frac={f},table={a.split(':', 1)[1]}"
                roles = " ".join(f"--{x}-format '{fmt}'" for x in "waeg")
                r[f"{b}_{f}_{tag}"] = (f"--gemm '{g}' {roles} --all-lns", deps)
                if PT.get("master_fp32") and a == PT["approx"][-1]:
                    # LNS GEMMs only, element-wise arithmetic and master weights float32:
                    # separates the GEMMs from the rest
                    r[f"{b}_{f}_{tag}_fp32w"] = (f"--gemm '{g}' {roles}", deps)
        if model in (PT.get("headline_models") or []):
            # only the headline runs (FP32, generic and bitwidth-specific tables at the
            # narrowest width): a model that is there for the claims, not for the full table
            runs[model] = r = {n: v for n, v in r.items() if n in heads}
        # the headline pairs again for every further paired seed: <name>_s<seed>
        if model not in (PT.get("seed_models") or list(PT_MODELS)):
            continue
        for sd in (PT.get("seeds") or [PT["seed"]])[1:]:
            for n in heads:
                if n in r:
                    r[f"{n}_s{sd}"] = (f"{r[n][0]} --seed {sd}", r[n][1])
    return runs


PT_RUNS = pwl_train_runs()
PT_FILES = [f"{RESULTS}/pwl/train/{m}/{n}.h5" for m, d in PT_RUNS.items() for n in d]
