//! The sample record processor, driven over stdin/stdout by a fake MultiLangDaemon: messages
//! shaped like the ones the daemon's Jackson writes (`software.amazon.kinesis.multilang.messages`),
//! checkpoint replies decided per test, and checks on every line the processor sends back and on
//! the records it appends to `KCLRS_SAMPLE_OUTPUT`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support::*;

/// The processor as kclrs writes it for `--sample` (the embedded copy).
fn materialized(sb: &Sandbox) -> PathBuf {
    let cache = kclrs::cache::Cache::new(sb.cache());
    let props = kclrs::sample::materialize(&cache, kclrs::env::Os::current()).unwrap();
    props.with_file_name(kclrs::sample::PROCESSOR_NAME)
}

struct FakeDaemon {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Everything the processor wrote on stdout, in order.
    received: Vec<Value>,
}

impl FakeDaemon {
    fn start(processor: &Path, output: &Path) -> FakeDaemon {
        let mut child = Command::new("python3")
            .arg(processor)
            .env("KCLRS_SAMPLE_OUTPUT", output)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 must be on PATH for the sample tests");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line.unwrap()).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        FakeDaemon {
            child,
            stdin,
            lines,
            received: Vec::new(),
        }
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    /// The next message from the processor; every stdout line must be one JSON object.
    fn next(&mut self) -> Value {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the processor sent nothing");
        let value: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
        self.received.push(value.clone());
        value
    }

    /// Asserts the processor sends nothing for a while (it must be waiting for us).
    fn expect_silence(&self) {
        match self.lines.recv_timeout(Duration::from_millis(300)) {
            Err(RecvTimeoutError::Timeout) => {}
            other => panic!("the processor did not wait for the daemon: {other:?}"),
        }
    }

    /// Answers a checkpoint request the way `MessageWriter.writeCheckpointMessageWithError` does.
    fn reply_checkpoint(&mut self, request: &Value, error: Option<&str>) {
        self.send(&json!({
            "action": "checkpoint",
            "sequenceNumber": request["sequenceNumber"],
            "subSequenceNumber": request.get("subSequenceNumber").cloned().unwrap_or(Value::Null),
            "error": error,
        }));
    }

    /// Sends `message` and expects the status reply for it, with no checkpoint in between.
    fn call(&mut self, message: &Value) {
        self.send(message);
        let reply = self.next();
        assert_eq!(
            reply,
            json!({"action": "status", "responseFor": message["action"]})
        );
    }

