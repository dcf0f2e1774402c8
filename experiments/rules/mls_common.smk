# mls_common.smk — the run definitions of mls.smk (functions only), docs/methods.md#p3: one
# `lowbit train` run per (experiment, model, name) from config["mls"].
MLS = config["mls"]
check_dataset(MLS.get("dataset", "fashion-mnist"), MLS.get("data_dir"), "mls.dataset")
MLS_MODELS = dict(MLS["models"])  # name -> flags
MLS_BASE = {b[0]: {"W": b[1], "A": b[2], "E": b[3]} for b in MLS["baselines"]}
E_ROUND = MLS.get("e_round", "sr")  # rounding of E in every quantized (a) and (b) run
E_ALT = "rne" if E_ROUND == "sr" else "sr"


def _mls_spec(e, m, group=None, gbits=None, flat=False, rnd=None):
    s = f"mls:e={e},m={m},gbits={gbits if gbits is not None else MLS['gbits']}," \
        f"group={group if group is not None else MLS['group']}"
    return s + (",flat" if flat else "") + (f",round={rnd}" if rnd else "")


def _mls_flags(model, w, a, e, extra=""):
    return (f"{MLS_MODELS[model]} --w-format '{w}' --a-format '{a}' --e-format '{e}' "
            f"{extra}").strip()


def mls_runs():
    """{exp: {model: {name: flags}}}: (a) element formats and baselines on every model,
    (b) ablations on one model, and the bit-true GEMM beside fake quantization."""
    runs = {"a": {}, "b": {}, "bt": {}, "c": {}}
    for model in MLS_MODELS:
        r = runs["a"][model] = {}
        for e, m in MLS["elements"]:
            s = _mls_spec(e, m)
            r[f"mls_e{e}m{m}"] = _mls_flags(model, s, s, with_round(s, E_ROUND))
        for name, roles in MLS_BASE.items():
            r[name] = _mls_flags(model, roles["W"], roles["A"], with_round(roles["E"], E_ROUND))
        # the headline pairs (FP32 and the claims' element formats) for every further paired
        # seed: <name>_s<seed>
        for sd in (MLS.get("seeds") or [MLS["seed"]])[1:]:
            for n in [MLS["baselines"][0][0]] + [f"mls_e{e}m{m}" for e, m in MLS.get("seed_elements", [])]:
                if n in r:
                    r[f"{n}_s{sd}"] = f"{r[n]} --seed {sd}"
    ab = MLS["ablation"]
    e, m = ab["element"]
    r = runs["b"][ab["model"]] = {}
    for g in ab["groups"]:
        s = _mls_spec(e, m, group=g)
        r[f"group{g}"] = _mls_flags(ab["model"], s, s, with_round(s, E_ROUND))
    if ab["flat"]:
        s = _mls_spec(e, m, flat=True)
        r["flat"] = _mls_flags(ab["model"], s, s, with_round(s, E_ROUND))
    for gb in ab["gbits"]:
        s = _mls_spec(e, m, gbits=gb)
        r[f"gbits{gb}"] = _mls_flags(ab["model"], s, s, with_round(s, E_ROUND))
    if ab["e_round_alt"]:
        s = _mls_spec(e, m)
        r[f"e_{E_ALT}"] = _mls_flags(ab["model"], s, s, with_round(s, E_ALT))
    # the difficulty axis: the same model on the 100-class task, FP32 and the seed elements
    # over the paired seeds (c/<model>/<name>[_s<seed>]); its 10-class end is experiment (a)
    dif = MLS.get("difficulty") or {}
    if dif.get("model"):
        mo = dif["model"]
        if mo not in MLS_MODELS:
            raise ValueError(f"mls.difficulty.model: unknown model '{mo}' (accepted: the names "
                             f"of mls.models: {', '.join(MLS_MODELS)})")
        check_dataset(dif["dataset"], dif.get("data_dir") or MLS.get("data_dir"),
                      "mls.difficulty.dataset")
        r = runs["c"] = {mo: {}}
        r = r[mo]
        ds = f"--dataset '{dif['dataset']}'" + (f" --data-dir '{dif['data_dir']}'" if dif.get("data_dir") else "")
        base = MLS["baselines"][0]
        r[base[0]] = _mls_flags(mo, base[1], base[2], with_round(base[3], E_ROUND), ds)
        for e, m in MLS.get("seed_elements", []):
            s = _mls_spec(e, m)
            r[f"mls_e{e}m{m}"] = _mls_flags(mo, s, s, with_round(s, E_ROUND), ds)
        heads = list(r)
        for sd in (MLS.get("seeds") or [MLS["seed"]])[1:]:
            for n in heads:
                r[f"{n}_s{sd}"] = f"{r[n]} --seed {sd}"
    # the bit-true kernel rounds every operand to nearest: its fake-quantization twin does too
    bt = MLS["bit_true"]
    if bt["epochs"] > 0:
        e, m = bt["element"]
        s = _mls_spec(e, m)
        r = runs["bt"][bt["model"]] = {}
        r["fake_quant"] = _mls_flags(bt["model"], s, s, s, f"--epochs {bt['epochs']}")
        r["bit_true"] = _mls_flags(
            bt["model"], "fp32", "fp32", "fp32",
            f"--epochs {bt['epochs']} --gemm 'mls:e={e},m={m},gbits={MLS['gbits']},"
            f"group={MLS['group']}'")
    return runs


MLS_RUNS = mls_runs()
MLS_FILES = [f"{RESULTS}/mls/{x}/{mo}/{n}.h5" for x, d in MLS_RUNS.items() for mo, r in d.items()
             for n in r]


def mls_common():
    return (f"--dataset {MLS.get('dataset', 'fashion-mnist')} "
            f"--data-dir {MLS.get('data_dir') or config['data']['fashion_mnist']} "
            f"--batch {MLS['batch']} --momentum {MLS['momentum']} --lr {MLS['lr']} "
            f"--weight-decay {MLS['weight_decay']} --schedule {MLS['schedule']} "
            f"--seed {MLS['seed']} --threads {config['threads']}")
