#!/usr/bin/python3
"""CPU throughput benchmark of two small Keras-style MNIST models in PyTorch.

Models (architectures mirror the Keras originals layer for layer):

  dense: Flatten(784) -> Linear 256 relu -> Dropout 0.3 -> Linear 128 relu
         -> Dropout 0.3 -> Linear 10                       (235,146 params)
         trained with RMSprop(lr=1e-3, rho=0.9, eps=1e-7), batch 128

  cnn:   Conv 1->128 3x3 relu -> BN -> MaxPool2 -> Conv 128->64 3x3 relu -> BN
         -> MaxPool2 -> Flatten(1600) -> Dropout 0.3 -> Linear 128 relu
         -> Dropout 0.3 -> Linear 10                       (282,058 params)
         trained with Adam(lr=1e-3, eps=1e-7), batch 32

Inputs are random float32 tensors of shape [n, 1, 28, 28] with random labels
in [0, 10); only the shapes matter for throughput.  The loss is softmax +
cross-entropy (nn.CrossEntropyLoss on logits, the fused equivalent).

Parameter counts follow Keras conventions: BatchNorm's moving mean/variance
are counted (Keras reports them as non-trainable params), so the count is
trainable parameters + BatchNorm running_mean/running_var buffers.

Reported numbers:
  train_images_per_s: median over --repeats timed runs of --steps optimizer
                      steps (after warm-up), in images per second.
  infer_images_per_s: median over --repeats timed runs of forward passes on
                      a batch of 1000 images (eval mode, torch.no_grad());
                      each run lasts >= ~0.25 s.

Requires Debian's python3-torch, i.e. run with /usr/bin/python3.
"""

import argparse
import json
import statistics
import sys
import time

import torch
from torch import nn

NUM_CLASSES = 10
INFER_BATCH = 1000
WARMUP_STEPS = 5

# Expected parameter counts (as Keras' model.summary() reports them).
EXPECTED_PARAMS = {"dense": 235_146, "cnn": 282_058}

# Default number of timed training steps per repeat, chosen so that one
# default run of both models stays well under ~90 s on 2 cores.
DEFAULT_STEPS = {"dense": 300, "cnn": 60}


def build_dense():
    """Keras Sequential MLP: 784 -> 256 -> 128 -> 10."""
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(28 * 28, 256), nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(128, NUM_CLASSES),
    )


def keras_bn(channels):
    """BatchNorm2d with Keras defaults (momentum 0.99 -> torch 0.01, eps 1e-3)."""
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


def build_cnn():
    """Keras Sequential CNN: two conv/BN/pool blocks, then a small MLP head."""
    return nn.Sequential(
        nn.Conv2d(1, 128, kernel_size=3), nn.ReLU(),     # 28 -> 26 ('valid')
        keras_bn(128),
        nn.MaxPool2d(2),                                 # 26 -> 13
        nn.Conv2d(128, 64, kernel_size=3), nn.ReLU(),    # 13 -> 11
        keras_bn(64),
        nn.MaxPool2d(2),                                 # 11 -> 5
        nn.Flatten(),                                    # 64*5*5 = 1600
        nn.Dropout(0.3),
        nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
        nn.Dropout(0.3),
        nn.Linear(128, NUM_CLASSES),
    )


# name -> (builder, optimizer factory, training batch size)
MODELS = {
    "dense": (
        build_dense,
        lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7),
        128,
    ),
    "cnn": (
        build_cnn,
        lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7),
        32,
    ),
}


def keras_param_count(model):
    """Trainable params plus BatchNorm moving statistics (Keras convention)."""
    n = sum(p.numel() for p in model.parameters())
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n += m.running_mean.numel() + m.running_var.numel()
    return n


def random_batch(n):
    """Random images [n, 1, 28, 28] float32 and random integer labels."""
    x = torch.rand(n, 1, 28, 28, dtype=torch.float32)
    y = torch.randint(0, NUM_CLASSES, (n,), dtype=torch.long)
    return x, y


def bench_train(model, optimizer, batch, steps, repeats):
    """Median training throughput (images/s) over `repeats` runs of `steps`."""
    loss_fn = nn.CrossEntropyLoss()
    # A small pool of distinct batches, cycled, so every step sees fresh
    # tensors without paying for data generation inside the timed loop.
    pool = [random_batch(batch) for _ in range(4)]

    def step(i):
        x, y = pool[i % len(pool)]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    model.train()
    for i in range(WARMUP_STEPS):
        step(i)

    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(steps):
            loss = step(i)
        loss.item()  # make sure all work is done before stopping the clock
        dt = time.perf_counter() - t0
        rates.append(steps * batch / dt)
    return statistics.median(rates)


def bench_infer(model, repeats, min_time=0.25):
    """Median inference throughput (images/s) for batches of INFER_BATCH.

    A single forward pass of the dense model takes only a few milliseconds,
    so each timed repeat runs as many passes as fit in ~`min_time` seconds
    (calibrated during warm-up) to keep timer and scheduler noise small.
    """
    x, _ = random_batch(INFER_BATCH)
    model.eval()
    rates = []
    with torch.no_grad():
        model(x)  # warm-up
        t0 = time.perf_counter()
        model(x).sum().item()
        passes = max(1, int(min_time / (time.perf_counter() - t0)))
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(passes):
                out = model(x)
            out.sum().item()
            dt = time.perf_counter() - t0
            rates.append(passes * INFER_BATCH / dt)
    return statistics.median(rates)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=2,
                    help="torch intra-op threads (default 2)")
    ap.add_argument("--repeats", type=int, default=5,
                    help="timed repeats per measurement (default 5)")
    ap.add_argument("--steps", type=int, default=None,
                    help="training steps per repeat (default: dense %d, cnn %d)"
                    % (DEFAULT_STEPS["dense"], DEFAULT_STEPS["cnn"]))
    ap.add_argument("--models", default="dense,cnn",
                    help="comma-separated subset of: " + ",".join(MODELS))
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        ap.error("unknown model(s): %s" % ", ".join(unknown))
    if args.repeats < 1 or (args.steps is not None and args.steps < 1):
        ap.error("--repeats and --steps must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    results = {}
    for name in args.models:
        builder, make_opt, batch = MODELS[name]
        model = builder()
        params = keras_param_count(model)
        assert params == EXPECTED_PARAMS[name], (name, params)
        optimizer = make_opt(model.parameters())
        steps = args.steps or DEFAULT_STEPS[name]
        results[name] = {
            "train_images_per_s": round(
                bench_train(model, optimizer, batch, steps, args.repeats), 1),
            "infer_images_per_s": round(bench_infer(model, args.repeats), 1),
            "batch": batch,
            "params": params,
        }

    if args.json:
        print(json.dumps({"torch": torch.__version__,
                          "threads": torch.get_num_threads(),
                          "models": results}))
    else:
        print("torch %s, %d thread(s), %d repeats"
              % (torch.__version__, torch.get_num_threads(), args.repeats))
        print("%-6s %8s %6s %14s %14s"
              % ("model", "params", "batch", "train img/s", "infer img/s"))
        for name, r in results.items():
            print("%-6s %8d %6d %14.1f %14.1f"
                  % (name, r["params"], r["batch"],
                     r["train_images_per_s"], r["infer_images_per_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
