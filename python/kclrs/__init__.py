"""The kclrs command-line tool, installed as a binary by this wheel.

There is no Python API: ``kclrs`` is on the virtualenv's PATH, and ``python -m kclrs ARGS``
runs the same binary for environments whose ``bin/`` (``Scripts\\`` on Windows) is not on PATH.
``find_kclrs_bin()`` returns its path for programs that want to start it themselves.
"""

import os
import sys
import sysconfig

__all__ = ["find_kclrs_bin"]


def _candidate_dirs():
    # Where pip put the wheel's scripts: the scheme of this interpreter (the venv's bin/), the
    # user scheme for `pip install --user`, then the folder of the interpreter itself (a venv
    # made without sysconfig paths, or a relocated one).
    yield sysconfig.get_path("scripts")
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    elif os.name == "nt":
        user_scheme = "nt_user"
    else:
        user_scheme = "posix_user"
    yield sysconfig.get_path("scripts", scheme=user_scheme)
    yield os.path.dirname(sys.executable)


def find_kclrs_bin():
    """Return the path of the ``kclrs`` binary installed with this package.

    Raises ``FileNotFoundError`` naming every folder looked in.
    """
    name = "kclrs" + (".exe" if os.name == "nt" else "")
    looked = []
    for folder in _candidate_dirs():
        if not folder or folder in looked:
            continue
        looked.append(folder)
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "the kclrs binary was not found in {}".format(", ".join(looked))
    )
