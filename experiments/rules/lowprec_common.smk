# lowprec_common.smk — the run definitions of lowprec.smk (functions only): docs/methods.md#p1 (LNS-Madam) and P4 (Kahan-compensated SGD, last-layer width):
# one `lowbit train` run per (experiment, name), defined from config["lowprec"] below, and one
# report step that turns them into tables, figures and verdicts.
LP = config["lowprec"]
check_dataset(LP.get("dataset", "fashion-mnist"), LP.get("data_dir"), "lowprec.dataset")


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


def p4b_frac_bits(c):
    """The last layer's fractional bits f run for C classes: every integer from ceil(log2 C) -
    frac_span to + frac_span (at least 0) if frac_span is set, else the frac_bits list."""
    ll = LP["p4"]["last_layer"]
    if ll.get("frac_span") is None:
        return list(ll["frac_bits"])
    k = (c - 1).bit_length()  # ceil(log2 C)
    return [f for f in range(k - ll["frac_span"], k + ll["frac_span"] + 1) if f >= 0]


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
    # P1(a) as the paper runs it: W, A, E, G in the 8-bit LNS of lns_roles, the weights (which
    # the update writes) stored in update_bits bits; every optimizer entry of a_optimizers over
    # the seeds (the first is the headline: the published update), and the same with the
    # weights themselves in lns_roles (8 bits) as a harder variant, one seed
    ub = _lns_weights(p1.get("update_bits", 16))
    for o in p1.get("a_optimizers") or ["lns_madam"]:
        for n, s in seed_names(o, s1):
            runs["p1a"][n] = _run(m, ep, lns, opts[o], f"--weight-format '{ub}' --seed {s}")
        runs["p1a"][f"{o}_w8"] = _run(m, ep, lns, opts[o], f"--weight-format {p1['lns_roles']}")
    if p1["bit_true_epochs"] > 0:
        o = (p1.get("a_optimizers") or ["lns_madam"])[0]
        runs["p1a"][f"{o}_bittrue"] = _run(
            m, p1["bit_true_epochs"], lns, opts[o],
            f"--weight-format '{ub}' --gemm {p1['bit_true_gemm']}")
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
        ds = check_dataset(real.get(c, f"synthetic:classes={c},n={ll['synthetic_n']}"),
                           LP.get("data_dir"), f"lowprec.p4.last_layer.datasets.{c}")
        ls = ll.get("loss_scale", 0) or LP["batch"]  # 0: the batch size (per-example errors)
        data = f"--dataset {ds} --hidden {ll['hidden']} --loss-scale {ls}"
        runs["p4b"][f"C{c}_fp32"] = _run("mlp", ll["epochs"], opt=sgd, extra=data)
        for roles in ll.get("roles") or ["WAEG"]:
            for fb in p4b_frac_bits(c):
                spec = f"fx:wl={fb + ll['int_bits']},fl={fb}"
                runs["p4b"][f"C{c}_{roles}_f{fb}"] = _run(
                    "mlp", ll["epochs"], opt=sgd,
                    extra=f"{data} --last-layer-format '{spec}' --last-layer-roles {roles}")
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


