"""Kit rules: the two viral targets, the internal control and the Ct cut-off that turn
an instrument's Cts into calls. Defaults as in docs/lab-bench.md; ``--kit FILE.toml`` overrides
them (and a few kits are shipped, see ``kits/``)."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from importlib import resources

import attrs

from poolab.errors import InputRejected, PoolabError, Problem
from poolab.i18n import _

ROLES = ("target1", "target2", "ic")
# Names labs and kit makers use for the default targets (compared after ``_norm``).
DEFAULT_ALIASES: Mapping[str, tuple[str, ...]] = {
    "orf1ab": ("orf1a/b", "orf1", "orf1abgene"),
    "n": ("ngene", "nucleocapsid"),
    "ic": ("internalcontrol", "rnasep", "rp", "rpp30", "ipc", "intctrl", "internalreference"),
}
_KEYS = {"name", "source", "detect_ct", "detect_at_cutoff", "targets", "internal_control", "aliases", "ignore_flags"}


# Not flags, so nothing a kit can ignore: an omitted well has no reading, and NOAMP on a
# target without a Ct is an ordinary "not detected" already
def _not_ignorable(flag: str) -> str | None:
    """Why ``flag`` cannot be ignored (None when it can)."""
    words = {"OMIT": _("an omitted well has no reading to call"), "NOAMP": _("NOAMP without a Ct is no flag")}
    return words.get(flag)


def _norm(name: str) -> str:
    """A target name compared without case, spaces, hyphens or a trailing "gene"."""
    n = re.sub(r"[\s_\-]+", "", name.strip().lower())
    return n[:-4] if n.endswith("gene") and len(n) > 4 else n


@attrs.frozen(slots=True)
class Kit:
    """A kit's calling rule. A target is detected when its Ct is below ``detect_ct``
    (at it too, when ``detect_at_cutoff``: kits whose instructions say "Ct ≤ 40")."""

    name: str = "default"
    detect_ct: float = 40.0
    targets: tuple[str, str] = ("ORF1ab", "N")
    internal_control: str = "IC"
    detect_at_cutoff: bool = False
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()
    source: str = ""
    ignore_flags: tuple[str, ...] = ()
    """Instrument flags this lab does not act on (``NOISE``, ``INCONCLUSIVE``, ...)."""

    def names(self) -> dict[str, str]:
        """Every accepted name (normalised) -> its role (target1, target2, ic)."""
        out: dict[str, str] = {}
        for role, canonical in zip(ROLES, (*self.targets, self.internal_control), strict=True):
            key = _norm(canonical)
            out[key] = role
            for alias in DEFAULT_ALIASES.get(key, ()):
                out.setdefault(_norm(alias), role)
        for canonical, extra in self.aliases:
            found = out.get(_norm(canonical))
            if found is not None:
                for alias in extra:
                    out[_norm(alias)] = found
        return out

    def describe(self) -> str:
        op = "≤" if self.detect_at_cutoff else "<"
        t1, t2 = self.targets
        said = (
            _("{name} ({t1} + {t2}, internal control {control}, Ct {op} {ct}, ignoring flags {flags})")
            if self.ignore_flags
            else _("{name} ({t1} + {t2}, internal control {control}, Ct {op} {ct})")
        )
        return said.format(
            name=self.name,
            t1=t1,
            t2=t2,
            control=self.internal_control,
            op=op,
            ct=f"{self.detect_ct:g}",
            flags=" ".join(self.ignore_flags),
        )


DEFAULT_KIT = Kit()


def shipped_kits() -> dict[str, str]:
    """Name -> file of the kits that come with poolab (``--kit NAME`` picks one)."""
    folder = resources.files("poolab.lab.bench") / "kits"
    return {p.name.removesuffix(".toml"): str(p) for p in folder.iterdir() if p.name.endswith(".toml")}


def load_kit(value: str | os.PathLike[str] | None) -> Kit:
    """The kit a ``--kit`` value names: None for the defaults, a shipped kit's name, or a
    TOML file with top-level ``detect_ct``, ``targets`` (two names), ``internal_control``
    (and optionally ``name``, ``source``, ``detect_at_cutoff``, ``ignore_flags``, ``[aliases]``)."""
    if value is None:
        return DEFAULT_KIT
    path = os.fspath(value)
    shipped = shipped_kits()
    if not os.path.exists(path) and path in shipped:
        path = shipped[path]
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise PoolabError(
            _("--kit {path}: no such file (shipped kits: {kits})").format(path=path, kits=", ".join(sorted(shipped)))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputRejected(_("{path}: not a TOML file").format(path=path), [Problem(path, 0, "", str(exc))]) from None
    return kit_from_mapping(data, path)


def kit_from_mapping(data: Mapping[str, object], source: str) -> Kit:
    """A kit from a TOML document's keys; every wrong key or value refused by name."""
    problems: list[Problem] = []

    def bad(key: str, value: object, why: str) -> None:
        problems.append(Problem(source, 0, f"{key} = {value!r}", why))

    for key in sorted(set(data) - _KEYS):
        bad(key, data[key], _("unknown key (known: {keys})").format(keys=", ".join(sorted(_KEYS))))
    kit = DEFAULT_KIT
    name = data.get("name", os.path.basename(source).removesuffix(".toml"))
    if not isinstance(name, str) or not name.strip():
        bad("name", name, _("must be a non-empty string"))
        name = "kit"
    detect = data.get("detect_ct", kit.detect_ct)
    if isinstance(detect, bool) or not isinstance(detect, int | float) or not 0 < float(detect) <= 50:
        bad("detect_ct", detect, _("must be a number of cycles above 0 and at most 50"))
        detect = kit.detect_ct
    targets = data.get("targets", list(kit.targets))
    if not (isinstance(targets, list) and len(targets) == 2 and all(isinstance(t, str) and t.strip() for t in targets)):
        bad("targets", targets, _("must be a list of two target names"))
        targets = list(kit.targets)
    ic = data.get("internal_control", kit.internal_control)
    if not isinstance(ic, str) or not ic.strip():
        bad("internal_control", ic, _("must be the internal control's target name"))
        ic = kit.internal_control
    at_cutoff = data.get("detect_at_cutoff", False)
    if not isinstance(at_cutoff, bool):
        bad("detect_at_cutoff", at_cutoff, _("must be true or false"))
        at_cutoff = False
    raw_aliases = data.get("aliases", {})
    aliases: list[tuple[str, tuple[str, ...]]] = []
    if not isinstance(raw_aliases, dict):
        bad("aliases", raw_aliases, _("must be a table: TARGET = [names]"))
    else:
        for target, names in raw_aliases.items():
            if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
                bad(f"aliases.{target}", names, _("must be a list of names"))
            elif _norm(target) not in {_norm(t) for t in (*targets, ic)}:
                bad(f"aliases.{target}", names, _("names a target the kit does not have"))
            else:
                aliases.append((str(target), tuple(names)))
    raw_ignore = data.get("ignore_flags", [])
    ignore: list[str] = []
    if not (isinstance(raw_ignore, list) and all(isinstance(f, str) and f.strip() for f in raw_ignore)):
        bad("ignore_flags", raw_ignore, _("must be a list of flag names (EXPFAIL, NOISE, INCONCLUSIVE, ...)"))
    else:
        for flag in raw_ignore:
            why = _not_ignorable(flag.strip().upper())
            if why:
                bad("ignore_flags", flag, why)
            else:
                ignore.append(flag.strip().upper())
    if len({_norm(t) for t in (*targets, ic)}) < 3:
        bad("targets", targets, _("the two targets and the internal control must have different names"))
    source_note = data.get("source", "")
    if problems:
        raise InputRejected(
            _("{source}: {count} problem(s) in the kit file").format(source=source, count=len(problems)), problems
        )
    return Kit(
        name=str(name).strip(),
        detect_ct=float(detect),
        targets=(str(targets[0]).strip(), str(targets[1]).strip()),
        internal_control=str(ic).strip(),
        detect_at_cutoff=at_cutoff,
        aliases=tuple(aliases),
        source=str(source_note),
        ignore_flags=tuple(ignore),
    )
