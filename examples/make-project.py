#!/usr/bin/env python3
"""make-project.py -- writes the example agency project used by demo.sh and the tests.

The project is "claimscore", a small fraud-scoring service an agency builds for an insurer:
Python sources, a native C extension, a model card, LLM prompts, a training pipeline, and
small but real model files (safetensors, ONNX, GGUF) and a CSV training set. Nothing binary
is committed: every byte comes from this script, and the output is the same on every run
(fixed seed, fixed modification times).

Usage: make-project.py [DIR]   (default: examples/project next to this script)
Python 3 standard library only.
"""
import json
import math
import os
import random
import shutil
import struct
import sys

SEED = 20260301
MTIME = 1767225600  # 2026-01-01T00:00:00Z
N_FEATURES = 8
N_HIDDEN = 32
N_ROWS = 3000
FEATURES = ["log_amount", "policy_age_years", "prior_claims", "hour_sin", "hour_cos",
            "channel_web", "channel_agent", "vehicle_age_years"]


# ---- real model formats ----------------------------------------------------

def safetensors(tensors, metadata):
    """tensors: list of (name, dtype 'F32', shape, list of floats). Returns the file bytes:
    u64 LE header length, JSON header (data_offsets contiguous from 0), then the data."""
    header = {"__metadata__": metadata}
    blobs = []
    off = 0
    for name, dtype, shape, values in tensors:
        assert dtype == "F32" and len(values) == math.prod(shape)
        blob = struct.pack("<%df" % len(values), *values)
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(blob)]}
        off += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    text += b" " * (-len(text) % 8)  # the format allows space padding; keeps the data aligned
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_varint(field, n):
    return varint(field << 3) + varint(n)


