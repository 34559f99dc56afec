"""Are the lock files in step with pyproject.toml? (`make lock` regenerates them; this only reads.)

Every requirement of pyproject.toml must be pinned in the lock that installs it, to a version its range allows:
[project] dependencies in requirements.lock (production, the Dockerfile) and in requirements-dev.lock (the venv, CI),
the test and dev extras in requirements-dev.lock; a package pinned in both files must have the same version.
Dependencies of dependencies are checked by pip itself: `pip install --require-hashes` refuses a lock that lacks one.
"""
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    return {canonicalize_name(package): version for package, version in PIN.findall((ROOT / name).read_text())}


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    locks = {"requirements.lock": pins("requirements.lock"), "requirements-dev.lock": pins("requirements-dev.lock")}
    wanted = {
        "requirements.lock": project["dependencies"],
        "requirements-dev.lock": [*project["dependencies"], *(item for extra in extras.values() for item in extra)],
    }
    problems = []
    for lock, requirements in wanted.items():
        for text in requirements:
            requirement = Requirement(text)
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue
            pinned = locks[lock].get(canonicalize_name(requirement.name))
            if pinned is None:
                problems.append(f"{lock}: {requirement.name} is missing (pyproject.toml asks for {text!r})")
            elif not requirement.specifier.contains(pinned, prereleases=True):
                problems.append(f"{lock}: {requirement.name}=={pinned} is outside pyproject.toml's {text!r}")
    production, development = locks.values()
    for package in sorted(production.keys() & development.keys()):
        if production[package] != development[package]:
            problems.append(f"{package}: {production[package]} in requirements.lock, "
                            f"{development[package]} in requirements-dev.lock")
    for problem in problems:
        print(problem)
    if problems:
        print("run `make lock` and commit both lock files")
        return 1
    print(f"lock files match pyproject.toml: {len(production)} packages for production, "
          f"{len(development)} with the test and dev tools")
    return 0


if __name__ == "__main__":
    sys.exit(main())
