# lowprec_common.smk — the run definitions of lowprec.smk (functions only): docs/methods.md#p1 (LNS-Madam) and P4 (Kahan-compensated SGD, last-layer width):
# one `lowbit train` run per (experiment, name), defined from config["lowprec"] below, and one
# report step that turns them into tables, figures and verdicts.
LP = config["lowprec"]


def _lns_weights(bits):
    """Stored LNS weights of B bits: 1 sign + (B-1) log bits with 4 integer bits (the LNS-Madam
    8-bit word: 4-bit quotient, 3-bit remainder) and frac = B-5, at most 10 [choice]."""
    return f"lns:bits={bits},frac={min(bits - 5, 10)},scale=tensor"


def _roles(spec):
    return {"W": spec, "A": spec, "E": spec, "G": spec}


def _run(model, epochs, roles=None, opt=None, extra=""):
    r = roles or _roles("fp32")
    o = opt or {"optimizer": "sgd", "lr": LP["lr"]}
    f = (f"--model {model} --epochs {epochs} --w-format '{r['W']}' --a-format '{r['A']}' "
         f"--e-format '{r['E']}' --g-format '{r['G']}' --optimizer {o['optimizer']} --lr {o['lr']}")
    if o.get("madam_round"):
        f += f" --madam-round {o['madam_round']}"
    if "--seed" not in extra:
        extra += f" --seed {LP['seed']}"
    return f"{f} {extra}"


def seed_names(name, seeds):
    """[(run name, seed)] of a headline run repeated over paired seeds: the first seed keeps
    the plain name, the others get _s<seed> (every variant of a pair uses the same seeds)."""
    return [(name if i == 0 else f"{name}_s{s}", s) for i, s in enumerate(seeds)]


def lowprec_runs():
    """{experiment: {name: lowbit train flags}}; names encode the varied setting; the headline
    pairs (P1(a), P4(a)) are repeated over the configured seeds."""
    p1, p4 = LP["p1"], LP["p4"]
    s1 = p1.get("seeds") or [LP["seed"]]
    s4 = p4.get("seeds") or [LP["seed"]]
    lns = _roles(p1["lns_roles"])
    runs = {"p1a": {}, "p1b": {}, "p4a": {}, "p4b": {}}
    opts = p1["optimizers"]
    m, ep = f"{p1['model']} {p1.get('model_flags', '')}", p1["epochs"]
    for n, s in seed_names("fp32", s1):
        runs["p1a"][n] = _run(m, ep, extra=f"--seed {s}")
    for n, s in seed_names("lns_madam", s1):
        runs["p1a"][n] = _run(m, ep, lns, opts["lns_madam"],
                              f"--weight-format {p1['lns_roles']} --seed {s}")
    if p1["bit_true_epochs"] > 0:
        runs["p1a"]["lns_madam_bittrue"] = _run(
            m, p1["bit_true_epochs"], lns, opts["lns_madam"],
            f"--weight-format {p1['lns_roles']} --gemm {p1['bit_true_gemm']}")
    for b in p1["bits"]:
        for name, o in opts.items():
            runs["p1b"][f"{name}_B{b}"] = _run(m, ep, lns, o, f"--weight-format '{_lns_weights(b)}'")
    m4, ep4 = f"{p4['model']} {p4.get('model_flags', '')}", p4["epochs"]
    sgd = {"optimizer": "sgd", "lr": p4["lr"]}
    kahan = {"optimizer": "kahan_sgd", "lr": p4["lr"]}
    for n, s in seed_names("fp32", s4):
        runs["p4a"][n] = _run(m4, ep4, opt=sgd, extra=f"--seed {s}")
    fmts = {f"fx{b}": (f"fx:wl={b},fl={b - 2}", f"int:bits={b}") for b in p4["bits_fx"]}
    fmts.update({f"bfm{b - 9}": (f"fp:e=8,m={b - 9}", f"fp:e=8,m={b - 9}") for b in p4["bits_bf"]})
    for tag, (wf, kf) in fmts.items():
        for sfx, s in seed_names("", s4):
            runs["p4a"][f"sgd_{tag}{sfx}"] = _run(m4, ep4, opt=sgd,
                                                  extra=f"--weight-format '{wf}' --seed {s}")
            runs["p4a"][f"kahan_{tag}{sfx}"] = _run(
                m4, ep4, opt=kahan, extra=f"--weight-format '{wf}' --kahan-format '{kf}' --seed {s}")
            runs["p4a"][f"master_{tag}{sfx}"] = _run(
                m4, ep4, {"W": wf, "A": "fp32", "E": "fp32", "G": "fp32"}, sgd, f"--seed {s}")
    ll = p4["last_layer"]
    real = {int(k): v for k, v in (ll.get("datasets") or {}).items()}
    for c in ll["classes"]:
        ds = real.get(c, f"synthetic:classes={c},n={ll['synthetic_n']}")
        data = f"--dataset {ds} --hidden {ll['hidden']}"
        runs["p4b"][f"C{c}_fp32"] = _run("mlp", ll["epochs"], opt=sgd, extra=data)
        for fb in ll["frac_bits"]:
            spec = f"fx:wl={fb + ll['int_bits']},fl={fb}"
            runs["p4b"][f"C{c}_f{fb}"] = _run("mlp", ll["epochs"], opt=sgd,
                                              extra=f"{data} --last-layer-format '{spec}'")
    return runs


LP_RUNS = lowprec_runs()
LP_FILES = [f"{RESULTS}/lowprec/{e}/{n}.h5" for e, d in LP_RUNS.items() for n in d]


def lp_common():
    f = (f"--dataset {LP.get('dataset', 'fashion-mnist')} "
         f"--data-dir {LP.get('data_dir') or config['data']['fashion_mnist']} --batch {LP['batch']} "
         f"--momentum {LP['momentum']} --schedule {LP['schedule']} "
         f"--threads {config['threads']}")
    if LP["train_subset"]:
        f += f" --train-subset {LP['train_subset']}"
    if LP["test_subset"]:
        f += f" --test-subset {LP['test_subset']}"
    return f


