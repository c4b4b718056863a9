//! Builds the MultiLangDaemon java command (classpath, quoting per platform) and execs it (issue: launcher).
