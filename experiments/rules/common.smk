# common.smk — what the workflow knows about formats and GEMM kernels, read from the lowbit
# binary (never from C source), spec checks and paths shared by the .smk files (functions only,
# no workflow steps here).
#
# The lists come from `BUILD/bin/lowbit formats --csv` and `lowbit kernels --csv`. So that they
# are never stale, the workflow brings the binary up to date when it is parsed: if it is missing
# or older than a file under lib/ or CMakeLists.txt, an incremental `ninja -C BUILD lowbit_cli`
# (configuring BUILD first if needed), logged to logs/build-parse.log. A failed build stops the
# workflow with one line naming that log. An up-to-date binary is used as it is (cluster jobs,
# which parse the workflow again, run no build). `rule build` in build.smk still builds the rest
# (the benchmarks).
import csv
import io
import os
import subprocess
import sys

BUILD = config["build_dir"]
LOWBIT = f"{BUILD}/bin/lowbit"


def _lowbit_is_fresh():
    if not os.path.exists(LOWBIT):
        return False
    t = os.path.getmtime(LOWBIT)
    srcs = ["CMakeLists.txt"] + [os.path.join(d, f) for d, _, fs in os.walk("lib") for f in fs]
    return all(os.path.getmtime(f) <= t for f in srcs)


