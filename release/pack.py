"""Packs the binaries release/build.sh compiled into wheels, archives and npm package folders.

Written here rather than by maturin so that each platform is compiled once (maturin would compile
again, with its own flags) and so that every byte is fixed: entries sorted, dated by
SOURCE_DATE_EPOCH, owned by 0:0, modes 0644/0755, gzip headers without a name or a time.
The platform list comes from release/lib.sh (passed in by build.sh as KCLRS_PLATFORMS).
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import time
import zipfile

NPM_SCOPE = "@kclrs"


def platforms():
    rows = []
    for line in os.environ["KCLRS_PLATFORMS"].split("\n"):
        if line.strip():
            target, tag, npm_os, cpu, libc = line.split("|")
            rows.append(dict(target=target, tag=tag, os=npm_os, cpu=cpu, libc=libc))
    return rows


def exe_name(target):
    return "kclrs.exe" if "windows" in target else "kclrs"


def zip_time(epoch):
    # Zip cannot date anything before 1980.
    return time.gmtime(max(epoch, 315532800))[:6]


def write_zip(path, entries, epoch):
    """entries: (name, bytes, mode) in the order given."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=zip_time(epoch))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | mode) << 16
            info.create_system = 3  # Unix, so the mode is read back
            zf.writestr(info, data, compresslevel=9)


def write_tar_gz(path, entries, epoch):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, epoch
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
            gz.write(raw.getvalue())


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def cargo_package(root):
    text = open(os.path.join(root, "Cargo.toml"), encoding="utf-8").read()
    section = text.split("[package]", 1)[1].split("\n[", 1)[0]
    fields = dict(re.findall(r'^(\w[\w-]*)\s*=\s*"([^"]*)"', section, re.M))
    return fields


def metadata(root, version, pkg):
    # The same fields maturin writes from pyproject.toml + Cargo.toml for `pip wheel .`.
    import tomllib

    project = tomllib.load(open(os.path.join(root, "pyproject.toml"), "rb"))["project"]
    lines = [
        "Metadata-Version: 2.4",
        "Name: kclrs",
        "Version: " + version,
    ]
    lines += ["Classifier: " + c for c in project.get("classifiers", [])]
    lines += [
        "Summary: " + pkg["description"],
        "License-Expression: " + pkg["license"],
        "Requires-Python: " + project["requires-python"],
        "Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM",
    ]
    readme = open(os.path.join(root, pkg.get("readme", "README.md")), encoding="utf-8").read()
    return ("\n".join(lines) + "\n\n" + readme).encode()


def wheel(root, out, version, plat, binary, epoch, pkg):
    tags = ["py3-none-" + t for t in plat["tag"].split(".")]
    name = "kclrs-%s-py3-none-%s.whl" % (version, plat["tag"])
    dist_info = "kclrs-%s.dist-info" % version
    entries = []
    pydir = os.path.join(root, "python", "kclrs")
    for f in sorted(os.listdir(pydir)):
        if f.endswith(".py"):
            entries.append(("kclrs/" + f, open(os.path.join(pydir, f), "rb").read(), 0o644))
    entries.append(("kclrs-%s.data/scripts/%s" % (version, exe_name(plat["target"])), binary, 0o755))
    wheel_file = "Wheel-Version: 1.0\nGenerator: kclrs release/pack.py\nRoot-Is-Purelib: false\n"
    wheel_file += "".join("Tag: %s\n" % t for t in tags)
    entries.append((dist_info + "/METADATA", metadata(root, version, pkg), 0o644))
    entries.append((dist_info + "/WHEEL", wheel_file.encode(), 0o644))
    record = "".join("%s,%s,%d\n" % (n, record_hash(d), len(d)) for n, d, _ in entries)
    record += dist_info + "/RECORD,,\n"
    entries.append((dist_info + "/RECORD", record.encode(), 0o644))
    write_zip(os.path.join(out, name), entries, epoch)


def archive(root, out, version, plat, binary, epoch):
    base = "kclrs-%s-%s" % (version, plat["target"])
    readme = open(os.path.join(root, "README.md"), "rb").read()
    entries = [
        (base + "/" + exe_name(plat["target"]), binary, 0o755),
        (base + "/README.md", readme, 0o644),
    ]
    if "windows" in plat["target"]:
        write_zip(os.path.join(out, base + ".zip"), entries, epoch)
    else:
        write_tar_gz(os.path.join(out, base + ".tar.gz"), entries, epoch)


def npm_name(plat):
    return "%s/%s-%s%s" % (NPM_SCOPE, plat["os"], plat["cpu"], "-" + plat["libc"] if plat["libc"] else "")


def npm_layout(root, stage, version, plats, pkg):
    """Package folders for `npm pack`: one per platform (the binary, chosen by os/cpu/libc) and
    `kclrs`, whose optionalDependencies name them all and whose bin/kclrs.js starts the one
    npm installed."""
    base = os.path.join(stage, "npm")
    shutil.rmtree(base, ignore_errors=True)
    common = dict(version=version, license=pkg["license"], description=pkg["description"])
    table = {}
    for plat in plats:
        name = npm_name(plat)
        folder = os.path.join(base, name.split("/")[1])
        os.makedirs(os.path.join(folder, "bin"))
        exe = exe_name(plat["target"])
        shutil.copyfile(os.path.join(stage, plat["target"], exe), os.path.join(folder, "bin", exe))
        os.chmod(os.path.join(folder, "bin", exe), 0o755)
        manifest = dict(name=name, **common, os=[plat["os"]], cpu=[plat["cpu"]])
        if plat["libc"]:
            manifest["libc"] = [plat["libc"]]
        manifest["files"] = ["bin/" + exe]
        manifest["preferUnplugged"] = True
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write("The `kclrs` binary for %s (%s). Install the `kclrs` package, which depends on "
                    "this one where it fits.\n" % (plat["target"], plat["tag"]))
        write_json(os.path.join(folder, "package.json"), manifest)
        key = " ".join([plat["os"], plat["cpu"], plat["libc"]]).strip()
        table[key] = dict(package=name, bin="bin/" + exe)
    folder = os.path.join(base, "kclrs")
    os.makedirs(os.path.join(folder, "bin"))
    shutil.copyfile(os.path.join(root, "release", "npm", "kclrs.js"), os.path.join(folder, "bin", "kclrs.js"))
    os.chmod(os.path.join(folder, "bin", "kclrs.js"), 0o755)
    write_json(os.path.join(folder, "platforms.json"), table)
    shutil.copyfile(os.path.join(root, "README.md"), os.path.join(folder, "README.md"))
    manifest = dict(name="kclrs", **common, bin=dict(kclrs="bin/kclrs.js"),
                    files=["bin/kclrs.js", "platforms.json"],
                    optionalDependencies={npm_name(p): version for p in plats})
    write_json(os.path.join(folder, "package.json"), manifest)


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--stage", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    args = ap.parse_args()
    epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    pkg = cargo_package(args.root)
    plats = platforms()
    for plat in plats:
        binary = open(os.path.join(args.stage, plat["target"], exe_name(plat["target"])), "rb").read()
        wheel(args.root, args.out, args.version, plat, binary, epoch, pkg)
        archive(args.root, args.out, args.version, plat, binary, epoch)
    npm_layout(args.root, args.stage, args.version, plats, pkg)
    os.makedirs(os.path.join(args.out, "npm"), exist_ok=True)


if __name__ == "__main__":
    main()
