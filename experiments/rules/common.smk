# common.smk — the format registry (read from the file the C library compiles), spec checks
# and paths shared by the .smk files (functions only, no workflow steps here).
import re
import sys

# The one list of number formats, read from the same file the C library compiles.
REGISTRY_DEF = "lib/src/formats/formats.def"
with open(REGISTRY_DEF) as fh:
    _def = fh.read()
FORMATS = re.findall(r"^LB_FORMAT\((\w+),", _def, re.M)
FAMILIES = sorted({m for m in re.findall(r"^LB_FORMAT\(\w+,\s*lb_family_(\w+),", _def, re.M)})
# registered name -> "family:params", so a key can be added to a preset (with_round)
PRESETS = {n: f"{f}:{p}" for n, f, p in
           re.findall(r'^LB_FORMAT\((\w+),\s*lb_family_(\w+),\s*"([^"]*)"', _def, re.M)}


def with_round(spec, rnd):
    """spec with its rounding set to rnd (fp32 and rne: unchanged)."""
    if spec == "fp32" or rnd == "rne":
        return spec
    spec = PRESETS.get(spec, spec)
    return spec + ("," if spec.split(":", 1)[1] else "") + f"round={rnd}"


def check_spec(spec, where):
    """A spec is a registered name or family:key=value,...; full checking is lowbit's."""
    if spec in FORMATS:
        return spec
    fam = spec.split(":", 1)[0] if ":" in spec else None
    if fam in FAMILIES and spec.split(":", 1)[1]:
        return spec
    raise ValueError(
        f"{where}: '{spec}' is not a registered format ({', '.join(FORMATS)}) "
        f"nor family:key=value,... with a family in {FAMILIES}"
    )


QE_FORMATS = FORMATS if config["quanterr"]["formats"] == "all" else config["quanterr"]["formats"]
for _f in QE_FORMATS + config["quanterr"]["figure_formats"]:
    check_spec(_f, "quanterr")
for _name, _r in config["recipes"].items():
    for _role in ("W", "A", "E", "G"):
        check_spec(_r[_role], f"recipes.{_name}.{_role}")

BUILD = config["build_dir"]
RESULTS = config["results_dir"]
GEN = "reports/generated"
for _r in config["training"]["recipes"]:
    if _r not in config["recipes"]:
        raise ValueError(f"training.recipes: '{_r}' is not defined in recipes ({', '.join(config['recipes'])})")
TRAIN = config["training"]
PEER = TRAIN["peer_epochs"] > 0
ENV = "../../environment.yml"  # conda environment for non-Debian machines (--use-conda)


# The models, optimizers and schedules the binary registers (lowbit models|optimizers|schedules
# --csv), and every name the config uses checked against them before any job runs.
import csv
import subprocess


def lowbit_registry(what):
    """name -> CSV row of `lowbit WHAT --csv`, from the built binary (built first if missing)."""
    exe = os.path.join(BUILD, "bin", "lowbit")
    if not os.path.exists(exe):
        print(f"common.smk: building {exe} to read its registries", file=sys.stderr)
        os.makedirs("logs", exist_ok=True)
        with open("logs/registry-build.log", "w") as log:
            subprocess.run(["cmake", "-S", ".", "-B", BUILD, "-G", "Ninja",
                            "-DCMAKE_BUILD_TYPE=Release"], check=True, stdout=log, stderr=log)
            subprocess.run(["cmake", "--build", BUILD, "--target", "lowbit_cli"], check=True,
                           stdout=log, stderr=log)
    out = subprocess.run([exe, what, "--csv"], check=True, capture_output=True, text=True).stdout
    return {r["name"]: r for r in csv.DictReader(out.splitlines())}


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


def model_flags(wildcards):
    """--width/--depth for the models that take them (lowbit models --csv, column options)."""
    opts = MODELS[wildcards.model]["options"].split(";")
    return " ".join(f"--{o} {TRAIN[o]}" for o in ("width", "depth") if o in opts)


def train_flags(epochs):
    t = TRAIN
    f = (
        f"--dataset fashion-mnist --data-dir {config['data']['fashion_mnist']} --epochs {epochs} "
        f"--batch {t['batch']} --lr {t['lr']} --momentum {t['momentum']} "
        f"--weight-decay {t['weight_decay']} --schedule {t['schedule']} --seed {t['seed']} "
        f"--threads {config['threads']}"
    )
    if t["train_subset"]:
        f += f" --train-subset {t['train_subset']}"
    if t["test_subset"]:
        f += f" --test-subset {t['test_subset']}"
    return f