    /// Closes stdin (as the daemon does after leaseLost/shardEnded) and returns the exit code
    /// and stderr.
    fn finish(mut self) -> (i32, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        assert!(
            self.lines.recv_timeout(Duration::from_secs(5)).is_err(),
            "output after the last message"
        );
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

fn initialize(shard: &str) -> Value {
    json!({"action": "initialize", "shardId": shard, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": 0})
}

fn record(data: &[u8], key: &str, seq: &str, sub: Option<i64>) -> Value {
    use base64_engine::encode;
    json!({
        "data": encode(data),
        "partitionKey": key,
        "sequenceNumber": seq,
        "approximateArrivalTimestamp": 1_764_000_000_000_i64,
        "subSequenceNumber": sub,
        "action": "record",
    })
}

fn process_records(records: &[Value]) -> Value {
    json!({"action": "processRecords", "records": records, "millisBehindLatest": 0})
}

/// Standard base64 (RFC 4648, with padding), as Jackson writes byte arrays.
mod base64_engine {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(data: &[u8]) -> String {
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(encode(plain.as_bytes()), coded);
        }
    }
}

#[test]
fn records_are_saved_then_checkpointed_after_the_reply() {
    let sb = Sandbox::new();
    let output = sb.root().join("records.tsv");
    let mut d = FakeDaemon::start(&materialized(&sb), &output);
    d.call(&initialize("shardId-000000000001"));

    let batch = process_records(&[
        record(
            b"hello",
            "k1",
            "49590338271490256608559692538361571095921575989136588801",
            None,
        ),
        record(
            "tab\there\nnew line é".as_bytes(),
            "clé",
            "49590338271490256608559692538361571095921575989136588802",
            Some(0),
        ),
        record(
            b"",
            "k\\3",
            "49590338271490256608559692538361571095921575989136588803",
            Some(7),
        ),
    ]);
    d.send(&batch);
    let request = d.next();
    assert_eq!(
        request,
        json!({"action": "checkpoint",
               "sequenceNumber": "49590338271490256608559692538361571095921575989136588803",
               "subSequenceNumber": 7})
    );
    // Records are on disk before the checkpoint is asked for (at-least-once).
    let saved = std::fs::read_to_string(&output).unwrap();
    assert_eq!(
        saved,
        "shardId-000000000001\t49590338271490256608559692538361571095921575989136588801\t\tk1\thello\n\
         shardId-000000000001\t49590338271490256608559692538361571095921575989136588802\t0\tclé\ttab\\there\\nnew line é\n\
         shardId-000000000001\t49590338271490256608559692538361571095921575989136588803\t7\tk\\\\3\t\n"
    );
    d.expect_silence();
    d.reply_checkpoint(&request, None);
    assert_eq!(
        d.next(),
        json!({"action": "status", "responseFor": "processRecords"})
    );

    // An empty batch needs no checkpoint.
    d.call(&process_records(&[]));
    d.call(&json!({"action": "leaseLost"}));
    let (code, stderr) = d.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("lease lost"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&output).unwrap().lines().count(), 3);
}

#[test]
fn throttled_checkpoints_are_retried_and_other_errors_are_not() {
    let sb = Sandbox::new();
    let output = sb.root().join("records.tsv");
    let mut d = FakeDaemon::start(&materialized(&sb), &output);
    d.call(&initialize("shardId-000000000002"));

    d.send(&process_records(&[record(b"a", "k", "100", None)]));
    for _ in 0..2 {
        let request = d.next();
        assert_eq!(request["action"], "checkpoint");
        assert_eq!(request["sequenceNumber"], "100");
        assert_eq!(request.get("subSequenceNumber"), None);
        d.reply_checkpoint(&request, Some("ThrottlingException"));
    }
    let request = d.next();
    assert_eq!(request["sequenceNumber"], "100");
    d.reply_checkpoint(&request, None);
    assert_eq!(
        d.next(),
        json!({"action": "status", "responseFor": "processRecords"})
    );

    // A shutdown error is final: no retry, the status still goes out.
    d.send(&process_records(&[record(b"b", "k", "101", None)]));
    let request = d.next();
    d.reply_checkpoint(&request, Some("ShutdownException"));
    assert_eq!(
        d.next(),
        json!({"action": "status", "responseFor": "processRecords"})
    );
    let (code, stderr) = d.finish();
    assert_eq!(code, 0);
    assert!(
        stderr.contains("checkpoint failed with ThrottlingException, retrying"),
        "{stderr}"
    );
    assert!(stderr.contains("failed: ShutdownException"), "{stderr}");
}

#[test]
fn shard_end_and_shutdown_request_checkpoint_without_sequence_number() {
    for action in ["shardEnded", "shutdownRequested"] {
        let sb = Sandbox::new();
        let output = sb.root().join("records.tsv");
        let mut d = FakeDaemon::start(&materialized(&sb), &output);
        d.call(&initialize("shardId-000000000003"));
        // Ctrl-C reaches every process of the terminal's group: the processor must survive it
        // to answer the daemon's shutdown messages.
        let pid = d.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success());
        d.send(&json!({"action": action}));
        let request = d.next();
        assert_eq!(
            request,
            json!({"action": "checkpoint", "sequenceNumber": null}),
            "{action}"
        );
        d.expect_silence();
        d.reply_checkpoint(&request, None);
        assert_eq!(d.next(), json!({"action": "status", "responseFor": action}));
        let (code, stderr) = d.finish();
        assert_eq!(code, 0, "{stderr}");
        assert!(!output.exists(), "no records, no output file");
    }
}

#[test]
fn noise_on_stdin_is_ignored_and_eof_while_waiting_exits_cleanly() {
    let sb = Sandbox::new();
    let output = sb.root().join("records.tsv");
    let mut d = FakeDaemon::start(&materialized(&sb), &output);
    d.send(&json!("not an object"));
    let stdin = d.stdin.as_mut().unwrap();
    writeln!(stdin, "\nnot json at all").unwrap();
    d.call(&initialize("shardId-000000000004"));
    d.send(&json!({"action": "shardEnded"}));
    assert_eq!(d.next()["action"], "checkpoint");
    // The daemon dies instead of answering: the processor must exit, not hang or crash.
    let (code, stderr) = d.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("not JSON"), "{stderr}");
    assert!(
        !stderr.contains("Traceback"),
        "the processor crashed: {stderr}"
    );
}

