"""``python -m kclrs ARGS``: run the installed kclrs binary with ARGS, exit with its code."""

import os
import sys

from kclrs import find_kclrs_bin


def main():
    try:
        path = find_kclrs_bin()
    except FileNotFoundError as err:
        sys.stderr.write(
            "error: {}\n"
            "hint: reinstall the wheel into this environment: "
            "`{} -m pip install --force-reinstall kclrs`\n".format(err, sys.executable)
        )
        return 1
    argv = [path, *sys.argv[1:]]
    if os.name != "nt":
        # exec, as the binary itself does for `run`: no Python process stays between a
        # supervisor and kclrs (or the JVM it execs), signals and the exit status are direct.
        os.execv(path, argv)
    # Windows has no exec: run it as a child. The console sends Ctrl-C to the child as well and
    # kclrs decides what it means, so this process ignores it and waits for the child's code.
    import signal
    import subprocess

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return subprocess.call(argv)


if __name__ == "__main__":
    sys.exit(main())
