"""Print pyproject.toml's dependencies, with those of the named extras, as a requirements
file: the Dockerfile installs them before it copies the source, so a source change
reuses that layer. `--cpu` names TensorFlow's CPU build (`tensorflow-cpu`, the same
versions without the CUDA kernels), for images that never see a GPU.

    python deploy/requirements.py [--cpu] [EXTRA ...] < pyproject.toml
"""

from __future__ import annotations

import re
import sys

import tomllib


def requirements(pyproject: dict, extras: list[str], cpu: bool) -> list[str]:
    project = pyproject["project"]
    found = list(project["dependencies"])
    for extra in extras:
        found += project["optional-dependencies"][extra]
    if cpu:
        found = [re.sub(r"^tensorflow(?=[<>=!~ ;]|$)", "tensorflow-cpu", r) for r in found]
    return list(dict.fromkeys(found))


if __name__ == "__main__":
    args = sys.argv[1:]
    cpu = "--cpu" in args
    extras = [a for a in args if a != "--cpu"]
    print("\n".join(requirements(tomllib.loads(sys.stdin.read()), extras, cpu)))