#[test]
fn the_shipped_files_are_the_embedded_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    assert_eq!(
        std::fs::read_to_string(root.join("sample_record_processor.py")).unwrap(),
        kclrs::sample::PROCESSOR
    );
    assert_eq!(
        std::fs::read_to_string(root.join("sample.properties")).unwrap(),
        kclrs::sample::PROPERTIES
    );
    // The materialized properties run the materialized processor by absolute path.
    let sb = Sandbox::new();
    let processor = materialized(&sb);
    let props = std::fs::read_to_string(processor.with_file_name("sample.properties")).unwrap();
    assert!(
        props.contains(&format!(
            "executableName = python3 {}\n",
            processor.display()
        )),
        "{props}"
    );
}

/// A stand-in for the daemon built from the real KCL 3.1.3 classes: it serializes
/// `InitializeMessage`, `ProcessRecordsMessage`… with the daemon's plain Jackson `ObjectMapper`,
/// parses every processor line back into a `Message` (unknown or misnamed fields fail there),
/// answers checkpoints like `MessageWriter` does, and prints what it saw.
const HARNESS: &str = r#"
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.*;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import software.amazon.kinesis.lifecycle.events.InitializationInput;
import software.amazon.kinesis.lifecycle.events.ProcessRecordsInput;
import software.amazon.kinesis.multilang.messages.*;
import software.amazon.kinesis.retrieval.KinesisClientRecord;
import software.amazon.kinesis.retrieval.kpl.ExtendedSequenceNumber;

public class SampleProtocolCheck {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static BufferedWriter toChild;
    static BufferedReader fromChild;

    static void send(Message m) throws IOException {
        String line = MAPPER.writeValueAsString(m);
        toChild.write(line);
        toChild.newLine();
        toChild.flush();
    }

    static void await(String action) throws IOException {
        while (true) {
            String line = fromChild.readLine();
            if (line == null) throw new EOFException("child closed stdout");
            Message m = MAPPER.readValue(line, Message.class);
            if (m instanceof CheckpointMessage) {
                CheckpointMessage c = (CheckpointMessage) m;
                System.out.println("checkpoint " + c.getSequenceNumber() + " " + c.getSubSequenceNumber());
                send(new CheckpointMessage(c.getSequenceNumber(), c.getSubSequenceNumber(), null));
            } else if (m instanceof StatusMessage) {
                System.out.println("status " + ((StatusMessage) m).getResponseFor());
                if (!action.equals(((StatusMessage) m).getResponseFor())) System.exit(2);
                return;
            } else {
                System.out.println("unexpected " + m.getClass().getSimpleName());
                System.exit(3);
            }
        }
    }

