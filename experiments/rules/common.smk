# common.smk — the format registry (read from the file the C library compiles), spec checks
# and paths shared by the .smk files (functions only, no workflow steps here).
import re

# The one list of number formats, read from the same file the C library compiles.
REGISTRY_DEF = "lib/src/formats/formats.def"
with open(REGISTRY_DEF) as fh:
    _def = fh.read()
FORMATS = re.findall(r"^LB_FORMAT\((\w+),", _def, re.M)
FAMILIES = sorted({m for m in re.findall(r"^LB_FORMAT\(\w+,\s*lb_family_(\w+),", _def, re.M)})


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
ENV = "../../environment.yml"  # conda environment for non-Debian machines (--use-conda)
