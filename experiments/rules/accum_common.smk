# accum_common.smk — the run definitions of accum.smk (functions only): the accumulation study
# from config["accum"]. The kernel is fpacc (lowbit kernels --csv): exact
# products summed in an e<acc_e>m<M> float accumulator, optionally promoted to FP32 every P
# products, in sequential or pairwise order.
ACC = config["accum"]
ACC_GE = ACC["gemm_err"]
ACC_TR = ACC["train"]
check_dataset(ACC_TR.get("dataset", "fashion-mnist"), ACC_TR.get("data_dir"), "accum.train.dataset")
ACC_MODELS = dict(ACC_TR["models"])  # name -> lowbit train flags
ACC_OPS = {o[0]: {"W": o[1], "A": o[2], "E": o[3], "G": o[4]} for o in ACC_TR["operands"]}


# every name and spec checked by lowbit itself before any job runs
for _n, _o in ACC_OPS.items():
    for _role, _f in _o.items():
        check_spec(_f, f"accum.train.operands.{_n}.{_role}")
check_spec(ACC_GE["operands"], "accum.gemm_err.operands")
if ACC_TR["fpacc_operands"] not in ACC_OPS:
    raise ValueError(f"accum.train.fpacc_operands: '{ACC_TR['fpacc_operands']}' is not an operand "
                     f"set ({', '.join(ACC_OPS)})")
for _m in ACC_TR.get("seed_m", []):
    if _m not in ACC["acc_m"]:
        raise ValueError(f"accum.train.seed_m: {_m} is not in accum.acc_m {ACC['acc_m']}")
for _mo, _fl in ACC_MODELS.items():
    check_name("model", MODELS, _fl.split("--model")[1].split()[0] if "--model" in _fl else "",
               f"accum.train.models.{_mo}")
check_name("schedule", SCHEDULES, ACC_TR["schedule"], "accum.train.schedule")


def fpacc_spec(m, promote, order="seq"):
    return (f"fpacc:acc=e{ACC['acc_e']}m{m},align={ACC['align']},promote={promote},"
            f"order={order}")


def acc_name(m, promote, order="seq"):
    """e8m7_p128 (sequential) or e8m7_p128_pairwise."""
    return f"e{ACC['acc_e']}m{m}_p{promote}" + ("" if order == "seq" else f"_{order}")


# (a) GEMM error vs K: one kernel spec per (M, promote, order), swept over K, dists and seeds
ACC_GE_SPECS = {acc_name(m, p, o): fpacc_spec(m, p, o)
                for m in ACC["acc_m"] for p in ACC_GE["promote"] for o in ACC_GE["orders"]}
for _spec in ACC_GE_SPECS.values():
    check_kernel(_spec, "accum")
ACC_GE_FILES = [f"{RESULTS}/accum/gemm_err/{n}.csv" for n in ACC_GE_SPECS]


def accum_gemm_err_loop(wildcards):
    """The shell loop of one kernel: `lowbit gemm-err --csv` per (dist, K, seed), one header."""
    ks = " ".join(str(k) for k in ACC_GE["k"])
    seeds = " ".join(str(s) for s in ACC_GE["seeds"])
    dists = " ".join(ACC_GE["dists"])
    return (f"for d in {dists}; do for k in {ks}; do for s in {seeds}; do "
            f"{LOWBIT} gemm-err --gemm '{ACC_GE_SPECS[wildcards.kname]}' --m {ACC_GE['m']} "
            f"--n {ACC_GE['n']} --k $k --seed $s --dist $d --operands '{ACC_GE['operands']}' "
            f"--csv; done; done; done")


def accum_runs():
    """{model: {name: lowbit train flags}}: every operand set with float GEMMs (FP32
    accumulation), and the fpacc operand set with every accumulator M x promotion; the headline
    names (the fpacc operand set alone and its accumulators of seed_m) repeated over the
    further seeds as <name>_s<seed>."""
    fo = ACC_TR["fpacc_operands"]
    runs = {}
    for model, mflags in ACC_MODELS.items():
        r = runs[model] = {}
        for name, o in ACC_OPS.items():
            r[name] = (f"{mflags} --w-format '{o['W']}' --a-format '{o['A']}' "
                       f"--e-format '{o['E']}' --g-format '{o['G']}'")
        for m in ACC["acc_m"]:
            for p in ACC_TR["promote"]:
                r[f"{fo}_{acc_name(m, p)}"] = f"{r[fo]} --gemm '{fpacc_spec(m, p)}'"
        head = [fo] + [f"{fo}_{acc_name(m, p)}" for m in ACC_TR.get("seed_m", [])
                       for p in ACC_TR["promote"]]
        for sd in ACC_TR["seeds"][1:]:
            for n in head:
                r[f"{n}_s{sd}"] = f"{r[n]} --seed {sd}"
    return runs


ACC_RUNS = accum_runs()
ACC_FILES = [f"{RESULTS}/accum/train/{mo}/{n}.h5" for mo, r in ACC_RUNS.items() for n in r]
ACC_ENERGY = [f"{RESULTS}/accum/energy/{mo}/{n}.csv" for mo, r in ACC_RUNS.items() for n in r]
ACC_UNITS = f"energy_model/units/{config['energy']['primary_units']}.csv"


def accum_common():
    t = ACC_TR
    return (f"--dataset {t.get('dataset', 'fashion-mnist')} "
            f"--data-dir {t.get('data_dir') or config['data']['fashion_mnist']} "
            f"--epochs {t['epochs']} --batch {t['batch']} --lr {t['lr']} "
            f"--momentum {t['momentum']} --weight-decay {t['weight_decay']} "
            f"--schedule {t['schedule']} --seed {ACC_TR['seeds'][0]} --threads {config['threads']}")


def accum_p3_files(wildcards):
    """(c): the P3 matrix runs (mls.smk, experiment a) of the formats accum.p3_formats names,
    on every P3 model that has them."""
    return [f"{RESULTS}/mls/a/{mo}/{n}.h5" for mo, r in MLS_RUNS["a"].items()
            for n in ACC["p3_formats"] if n in r]