def pb_bytes(field, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(field << 3 | 2) + varint(len(data)) + data


def onnx_tensor(name, dims, values):
    # TensorProto: dims (1), data_type (2, FLOAT = 1), name (8), raw_data (9, little-endian)
    msg = b"".join(pb_varint(1, d) for d in dims)
    msg += pb_varint(2, 1) + pb_bytes(8, name)
    msg += pb_bytes(9, struct.pack("<%df" % len(values), *values))
    return msg


def onnx_value_info(name, dims):
    # ValueInfoProto { name (1), type (2): TypeProto { tensor_type (1): { elem_type (1), shape (2) } } }
    shape = b""
    for d in dims:
        shape += pb_bytes(1, pb_bytes(2, d) if isinstance(d, str) else pb_varint(1, d))
    tensor_type = pb_varint(1, 1) + pb_bytes(2, shape)
    return pb_bytes(1, name) + pb_bytes(2, pb_bytes(1, tensor_type))


def onnx_node(op, inputs, outputs, name, int_attrs=()):
    msg = b"".join(pb_bytes(1, i) for i in inputs) + b"".join(pb_bytes(2, o) for o in outputs)
    msg += pb_bytes(3, name) + pb_bytes(4, op)
    for key, value in int_attrs:  # AttributeProto: name (1), i (3), type (20, INT = 2)
        msg += pb_bytes(5, pb_bytes(1, key) + pb_varint(3, value) + pb_varint(20, 2))
    return msg


def onnx_model(w1, b1, w2, b2):
    """A ModelProto for score = sigmoid(W2 relu(W1 x + b1) + b2), encoded field by field."""
    nodes = [
        onnx_node("Gemm", ["features", "dense1.weight", "dense1.bias"], ["h1"], "dense1", [("transB", 1)]),
        onnx_node("Relu", ["h1"], ["h1_relu"], "relu1"),
        onnx_node("Gemm", ["h1_relu", "dense2.weight", "dense2.bias"], ["logit"], "dense2", [("transB", 1)]),
        onnx_node("Sigmoid", ["logit"], ["score"], "sigmoid"),
    ]
    graph = b"".join(pb_bytes(1, n) for n in nodes) + pb_bytes(2, "claimscore")
    graph += pb_bytes(5, onnx_tensor("dense1.weight", [N_HIDDEN, N_FEATURES], w1))
    graph += pb_bytes(5, onnx_tensor("dense1.bias", [N_HIDDEN], b1))
    graph += pb_bytes(5, onnx_tensor("dense2.weight", [1, N_HIDDEN], w2))
    graph += pb_bytes(5, onnx_tensor("dense2.bias", [1], b2))
    graph += pb_bytes(11, onnx_value_info("features", ["batch", N_FEATURES]))
    graph += pb_bytes(12, onnx_value_info("score", ["batch", 1]))
    model = pb_varint(1, 8)                      # ir_version 8
    model += pb_bytes(2, "claimscore-export")    # producer_name
    model += pb_bytes(3, "1.3.0")                # producer_version
    model += pb_varint(5, 3)                     # model_version
    model += pb_bytes(7, graph)
    model += pb_bytes(8, pb_bytes(1, "") + pb_varint(2, 17))  # opset_import: default domain, 17
    model += pb_bytes(14, pb_bytes(1, "source") + pb_bytes(2, "models/classifier.safetensors"))
    return model


def gguf_str(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(vocab, dim, rng):
    """GGUF v3: header, key/values, one F32 tensor (token embeddings), aligned data."""
    kv = [
        ("general.architecture", 8, gguf_str("claimscore-embed")),
        ("general.name", 8, gguf_str("claim description embeddings")),
        ("general.alignment", 4, struct.pack("<I", 32)),
        ("claimscore-embed.embedding_length", 4, struct.pack("<I", dim)),
        ("tokenizer.ggml.tokens", 9,
         struct.pack("<IQ", 8, len(vocab)) + b"".join(gguf_str(t) for t in vocab)),
    ]
    out = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kv))
    for key, vtype, value in kv:
        out += gguf_str(key) + struct.pack("<I", vtype) + value
    # tensor info: name, n_dims, dims (fastest first), ggml type F32 = 0, offset in the data section
    out += gguf_str("token_embd.weight") + struct.pack("<I", 2) + struct.pack("<QQ", dim, len(vocab))
    out += struct.pack("<IQ", 0, 0)
    out += b"\0" * (-len(out) % 32)
    values = [round(rng.gauss(0, 0.2), 6) for _ in range(dim * len(vocab))]
    return out + struct.pack("<%df" % len(values), *values)


# ---- data ----------------------------------------------------------------------

def dataset(rng):
    regions = ["IDF", "ARA", "NAQ", "OCC", "HDF", "PAC", "GES", "BRE"]
    channels = ["web", "agent", "phone"]
    rows = ["claim_id,submitted_at,amount_eur,policy_age_days,prior_claims,hour_of_day,channel,"
            "region,vehicle_age_years,label"]
    for i in range(N_ROWS):
        amount = round(math.exp(rng.gauss(7.2, 1.0)), 2)
        policy_age = int(rng.expovariate(1 / 900)) + 1
        prior = min(int(rng.expovariate(1 / 0.6)), 9)
        hour = rng.randrange(24)
        channel = rng.choices(channels, weights=[5, 3, 2])[0]
        vehicle_age = round(rng.uniform(0, 18), 1)
        z = (0.9 * (math.log(amount) - 7.2) - 0.0012 * policy_age + 0.7 * prior
             + (0.8 if hour < 6 else 0.0) + (0.5 if channel == "web" else 0.0) - 2.4)
        label = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        day = 1 + i * 364 // N_ROWS
        month = 1
        for length in (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31):
            if day <= length:
                break
            day -= length
            month += 1
        rows.append("CLM-2025-%06d,2025-%02d-%02dT%02d:%02d:00Z,%.2f,%d,%d,%d,%s,%s,%.1f,%d" % (
            100000 + i, month, day, hour, rng.randrange(60), amount, policy_age, prior, hour, channel,
            rng.choice(regions), vehicle_age, label))
    return "\n".join(rows) + "\n"