def _bring_lowbit_up_to_date():
    if _lowbit_is_fresh():
        return
    os.makedirs("logs", exist_ok=True)
    log = "logs/build-parse.log"
    cmds = []
    if not os.path.exists(f"{BUILD}/build.ninja"):
        cmds.append(["cmake", "-S", ".", "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
    cmds.append(["ninja", "-C", BUILD, "lowbit_cli"])
    with open(log, "w") as fh:
        for c in cmds:
            try:
                rc = subprocess.run(c, stdout=fh, stderr=subprocess.STDOUT).returncode
            except FileNotFoundError:
                rc = -1
            if rc != 0:
                sys.exit(f"lowbit workflow: building {LOWBIT} failed ({' '.join(c)}; see {log}); "
                         "run `make build` first")


def _lowbit_csv(*args):
    p = subprocess.run([LOWBIT] + list(args), capture_output=True, text=True)
    if p.returncode != 0:
        raise ValueError(p.stderr.strip() or f"lowbit {' '.join(args)} failed")
    return list(csv.DictReader(io.StringIO(p.stdout)))


_bring_lowbit_up_to_date()
FORMAT_TABLE = _lowbit_csv("formats", "--csv")  # name, family, spec, bits, block, ...
FORMATS = [r["name"] for r in FORMAT_TABLE]
FAMILIES = sorted({r["family"] for r in FORMAT_TABLE})
# registered name -> "family:params", so a key can be added to a preset (with_round)
PRESETS = {r["name"]: r["spec"] for r in FORMAT_TABLE}
KERNEL_TABLE = _lowbit_csv("kernels", "--csv")  # name, ref, description, keys
KERNELS = [r["name"] for r in KERNEL_TABLE]


def with_round(spec, rnd):
    """spec with its rounding set to rnd (fp32 and rne: unchanged)."""
    if spec == "fp32" or rnd == "rne":
        return spec
    return PRESETS.get(spec, spec) + f",round={rnd}"  # every family spec has parameters


_checked = {}


def check_spec(spec, where):
    """A format spec, checked by lowbit itself (`lowbit formats --spec`): its one-line error,
    prefixed with where the spec came from."""
    if spec not in _checked:
        try:
            _checked[spec] = _lowbit_csv("formats", "--csv", "--spec", spec)[0]
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
    return spec


def check_kernel(spec, where):
    """A --gemm spec, checked by lowbit itself (`lowbit kernels --spec`: name and keys)."""
    try:
        _lowbit_csv("kernels", "--csv", "--spec", spec)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None
    return spec


_checked_data = set()


def check_dataset(name, data_dir, where):
    """A --dataset NAME with its --data-dir, checked by lowbit itself (`lowbit datasets --check`:
    the name, its parameters and, unless data.check_files is false, its files present; no data
    read), so that a bad name or a missing directory stops the workflow before any job."""
    data_dir = data_dir or config["data"]["fashion_mnist"]
    if (name, data_dir) in _checked_data:
        return name
    cmd = [LOWBIT, "datasets", "--check", name, "--data-dir", data_dir]
    if not config["data"].get("check_files", True):
        cmd.append("--names-only")
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        msg = p.stderr.strip().removeprefix("lowbit: datasets: ")
        raise ValueError(f"{where}: {msg or 'lowbit datasets --check failed'}")
    _checked_data.add((name, data_dir))
    return name


check_dataset("fashion-mnist", config["data"]["fashion_mnist"], "data.fashion_mnist")
QE_FORMATS = FORMATS if config["quanterr"]["formats"] == "all" else config["quanterr"]["formats"]
for _f in QE_FORMATS + config["quanterr"]["figure_formats"]:
    check_spec(_f, "quanterr")
for _name, _r in config["recipes"].items():
    for _role in ("W", "A", "E", "G"):
        check_spec(_r[_role], f"recipes.{_name}.{_role}")
for _name, _s in config["energy"]["format_sets"].items():
    for _role, _f in _s.items():
        check_spec(_f, f"energy.format_sets.{_name}.{_role}")
check_spec(config["lowprec"]["p1"]["lns_roles"], "lowprec.p1.lns_roles")
check_kernel(config["lowprec"]["p1"]["bit_true_gemm"], "lowprec.p1.bit_true_gemm")

RESULTS = config["results_dir"]
GEN = "reports/generated"
for _k in ("recipes", "crosscheck_recipes"):
    for _r in config["training"].get(_k, []):
        if _r not in config["recipes"]:
            raise ValueError(f"training.{_k}: '{_r}' is not defined in recipes ({', '.join(config['recipes'])})")
TRAIN = config["training"]
PEER = TRAIN["peer_epochs"] > 0
CROSSCHECK = TRAIN.get("crosscheck_recipes", []) if PEER else []
ENV = "../../environment.yml"  # conda environment for non-Debian machines (--use-conda)


# The models, optimizers and schedules the binary registers (lowbit models|optimizers|schedules
# --csv), and every name the config uses checked against them before any job runs.
def lowbit_registry(what):
    """name -> CSV row of `lowbit WHAT --csv` (the binary was brought up to date above)."""
    return {r["name"]: r for r in _lowbit_csv(what, "--csv")}


MODELS = lowbit_registry("models")
OPTIMIZERS = lowbit_registry("optimizers")
SCHEDULES = lowbit_registry("schedules")


def check_name(kind, known, name, where):
    if name not in known:
        raise ValueError(f"{where}: unknown {kind} '{name}' (accepted: {', '.join(known)}; "
                         f"lowbit {kind}s)")


_LP, _PWL, _MLS = config.get("lowprec", {}), config.get("pwl", {}), config.get("mls", {})
for _m in config["training"]["models"] + config["training"]["peer_models"]:
    check_name("model", MODELS, _m, "training.models/peer_models")
for _k in ("p1", "p4"):
    if "model" in _LP.get(_k, {}):
        check_name("model", MODELS, _LP[_k]["model"], f"lowprec.{_k}.model")
for _name, _r in config["recipes"].items():
    check_name("optimizer", OPTIMIZERS, _r.get("optimizer", "sgd"), f"recipes.{_name}.optimizer")
for _name, _o in _LP.get("p1", {}).get("optimizers", {}).items():
    check_name("optimizer", OPTIMIZERS, _o["optimizer"], f"lowprec.p1.optimizers.{_name}")
for _where, _sec in (("training", config["training"]), ("lowprec", _LP),
                     ("pwl.train", _PWL.get("train", {})), ("mls", _MLS)):
    if "schedule" in _sec:
        check_name("schedule", SCHEDULES, _sec["schedule"], f"{_where}.schedule")


def recipe_flags(wildcards):
    r = config["recipes"][wildcards.recipe]
    return (f"--w-format '{r['W']}' --a-format '{r['A']}' --e-format '{r['E']}' "
            f"--g-format '{r['G']}' --optimizer {r.get('optimizer', 'sgd')}")


def peer_flags():
    """The flags of experiments/peers/pytorch_baseline.py that make it train what `lowbit
    train` does with train_flags(peer_epochs), less --model and --out."""
    return _run_flags(TRAIN["peer_epochs"])


def crosscheck_flags():
    """The cross-check runs' settings (lowbit and the peer alike): the peer runs' settings, on
    the first crosscheck_train_subset training examples if that is set (later flags win)."""
    n = TRAIN.get("crosscheck_train_subset", 0)
    return _run_flags(TRAIN["peer_epochs"]) + (f" --train-subset {n}" if n else "")


def lowbit_roles_flags(wildcards):
    """--lowbit-roles W A E G of the recipe (pytorch_baseline.py)."""
    r = config["recipes"][wildcards.recipe]
    return "--lowbit-roles " + " ".join(f"'{r[k]}'" for k in "WAEG")


def model_flags(wildcards):
    """--width/--depth for the models that take them (lowbit models --csv, column options)."""
    opts = MODELS[wildcards.model]["options"].split(";")
    return " ".join(f"--{o} {TRAIN[o]}" for o in ("width", "depth") if o in opts)


def _run_flags(epochs):
    """The run settings `lowbit train` and pytorch_baseline.py both take."""
    t = TRAIN
    f = (
        f"--data-dir {config['data']['fashion_mnist']} --epochs {epochs} "
        f"--batch {t['batch']} --lr {t['lr']} --momentum {t['momentum']} "
        f"--weight-decay {t['weight_decay']} --schedule {t['schedule']} --seed {t['seed']} "
        f"--threads {config['threads']}"
    )
    if t["train_subset"]:
        f += f" --train-subset {t['train_subset']}"
    if t["test_subset"]:
        f += f" --test-subset {t['test_subset']}"
    return f


def train_flags(epochs):
    return f"--dataset fashion-mnist {_run_flags(epochs)}"