    static KinesisClientRecord record(String data, String key, String seq, long sub) {
        return KinesisClientRecord.builder()
                .data(ByteBuffer.wrap(data.getBytes(StandardCharsets.UTF_8)))
                .partitionKey(key).sequenceNumber(seq).subSequenceNumber(sub)
                .approximateArrivalTimestamp(Instant.ofEpochMilli(1764000000000L)).build();
    }

    public static void main(String[] args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("python3", args[0]);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        toChild = new BufferedWriter(new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8));
        fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        send(new InitializeMessage(InitializationInput.builder().shardId("shardId-000000000007")
                .extendedSequenceNumber(ExtendedSequenceNumber.TRIM_HORIZON).build()));
        await("initialize");
        send(new ProcessRecordsMessage(ProcessRecordsInput.builder().millisBehindLatest(5L)
                .records(Arrays.asList(record("one", "pk-1", "1001", 0), record("two", "pk-2", "1002", 3)))
                .build()));
        await("processRecords");
        send(new ShutdownRequestedMessage());
        await("shutdownRequested");
        send(new ShardEndedMessage());
        await("shardEnded");
        toChild.close();
        System.out.println("exit " + child.waitFor());
    }
}
"#;

/// Every jar of the KCL 3.1.3 closure that `tests/prepare.sh` resolved with Maven.
fn kcl_classpath() -> String {
    let m2 = test_m2();
    let list = m2.with_file_name("reference").join("kcl-multilang.txt");
    let text = std::fs::read_to_string(&list)
        .unwrap_or_else(|e| panic!("{}: {e}; run `bash tests/prepare.sh`", list.display()));
    let jars: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim().split(" -- ").next())
        .filter_map(|coords| {
            let p: Vec<&str> = coords.split(':').collect();
            let (g, a, ext, classifier, v) = match p.as_slice() {
                [g, a, ext, v, _scope] => (*g, *a, *ext, None, *v),
                [g, a, ext, c, v, _scope] => (*g, *a, *ext, Some(*c), *v),
                _ => return None,
            };
            let name = match classifier {
                Some(c) => format!("{a}-{v}-{c}.{ext}"),
                None => format!("{a}-{v}.{ext}"),
            };
            let jar = m2.join(g.replace('.', "/")).join(a).join(v).join(name);
            assert!(
                jar.is_file(),
                "{} is missing: run `bash tests/prepare.sh`",
                jar.display()
            );
            Some(jar.display().to_string())
        })
        .collect();
    assert!(jars.len() > 50, "{} lists too few jars", list.display());
    jars.join(":")
}

#[test]
fn real_kcl_message_classes_understand_the_processor() {
    let sb = Sandbox::new();
    let processor = materialized(&sb);
    let src = sb.write("harness/SampleProtocolCheck.java", HARNESS);
    let classes = sb.root().join("classes");
    let cp = kcl_classpath();
    let javac = Command::new(crate::properties::jdk_tool("javac"))
        .args(["-nowarn", "-d"])
        .arg(&classes)
        .args(["-cp", &cp])
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        javac.status.success(),
        "javac: {}",
        String::from_utf8_lossy(&javac.stderr)
    );
    let output = sb.root().join("records.tsv");
    let out = Command::new(crate::properties::jdk_tool("java"))
        .args([
            "-cp",
            &format!("{}:{cp}", classes.display()),
            "SampleProtocolCheck",
        ])
        .arg(&processor)
        .env("KCLRS_SAMPLE_OUTPUT", &output)
        .output()
        .unwrap();
    let transcript = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{transcript}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        transcript,
        "status initialize\n\
         checkpoint 1002 3\n\
         status processRecords\n\
         checkpoint null null\n\
         status shutdownRequested\n\
         checkpoint null null\n\
         status shardEnded\n\
         exit 0\n"
    );
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "shardId-000000000007\t1001\t0\tpk-1\tone\nshardId-000000000007\t1002\t3\tpk-2\ttwo\n"
    );
}