# ---- text files ------------------------------------------------------------------

TEXT = {}

TEXT["README.md"] = """\
# claimscore

Fraud-risk scoring for motor insurance claims, built by Atelier Data SAS for Assurances
Mutuelles du Centre under contract CLAIMS-2026-03.

## Layout

| path | what |
|---|---|
| `src/scoring/` | the HTTP service (Python 3.11, standard library only) |
| `native/` | `fastscore`, the C scoring kernel (`make -C native`) |
| `models/` | `classifier.safetensors` (weights), `classifier.onnx` (export), `embeddings.gguf` |
| `data/train.csv` | the training set (synthetic in this example) |
| `prompts/` | LLM prompts used to explain decisions to claim handlers |
| `pipelines/train.yaml` | the training pipeline |
| `configs/` | service and feature configuration |

## Build and run

    make -C native
    python3 -m scoring.app --config configs/service.yaml

Then `curl -s localhost:8080/score -d @claim.json`. See `docs/runbook.md` for operations.
"""

TEXT["pyproject.toml"] = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "claimscore"
version = "1.3.0"
description = "Fraud-risk scoring for motor insurance claims"
requires-python = ">=3.11"
license = {text = "Proprietary, escrowed under contract CLAIMS-2026-03"}
authors = [{name = "Atelier Data SAS"}]

[project.scripts]
claimscore = "scoring.app:main"

