"""Encoding throughput: figures per second for each visual encoder, sentences per second for the text one.

Inputs are real drawings (the EP figures and US drawing sheets under ``../shared/data``) and real
description sentences. CLIP ViT-B-32 runs with *random* weights when the openai weights are not cached:
the compute is the same, only the vectors are meaningless. Prints a table and the command.

    OMP_NUM_THREADS=2 python benchmarks/encode.py --figures 64
    python benchmarks/encode.py --device cuda --figures 512 --batch-size 64
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time

from shared_data import DATA

from patimg.encoders.registry import (
    REFERENCE_VISUAL,
    drawing_descriptor_name,
    get_text_encoder,
    get_visual_encoder,
    reference_visual_available,
)


def real_drawings(count: int):
    from PIL import Image

    paths = sorted((DATA / "patents" / "ep").glob("*/imgf*.tif")) + sorted(
        (DATA / "patents" / "us-grants").glob("*/*-D0*.TIF")
    )
    if not paths:
        sys.exit(f"no drawings under {DATA} (set PATIMG_SHARED_DATA)")
    images = [Image.open(p).copy() for p in paths[: min(count, len(paths))]]
    return [images[i % len(images)] for i in range(count)], len(images)


def real_sentences(count: int) -> list[str]:
    from lxml import etree

    sentences: list[str] = []
    for xml in sorted((DATA / "xml" / "epo").glob("*.xml")):
        for p in etree.parse(str(xml)).iter("p"):
            text = " ".join("".join(p.itertext()).split())
            sentences += [s for s in re.split(r"(?<=[.;])\s+", text) if len(s) > 30]
        if len(sentences) >= count:
            break
    return (sentences * (count // max(1, len(sentences)) + 1))[:count]


def timed(encode, items, batch_size: int) -> float:
    encode(items[: min(len(items), batch_size)], batch_size=batch_size)  # warm-up (lazy init, caches)
    start = time.perf_counter()
    encode(items, batch_size=batch_size)
    return len(items) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--figures", type=int, default=64)
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--skip", nargs="*", default=[], choices=["drawing", "clip", "text"])
    args = parser.parse_args(argv)
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    print(
        f"command: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '')} python benchmarks/encode.py "
        + " ".join(sys.argv[1:] if argv is None else argv)
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), device {args.device}"
    )
    images, distinct = real_drawings(args.figures)
    print(
        f"inputs: {args.figures} figures ({distinct} distinct real drawings), {args.sentences} real sentences"
    )
    print("| encoder                        | weights     | precision | batch | items/s  |")
    print("|--------------------------------|-------------|-----------|-------|----------|")
    if "drawing" not in args.skip:
        try:
            encoder = get_visual_encoder(drawing_descriptor_name())
            rate = timed(encoder.encode, images, args.batch_size)
            print(
                f"| {encoder.name:<30} | none        | fp32      | {args.batch_size:>5} | {rate:>8.2f} |",
                flush=True,
            )
        except Exception as error:  # noqa: BLE001 - report and go on with the other encoders
            print(f"| {drawing_descriptor_name():<30} | unavailable: {error}")
    if "clip" not in args.skip:
        real = reference_visual_available()
        encoder = get_visual_encoder(REFERENCE_VISUAL, device=args.device, pretrained_weights=real)
        rate = timed(encoder.encode, images, args.batch_size)
        print(
            f"| {encoder.name:<30} | {'openai' if real else 'random':<11} | {encoder.precision:<9} "
            f"| {args.batch_size:>5} | {rate:>8.2f} |",
            flush=True,
        )
    if "text" not in args.skip:
        encoder = get_text_encoder("minilm", device=args.device)
        sentences = real_sentences(args.sentences)
        rate = timed(encoder.encode, sentences, 64)
        print(f"| {encoder.name:<30} | packaged    | fp32      | {64:>5} | {rate:>8.2f} |", flush=True)


if __name__ == "__main__":
    main()
