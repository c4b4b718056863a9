//! Downloads of locked artifacts: parallel, verified, retried, cached (issue: download-jars).
