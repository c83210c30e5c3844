"""Chemical structures for :mod:`patimg.demo.figure_kinds`, drawn as structure drawings print them: bonds of one
length at multiples of 30 degrees, hexagon and pentagon rings, double bonds drawn inside a ring, atom letters and
groups (``N``, ``OH``, ``NH2``) with the bonds stopping short of them."""

from __future__ import annotations

import math

from patimg.demo.canvas import Canvas, Point, lerp

_GROUPS = ("OH", "NH2", "Cl", "F", "Br", "COOH", "CH3", "OCH3", "CN", "NO2", "CF3", "SH")


def _ring(centre: Point, size: int, bond: float, start: float) -> list[Point]:
    radius = bond / (2 * math.sin(math.pi / size))
    return [
        (
            centre[0] + radius * math.cos(start + 2 * math.pi * k / size),
            centre[1] + radius * math.sin(start + 2 * math.pi * k / size),
        )
        for k in range(size)
    ]


def _centre(ring: list[Point]) -> Point:
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def draw_chemical(c: Canvas, area) -> str:
    """A structure of 1-3 hexagon or pentagon rings, fused on an edge or linked by a bond, with substituents on
    zigzag chains, heteroatoms and double bonds; returns its description."""
    rng = c.rng
    bond = 100.0
    start = rng.choice((0.0, math.pi / 6)) + rng.choice((0.0, math.pi / 2))
    rings = [_ring((0.0, 0.0), 6, bond, start)]
    for _ in range(rng.randint(0, 2)):  # fused on an edge of the last ring, or linked by a bond
        last = rings[-1]
        k = rng.randrange(len(last))
        a, b = last[k], last[(k + 1) % len(last)]
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        cx, cy = _centre(last)
        out = math.atan2(my - cy, mx - cx)
        size = 5 if rng.random() < 0.25 else 6
        if rng.random() < 0.6:
            apothem = bond / (2 * math.tan(math.pi / size))
            centre = (mx + apothem * math.cos(out), my + apothem * math.sin(out))
            ring = _ring(centre, size, bond, math.atan2(a[1] - centre[1], a[0] - centre[0]))
        else:
            radius = bond / (2 * math.sin(math.pi / 6))
            centre = (a[0] + (bond + radius) * math.cos(out), a[1] + (bond + radius) * math.sin(out))
            ring = _ring(centre, 6, bond, out + math.pi)
        # No ring drawn over another: a fused ring's centre is 1.7 bonds from its neighbour's, farther from others.
        if all(math.dist(centre, _centre(other)) >= 1.6 * bond for other in rings):
            rings.append(ring)
    bonds, atoms = [], {}
    for ring in rings:
        bonds += [
            (ring[k], ring[(k + 1) % len(ring)], k % 2 == 0 and len(ring) == 6 and rng.random() < 0.7)
            for k in range(len(ring))
        ]
    for ring, following in zip(rings, rings[1:], strict=False):  # a linking bond where rings do not touch
        near = min(((p, q) for p in ring for q in following), key=lambda pq: math.dist(*pq))
        if math.dist(*near) > 1:
            bonds.append((near[0], near[1], False))
    if rng.random() < 0.4:
        atoms[rings[0][rng.randrange(6)]] = rng.choice(("N", "O", "S", "NH"))
    vertices = [p for ring in rings for p in ring]
    centre_all = (sum(p[0] for p in vertices) / len(vertices), sum(p[1] for p in vertices) / len(vertices))
    for _ in range(rng.randint(1, 3)):  # substituents pointing away from the middle, some on a zigzag chain
        p = rng.choice(vertices)
        angle = math.atan2(p[1] - centre_all[1], p[0] - centre_all[0])
        chain = [p]
        for step in range(rng.randint(1, 3)):
            turn = 0 if step == 0 else (math.pi / 6 if step % 2 else -math.pi / 6)
            chain.append(
                (chain[-1][0] + bond * math.cos(angle + turn), chain[-1][1] + bond * math.sin(angle + turn))
            )
        bonds += [(a, b, False) for a, b in zip(chain, chain[1:], strict=False)]
        if rng.random() < 0.8:
            atoms[chain[-1]] = rng.choice(_GROUPS)
    return _draw_molecule(c, area, bonds, atoms, len(rings))


def _draw_molecule(c: Canvas, area, bonds, atoms: dict, n_rings: int) -> str:
    """Fit the molecule into ``area`` and draw it: bonds stop short of atom letters, double bonds inside rings."""
    xs = [p[0] for a, b, _ in bonds for p in (a, b)]
    ys = [p[1] for a, b, _ in bonds for p in (a, b)]
    x0, y0, x1, y1 = area
    pad = c.text_size * 2
    scale = min(
        (x1 - x0 - 2 * pad) / max(1.0, max(xs) - min(xs)), (y1 - y0 - 2 * pad) / max(1.0, max(ys) - min(ys))
    )
    scale = min(scale, c.rng.uniform(1.1, 1.8))  # bonds of 110 to 180 pixels, as printed at 300 dpi
    ox = (x0 + x1) / 2 - (min(xs) + max(xs)) / 2 * scale
    oy = (y0 + y1) / 2 - (min(ys) + max(ys)) / 2 * scale

    def at(p: Point) -> Point:
        return ox + p[0] * scale, oy + p[1] * scale

    labelled = {(round(p[0], 3), round(p[1], 3)): text for p, text in atoms.items()}
    clear = c.text_size * 0.65
    for a, b, double in bonds:
        pa, pb = at(a), at(b)
        length = math.dist(pa, pb)
        if length < 1:
            continue
        ta = clear / length if (round(a[0], 3), round(a[1], 3)) in labelled else 0.0
        tb = clear / length if (round(b[0], 3), round(b[1], 3)) in labelled else 0.0
        c.line(lerp(pa, pb, ta), lerp(pa, pb, 1 - tb), width=min(c.width, 4))
        if double:  # a second line toward the ring's inside, shorter at both ends
            nx, ny = (pa[1] - pb[1]) / length, (pb[0] - pa[0]) / length
            inset = 0.18 * length
            qa, qb = lerp(pa, pb, 0.15), lerp(pa, pb, 0.85)
            c.line(
                (qa[0] + nx * inset, qa[1] + ny * inset),
                (qb[0] + nx * inset, qb[1] + ny * inset),
                width=min(c.width, 4),
            )
    for p, text in atoms.items():
        c.text(text, at(p))
    return f"{n_rings} ring(s), {len(atoms)} atom label(s)"
