#!/usr/bin/env node
// A record processor written against the public API of the official Node.js KCL library,
// aws-kcl (npm), for the e2e test: `require('aws-kcl')(processor).run()`. The package ships no
// sample, so this is the smallest consumer a user would write: it appends one tab-separated line
// per record (shard, sequence number, sub-sequence number, partition key, data) to the file named
// by KCLRS_SAMPLE_OUTPUT -- the format of kclrs's own sample processor, so the test checks both
// the same way -- and checkpoints after every batch, at shard end and when shutdown is requested.
// stdout belongs to the protocol: logs go to stderr. NODE_PATH points at the installed package.
'use strict';

const fs = require('fs');
const kcl = require('aws-kcl');

const outPath = process.env.KCLRS_SAMPLE_OUTPUT || 'records.tsv';

function log(message) {
  process.stderr.write(`node consumer: ${message}\n`);
}

// Keeps every record on one line, as the Python sample does.
function escape(text) {
  return String(text).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

const processor = {
  shardId: null,

  initialize(input, done) {
    this.shardId = input.shardId;
    log(`initialize ${this.shardId} at ${input.sequenceNumber}`);
    done();
  },

  processRecords(input, done) {
    const records = input.records || [];
    if (records.length === 0) {
      done();
      return;
    }
    const lines = records.map((r) => {
      const data = Buffer.from(r.data, 'base64').toString('utf8');
      const sub = r.subSequenceNumber === undefined || r.subSequenceNumber === null ? '' : String(r.subSequenceNumber);
      return [this.shardId, r.sequenceNumber, sub, escape(r.partitionKey), escape(data)].join('\t') + '\n';
    });
    // Written before the checkpoint: a record is never checkpointed without being recorded.
    fs.appendFileSync(outPath, lines.join(''));
    const last = records[records.length - 1].sequenceNumber;
    input.checkpointer.checkpoint(last, (err) => {
      if (err) {
        log(`${this.shardId}: checkpoint at ${last} failed: ${err}`);
      }
      done();
    });
  },

  leaseLost(input, done) {
    log(`${this.shardId}: lease lost`);
    done();
  },

  shardEnded(input, done) {
    log(`${this.shardId}: shard ended`);
    input.checkpointer.checkpoint((err) => {
      if (err) {
        log(`${this.shardId}: checkpoint at shard end failed: ${err}`);
      }
      done();
    });
  },

  shutdownRequested(input, done) {
    log(`${this.shardId}: shutdown requested, checkpointing`);
    input.checkpointer.checkpoint((err) => {
      if (err) {
        log(`${this.shardId}: checkpoint at shutdown failed: ${err}`);
      }
      done();
    });
  },
};

kcl(processor).run();
