#!/usr/bin/env node
// The `kclrs` command of the npm package: starts the kclrs binary of this platform, which npm
// installed as one of the optionalDependencies (it skips those whose os/cpu/libc do not match),
// so nothing is downloaded at install time and there is no postinstall script.
// Node cannot exec, so this process stays as the binary's parent: it forwards the signals a
// supervisor sends (SIGTERM, SIGINT, SIGHUP, SIGQUIT) to the child (for `kclrs run`, kclrs passes
// them to the JVM), and ends the way the child ended: same exit code, or killed by the same
// signal, so `143` after a SIGTERM reaches whoever started `npx kclrs`. A terminal's Ctrl-C
// reaches kclrs directly too; kclrs counts the copy relayed here as the same stop.
"use strict";

const { spawn } = require("child_process");
const path = require("path");

function libc() {
  if (process.platform !== "linux") return "";
  // glibcVersionRuntime is reported only by a Node linked against glibc.
  const report = process.report && process.report.getReport();
  return report && report.header && report.header.glibcVersionRuntime ? "glibc" : "musl";
}

function binary() {
  const table = require("../platforms.json");
  const key = [process.platform, process.arch, libc()].filter(Boolean).join(" ");
  const entry = table[key];
  if (!entry) {
    fail(`kclrs has no binary for ${key}`,
      `the npm packages cover: ${Object.keys(table).join(", ")}; elsewhere build it with \`cargo install --locked --path .\``);
  }
  let manifest;
  try {
    manifest = require.resolve(`${entry.package}/package.json`);
  } catch (err) {
    fail(`the package ${entry.package} (the kclrs binary for ${key}) is not installed`,
      "reinstall without --omit=optional / --no-optional, so npm installs the optional package of this platform");
  }
  return path.join(path.dirname(manifest), entry.bin);
}

function fail(message, hint) {
  process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  process.exit(2);
}

const bin = binary();
const child = spawn(bin, process.argv.slice(2), { stdio: "inherit" });
const forwarded = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT"];
if (process.platform === "win32") forwarded.push("SIGBREAK");
for (const signal of forwarded) {
  // On Windows the console delivers Ctrl-C/Ctrl-Break to the child itself: only stay alive.
  process.on(signal, () => {
    if (process.platform !== "win32") child.kill(signal);
  });
}
child.on("error", (err) => {
  fail(`cannot start ${bin}: ${err.message}`, "reinstall the kclrs package (npm ci)");
});
child.on("exit", (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code);
});