[tool.setuptools.packages.find]
where = ["src"]
"""

TEXT[".gitignore"] = """\
__pycache__/
*.pyc
.env
native/*.o
native/*.so
.venv/
"""

TEXT[".env.example"] = """\
# Copy to .env and fill in on the server. Never commit .env.
CLAIMSCORE_LLM_ENDPOINT=https://llm.internal.example/v1
CLAIMSCORE_LLM_API_KEY=<set-on-the-server>
CLAIMSCORE_LOG_LEVEL=info
"""

TEXT["src/scoring/__init__.py"] = '''\
"""claimscore: fraud-risk scoring for motor insurance claims."""
__version__ = "1.3.0"
'''

TEXT["src/scoring/features.py"] = '''\
"""Feature engineering: one claim (a dict) to the model's input vector."""
import math

FEATURES = %s


def vector(claim, stats):
    hour = int(claim["hour_of_day"])
    raw = [
        math.log(max(float(claim["amount_eur"]), 1.0)),
        int(claim["policy_age_days"]) / 365.0,
        float(claim["prior_claims"]),
        math.sin(2 * math.pi * hour / 24),
        math.cos(2 * math.pi * hour / 24),
        1.0 if claim["channel"] == "web" else 0.0,
        1.0 if claim["channel"] == "agent" else 0.0,
        float(claim["vehicle_age_years"]),
    ]
    return [(x - stats[name]["mean"]) / stats[name]["std"] for name, x in zip(FEATURES, raw)]
''' % repr(FEATURES)

TEXT["src/scoring/model.py"] = '''\
"""Loads the classifier from its safetensors file and scores feature vectors."""
import json
import math
import struct


def load_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8:8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        count = (end - begin) // 4
        values = struct.unpack_from("<%df" % count, blob, 8 + n + begin)
        tensors[name] = (info["shape"], list(values))
    return tensors


class Classifier:
    def __init__(self, path):
        t = load_safetensors(path)
        self.w1, self.b1 = t["dense1.weight"][1], t["dense1.bias"][1]
        self.w2, self.b2 = t["dense2.weight"][1], t["dense2.bias"][1]
        self.n_in = t["dense1.weight"][0][1]
        self.n_hidden = t["dense1.weight"][0][0]

    def score(self, x):
        h = []
        for j in range(self.n_hidden):
            s = self.b1[j] + sum(self.w1[j * self.n_in + i] * x[i] for i in range(self.n_in))
            h.append(max(s, 0.0))
        logit = self.b2[0] + sum(self.w2[j] * h[j] for j in range(self.n_hidden))
        return 1.0 / (1.0 + math.exp(-logit))
'''

TEXT["src/scoring/explain.py"] = '''\
"""Builds the LLM prompt that explains a score to the claim handler."""
import os
import string

PROMPTS = os.path.join(os.path.dirname(__file__), "..", "..", "prompts")


def render(name, **values):
    with open(os.path.join(PROMPTS, name + ".md"), encoding="utf-8") as f:
        return string.Template(f.read()).safe_substitute(values)


def explanation_prompt(claim, score, top_features):
    return render("explain-decision", claim_id=claim["claim_id"], score="%.2f" % score,
                  features=", ".join(top_features))
'''

TEXT["src/scoring/app.py"] = '''\
"""The HTTP service: POST /score with a claim as JSON, returns the score."""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import features, model

STATS = None
CLASSIFIER = None


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/score":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", "0"))
        if length <= 0 or length > 65536:
            self.send_error(413)
            return
        claim = json.loads(self.rfile.read(length))
        score = CLASSIFIER.score(features.vector(claim, STATS))
        body = json.dumps({"claim_id": claim.get("claim_id"), "score": round(score, 4),
                           "review": score >= 0.7}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    global STATS, CLASSIFIER
    p = argparse.ArgumentParser(description="claimscore HTTP service")
    p.add_argument("--model", default="models/classifier.safetensors")
    p.add_argument("--stats", default="configs/feature-stats.json")
    p.add_argument("--port", type=int, default=8080)
    args = p.parse_args()
    with open(args.stats, encoding="utf-8") as f:
        STATS = json.load(f)
    CLASSIFIER = model.Classifier(args.model)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
'''

TEXT["tests/test_features.py"] = '''\
import unittest

from scoring import features

STATS = {name: {"mean": 0.0, "std": 1.0} for name in features.FEATURES}


class FeatureTest(unittest.TestCase):
    def test_length(self):
        claim = {"amount_eur": 1200, "policy_age_days": 365, "prior_claims": 1, "hour_of_day": 3,
                 "channel": "web", "vehicle_age_years": 4.5}
        self.assertEqual(len(features.vector(claim, STATS)), len(features.FEATURES))


if __name__ == "__main__":
    unittest.main()
'''

TEXT["native/fastscore.c"] = '''\
/* fastscore.c -- the scoring kernel in C, for batch scoring (about 40x the
 * pure Python path). Same network as src/scoring/model.py:
 * score = sigmoid(W2 relu(W1 x + b1) + b2). */
#include <math.h>
#include <stddef.h>

#include "fastscore.h"

float fastscore(const struct fastscore_model *m, const float *x)
{
	float h, logit = m->b2;
	size_t i, j;

	for (j = 0; j < m->n_hidden; j++) {
		h = m->b1[j];
		for (i = 0; i < m->n_in; i++)
			h += m->w1[j * m->n_in + i] * x[i];
		if (h > 0.0f)
			logit += m->w2[j] * h;
	}
	return 1.0f / (1.0f + expf(-logit));
}

void fastscore_batch(const struct fastscore_model *m, const float *xs, size_t n, float *out)
{
	size_t k;

	for (k = 0; k < n; k++)
		out[k] = fastscore(m, xs + k * m->n_in);
}
'''

TEXT["native/fastscore.h"] = '''\
#ifndef FASTSCORE_H
#define FASTSCORE_H
#include <stddef.h>

struct fastscore_model {
	size_t n_in, n_hidden;
	const float *w1, *b1, *w2; /* row-major, as in models/classifier.safetensors */
	float b2;
};

float fastscore(const struct fastscore_model *m, const float *x);
void fastscore_batch(const struct fastscore_model *m, const float *xs, size_t n, float *out);

#endif
'''

TEXT["native/Makefile"] = '''\
CC ?= cc
CFLAGS ?= -O2 -Wall -Wextra -fPIC

libfastscore.so: fastscore.o
\t$(CC) -shared -o $@ fastscore.o -lm

fastscore.o: fastscore.c fastscore.h
\t$(CC) $(CFLAGS) -c fastscore.c

clean:
\trm -f fastscore.o libfastscore.so
.PHONY: clean
'''

TEXT["MODEL_CARD.md"] = """\
# Model card: claimscore classifier 1.3.0

**Owner:** Atelier Data SAS, for Assurances Mutuelles du Centre (contract CLAIMS-2026-03).

## Intended use
Ranks incoming motor insurance claims by fraud risk so that handlers review the riskiest first.
It never rejects a claim on its own: a score of 0.70 or more sends the claim to a human.

## Model
A two-layer perceptron (%d inputs, %d hidden ReLU units, sigmoid output), float32.
- `models/classifier.safetensors`: the weights (tensors `dense1.*`, `dense2.*`).
- `models/classifier.onnx`: the same network exported to ONNX (opset 17) for the batch scorer.
- `models/embeddings.gguf`: token embeddings for claim descriptions (experimental, optional).

## Training data
`data/train.csv`: %d claims from 2025 with the handler's final decision as the label. In this
example the data and the weights are synthetic, generated by `examples/make-project.py`.

## Features
%s

## Limitations
Trained on one insurer's motor claims in metropolitan France; not validated for other lines of
business. Scores drift as fraud patterns change: retrain quarterly (see `pipelines/train.yaml`).
""" % (N_FEATURES, N_HIDDEN, N_ROWS, "\n".join("- `%s`" % f for f in FEATURES))

TEXT["docs/runbook.md"] = """\
# claimscore runbook

## Deploy
1. `make -C native` on the target host (needs a C compiler and libm).
2. Copy `.env.example` to `.env` and set `CLAIMSCORE_LLM_API_KEY` from the vault.
3. `python3 -m scoring.app --model models/classifier.safetensors --port 8080` behind the reverse proxy.

## Check
`curl -s localhost:8080/score -d '{"claim_id":"CLM-1","amount_eur":900,"policy_age_days":40,
"prior_claims":2,"hour_of_day":3,"channel":"web","vehicle_age_years":7}'` returns a score.

## Retrain
Run `pipelines/train.yaml` quarterly. Compare the new model's AUC with the current one on the last
quarter's claims; deploy only if it does not regress by more than 0.01.

## Incidents
If the LLM endpoint is down, the service still scores; explanations are skipped and logged.
"""

TEXT["prompts/explain-decision.md"] = """\
You are assisting a motor insurance claim handler. Explain, in three short sentences of plain
French, why claim $claim_id received a fraud-risk score of $score. The features that weighed most
were: $features. Do not accuse the claimant; say what the handler should check first.
"""

TEXT["prompts/summarise-claim.md"] = """\
Summarise the claimant's description below in at most 40 words for the handler's queue. Keep dates,
amounts and places; drop greetings and repetitions. Answer in French.

Description:
$description
"""

TEXT["prompts/system.md"] = """\
You are claimscore's assistant. You explain scores; you never decide on a claim. If you are unsure,
say so. Never include personal data other than what the handler already sees.
"""

TEXT["pipelines/train.yaml"] = """\
# Training pipeline for the claimscore classifier (run quarterly).
name: claimscore-train
version: 1.3.0
steps:
  - id: extract
    run: python3 -m scoring.pipeline.extract --since last-quarter --out data/train.csv
  - id: features
    run: python3 -m scoring.pipeline.stats data/train.csv --out configs/feature-stats.json
    needs: [extract]
  - id: train
    run: python3 -m scoring.pipeline.train data/train.csv --hidden 32 --epochs 40 --seed 20260301
    needs: [features]
    outputs: [models/classifier.safetensors]
  - id: export
    run: python3 -m scoring.pipeline.export models/classifier.safetensors --onnx models/classifier.onnx --opset 17
    needs: [train]
    outputs: [models/classifier.onnx]
  - id: evaluate
    run: python3 -m scoring.pipeline.evaluate models/classifier.onnx --holdout 0.2 --min-auc 0.78
    needs: [export]
"""

TEXT["configs/service.yaml"] = """\
# claimscore service configuration
listen: 127.0.0.1:8080
model: models/classifier.safetensors
feature_stats: configs/feature-stats.json
review_threshold: 0.70
explanations:
  enabled: true
  prompt: prompts/explain-decision.md
  timeout_seconds: 8
"""

TEXT["configs/logging.yaml"] = """\
version: 1
formatters:
  plain:
    format: "%(asctime)s %(levelname)s %(name)s %(message)s"
handlers:
  console:
    class: logging.StreamHandler
    formatter: plain
root:
  level: INFO
  handlers: [console]
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "project")
    if os.path.exists(out):
        shutil.rmtree(out)
    rng = random.Random(SEED)

    files = dict(TEXT)
    w1 = [round(rng.gauss(0, 1 / math.sqrt(N_FEATURES)), 6) for _ in range(N_HIDDEN * N_FEATURES)]
    b1 = [round(rng.gauss(0, 0.05), 6) for _ in range(N_HIDDEN)]
    w2 = [round(rng.gauss(0, 1 / math.sqrt(N_HIDDEN)), 6) for _ in range(N_HIDDEN)]
    b2 = [-1.1]
    files["models/classifier.safetensors"] = safetensors([
        ("dense1.weight", "F32", (N_HIDDEN, N_FEATURES), w1),
        ("dense1.bias", "F32", (N_HIDDEN,), b1),
        ("dense2.weight", "F32", (1, N_HIDDEN), w2),
        ("dense2.bias", "F32", (1,), b2),
    ], {"format": "pt", "model": "claimscore-classifier", "version": "1.3.0"})
    files["models/classifier.onnx"] = onnx_model(w1, b1, w2, b2)
    vocab = ["<unk>", "<s>", "</s>"] + sorted({"accident", "parking", "vol", "bris", "glace", "incendie",
                                               "collision", "nuit", "autoroute", "tiers", "expert",
                                               "garage", "facture", "photo", "constat", "témoin"})
    files["models/embeddings.gguf"] = gguf(vocab, 16, rng)
    csv = dataset(rng)
    files["data/train.csv"] = csv
    stats = {}
    cols = list(zip(*[r.split(",") for r in csv.splitlines()[1:]]))
    amount = [math.log(float(x)) for x in cols[2]]
    for name, values in (("log_amount", amount),
                         ("policy_age_years", [int(x) / 365 for x in cols[3]]),
                         ("prior_claims", [float(x) for x in cols[4]]),
                         ("vehicle_age_years", [float(x) for x in cols[8]])):
        mean = sum(values) / len(values)
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        stats[name] = {"mean": round(mean, 6), "std": round(std, 6)}
    for name in ("hour_sin", "hour_cos", "channel_web", "channel_agent"):
        stats[name] = {"mean": 0.0, "std": 1.0}
    files["configs/feature-stats.json"] = json.dumps(stats, indent=2, sort_keys=True) + "\n"

    dirs = set()
    for rel in sorted(files):
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = files[rel]
        with open(path, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(path, 0o644)
        os.utime(path, (MTIME, MTIME))
        d = os.path.dirname(rel)
        while d:
            dirs.add(d)
            d = os.path.dirname(d)
    for d in sorted(dirs, reverse=True) + [""]:
        os.utime(os.path.join(out, d), (MTIME, MTIME))
    total = sum(len(v.encode("utf-8") if isinstance(v, str) else v) for v in files.values())
    print("%s: %d files, %d bytes" % (out, len(files), total))


if __name__ == "__main__":
    main()
